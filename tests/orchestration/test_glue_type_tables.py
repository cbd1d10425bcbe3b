"""The per-type tables events_<type> in the Glue catalog, on an emulated account.

moto stands in for the Glue Data Catalog: infra/ applied to a moto server with the real AWS
provider (only the declared tables and what they need), then GlueCatalog's register and
publish through boto3, as on MWAA. No data is read: the catalog steps only register
partitions, and Athena queries cannot run on moto (what the tables answer is the local
catalog's test, tests/orchestration/test_local_type_tables.py).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import boto3
import pytest

from eventlake.core import tables as core_tables
from eventlake.core.layout import storage_layout
from eventlake.core.manifest import Counts, Manifest, PartitionEntry, RawObjects, Reconciliation
from eventlake.core.plan import FieldDecl, tracking_plan
from eventlake.core.tables import EVENTS, table, type_tables
from eventlake.orchestration.glue_catalog import GlueCatalog
from tests.emulated_aws import REPO, apply_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DAY = date(2026, 11, 24)
TYPES = ("payment", "search", "page")  # page is not in the plan
DECLARED = "module.processing.aws_glue_catalog_table.declared"
DATABASE = storage_layout()["glue"]["database"]
# A targeted apply leaves the root outputs out: the region is the one TFVARS apply with.
REGION = re.search(r'region\s*=\s*"(.+)"', (REPO / "infra/envs/dev.tfvars").read_text())[1]


@pytest.fixture(scope="module")
def glue(tmp_path_factory):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        apply_stack(endpoint, tmp_path_factory.mktemp("stack"), (DECLARED,))
        yield boto3.client("glue", endpoint_url=endpoint, region_name=REGION)
    finally:
        server.stop()


def catalog_of(glue) -> GlueCatalog:
    """The catalog the DAG uses, with the buckets the declared events table points at."""
    events = glue.get_table(DatabaseName=DATABASE, Name=EVENTS)["Table"]
    lake = events["StorageDescriptor"]["Location"].removesuffix(f"/{table(EVENTS).root}/")
    return GlueCatalog(glue, DATABASE, {"lake": lake, "quarantine": lake, "reports": lake})


def manifest_of(*event_types: str) -> Manifest:
    partitions = [PartitionEntry(f"event_date={DAY}/event_type={t}", 1, 1, 1) for t in event_types]
    return Manifest(
        run_date=DAY, started_at="", finished_at="", window={}, config={},
        raw_objects=RawObjects(), counts=Counts(raw_records_in=3, written=3),
        late_events_by_partition={}, future_events_by_partition={},
        lake_partitions=partitions, quarantine_partitions=[],
        reconciliation=Reconciliation(3, 3, 3, 0, True),
    )  # fmt: skip


def partitions(glue, name: str) -> set[tuple[str, ...]]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=DATABASE, TableName=name)
    return {tuple(p["Values"]) for page in pages for p in page["Partitions"]}


def columns(glue, name: str) -> list[tuple[str, str]]:
    described = glue.get_table(DatabaseName=DATABASE, Name=name)["Table"]
    return [(c["Name"], c["Type"]) for c in described["StorageDescriptor"]["Columns"]]


@contextmanager
def plan_with_a_new_optional_payment_field():
    """The tracking plan as it would be once payment declares an optional `coupon`."""
    plan = tracking_plan()
    coupon = FieldDecl("coupon", "string", description="the coupon code, if any")
    types = tuple(
        replace(t, fields=(*t.fields, coupon)) if t.name == "payment" else t for t in plan.types
    )
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(core_tables, "tracking_plan", lambda: replace(plan, types=types))
            core_tables.tables.cache_clear()
            yield
    finally:
        core_tables.tables.cache_clear()


def test_terraform_declares_no_per_type_table(glue) -> None:
    names = {t["Name"] for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]}
    assert names == {"events", "events_audit", "quarantine", "manifests"}


def test_publish_creates_the_per_type_tables_and_follows_a_changed_plan(glue) -> None:
    catalog = catalog_of(glue)
    catalog.register(manifest_of(*TYPES))
    first = catalog.publish(DAY)

    declared = [(f.name, f.glue_type) for f in tracking_plan().type("payment").fields]
    typed = columns(glue, "events_payment")[len(table(EVENTS).columns) :]
    assert typed == declared == [
        ("user_id", "string"), ("order_id", "string"), ("amount", "double"),
        ("currency", "string"), ("items", "array<struct<sku:string,qty:bigint>>"),
    ]  # fmt: skip
    assert columns(glue, "events_payment")[: len(table(EVENTS).columns)] == columns(glue, EVENTS)
    for spec in type_tables():
        assert columns(glue, spec.name) == [(c.name, c.type) for c in spec.columns], spec.name
    events = glue.get_table(DatabaseName=DATABASE, Name=EVENTS)["Table"]
    payment = glue.get_table(DatabaseName=DATABASE, Name="events_payment")["Table"]
    for key in ("PartitionKeys", "TableType", "Parameters"):
        assert payment[key] == events[key], key
    for key in ("Location", "InputFormat", "OutputFormat", "SerdeInfo"):
        assert payment["StorageDescriptor"][key] == events["StorageDescriptor"][key], key
    assert first["events_payment"].definition == "created"

    assert partitions(glue, "events_payment") == {(str(DAY), "payment", str(DAY))}
    assert partitions(glue, "events_search") == {(str(DAY), "search", str(DAY))}
    assert partitions(glue, EVENTS) == {(str(DAY), t, str(DAY)) for t in TYPES}
    assert partitions(glue, "events_account") == set(), "a type the day has none of"
    assert not any(name == "events_page" for name in first), "page is not a planned type"

    with plan_with_a_new_optional_payment_field():
        second = catalog.publish(DAY)
        assert second["events_payment"].definition == "updated"
        assert second["events_payment"].updated == 1, "run D's partition keeps the old columns"
        assert second["events_search"].definition == "unchanged"
        assert columns(glue, "events_payment")[-1] == ("coupon", "string")
        (payment_partition,) = glue.get_partitions(
            DatabaseName=DATABASE, TableName="events_payment"
        )["Partitions"]
        assert payment_partition["StorageDescriptor"]["Columns"][-1]["Name"] == "coupon"

        again = catalog.publish(DAY)
        assert {r.definition for n, r in again.items() if n != EVENTS} == {"unchanged"}
        assert all((r.added, r.updated, r.removed) == (0, 0, 0) for r in again.values())


def test_a_rerun_that_no_longer_writes_a_type_removes_its_partition(glue) -> None:
    catalog = catalog_of(glue)
    catalog.register(manifest_of(*TYPES))
    catalog.publish(DAY)
    catalog.register(manifest_of("payment", "page"))
    rerun = catalog.publish(DAY)
    assert rerun["events_search"].removed == 1
    assert partitions(glue, "events_search") == set()
    assert partitions(glue, "events_payment") == {(str(DAY), "payment", str(DAY))}
