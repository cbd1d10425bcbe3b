"""The files the job writes hold the declared tables' columns, types and partitions.

Terraform creates the Glue tables from the same declarations (storage_layout.json's "tables"),
so this test is what keeps the catalog and the files from drifting apart.
"""

from __future__ import annotations

import dataclasses
import json
import random
import types
import typing

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventlake.core.manifest import Manifest
from eventlake.core.plan import parse_plan, tracking_plan
from eventlake.core.tables import EVENTS, MANIFESTS, QUARANTINE, lake_file_groups, table
from eventlake.dayjob.job import run_day_job
from eventlake.tools import generator
from tests.dayjob.helpers import at, event, firehose_object

pytestmark = pytest.mark.spark


def glue_type(arrow: pa.DataType) -> str:
    """The Glue (Hive) type Athena reads a Parquet column of this Arrow type as."""
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "string"
    if pa.types.is_float64(arrow):
        return "double"
    if pa.types.is_timestamp(arrow):
        return "timestamp"
    if pa.types.is_int64(arrow):
        return "bigint"
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_list(arrow):
        return f"array<{glue_type(arrow.value_type)}>"
    if pa.types.is_struct(arrow):
        return "struct<" + ",".join(f"{f.name}:{glue_type(f.type)}" for f in arrow) + ">"
    raise AssertionError(f"no declared type for Arrow {arrow}")


def written_schema(root) -> tuple[list[tuple[str, str]], list[str]]:
    """(columns, partition directory levels) of the Parquet files below `root`."""
    files = sorted(root.rglob("*.parquet"))
    assert files, f"the job wrote nothing under {root}"
    schemas = {tuple((f.name, glue_type(f.type)) for f in pq.read_schema(p)) for p in files}
    assert len(schemas) == 1, f"files under {root} disagree: {schemas}"
    levels = [part.split("=")[0] for part in files[0].relative_to(root).parts[:-1]]
    return list(schemas.pop()), levels


def test_lake_and_quarantine_files_are_the_declared_tables(spark, locations) -> None:
    """Every type's files hold the common columns, then its write group's typed columns: its
    own table's columns by name and type, and the other types' all null. The unplanned type's
    files join the first group."""
    made = make_events(tracking_plan(), random.Random(7), at("2026-11-24T08:00:00").timestamp())
    lines = [json.dumps(e) for e in made.values()]
    lines += [event(1, "2026-11-24T08:00:00", "wishlist:item:added")]
    lines += ['{"event_uuid": "not-a-uuid", "event_name": "a:b"}']
    firehose_object(locations.raw, "2026-11-24T08:00:10", lines)
    run_day_job(spark, locations.config())

    lake = locations.lake / "events" / "event_date=2026-11-24"
    (group,) = lake_file_groups(tracking_plan().types)
    in_files = [(c.name, c.type) for c in (*table(EVENTS).columns, *group.typed)]
    for name in [*made, "wishlist"]:
        own = table(f"events_{name}") if name in made else table(EVENTS)
        columns, _ = written_schema(lake / f"event_type={name}")
        assert columns == in_files, f"event_type={name}: the files' columns drifted"
        assert {(c.name, c.type) for c in own.columns} <= set(in_files), name
        others = set(own.column_names) ^ {n for n, _ in in_files}
        for file in (lake / f"event_type={name}").rglob("*.parquet"):
            rows = pq.read_table(file, columns=sorted(others))
            assert all(rows.column(c).null_count == rows.num_rows for c in others), file
    columns, _ = written_schema(locations.quarantine / "events")
    assert columns == [(c.name, c.type) for c in table(QUARANTINE).columns], "quarantine drifted"
    for name, root in ((EVENTS, locations.lake), (QUARANTINE, locations.quarantine)):
        for file in (root / "events").rglob("*.parquet"):
            levels = [part.split("=")[0] for part in file.relative_to(root / "events").parts[:-1]]
            assert levels == list(table(name).partition_names), f"{name} levels drifted: {file}"


def test_types_that_type_a_field_two_ways_are_written_apart(spark, locations) -> None:
    """`amount` is a number for payment and a string for refund: two writes, each type's
    files with its own `amount`, and each value where it belongs."""
    plan = parse_plan(
        {"version": 1},
        {
            "payment.json": {
                "type": "payment",
                "names": ["payment:made"],
                "fields": {"amount": {"type": "number", "required": True}},
            },
            "refund.json": {
                "type": "refund",
                "names": ["refund:issued"],
                "fields": {"amount": {"type": "string"}, "note": {"type": "string"}},
            },
        },
    )
    lines = [
        event(1, "2026-11-24T08:00:00", "payment:made", amount=12.5),
        event(2, "2026-11-24T08:00:01", "refund:issued", amount="12.50 EUR", note="late"),
    ]
    firehose_object(locations.raw, "2026-11-24T08:00:10", lines)
    run_day_job(spark, locations.config(), plan=plan)

    lake = locations.lake / "events" / "event_date=2026-11-24"
    payment, _ = written_schema(lake / "event_type=payment")
    refund, _ = written_schema(lake / "event_type=refund")
    assert payment[-1] == ("amount", "double")
    assert ("note", "string") not in payment
    assert refund[-2:] == [("amount", "string"), ("note", "string")]
    read = {
        t: pq.read_table(next((lake / f"event_type={t}").rglob("*.parquet"))).to_pylist()
        for t in ("payment", "refund")
    }
    assert [r["amount"] for r in read["payment"]] == [12.5]
    assert [(r["amount"], r["note"]) for r in read["refund"]] == [("12.50 EUR", "late")]


def make_events(plan, rng: random.Random, created_at: float) -> dict[str, dict]:
    """One event of every planned type, with every declared field (the generator's values)."""
    made = {}
    for n, decl in enumerate(plan.types):
        body = generator.make_event(rng, created_at)
        while not body["event_name"].startswith(f"{decl.name}:"):
            body = generator.make_event(rng, created_at)
        made[decl.name] = {**body, "event_uuid": f"00000000-0000-4000-8000-{100 + n:012d}"}
    return made


def glue_of(annotation: typing.Any) -> str:
    """The Glue type the manifests table declares for a Manifest field's annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return glue_of(inner)
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map<{glue_of(key)},{glue_of(value)}>"
    if origin is list:
        return f"array<{glue_of(typing.get_args(annotation)[0])}>"
    if dataclasses.is_dataclass(annotation):
        hints = typing.get_type_hints(annotation)
        fields = ",".join(
            f"{f.name}:{glue_of(hints[f.name])}" for f in dataclasses.fields(annotation)
        )
        return f"struct<{fields}>"
    return {str: "string", int: "bigint", bool: "boolean", float: "double"}[annotation]


def test_the_manifests_table_declares_the_manifests_fields_and_types() -> None:
    hints = typing.get_type_hints(Manifest)
    declared = table(MANIFESTS)
    assert "run_date" in declared.partition_names
    assert "run_date" not in declared.column_names
    for column in declared.columns:
        assert column.name in hints, f"the manifest has no field {column.name}"
        expected = glue_of(hints[column.name])
        # manifest_version is small enough for an int; every other number is a bigint.
        assert column.type == expected or (column.type, expected) == ("int", "bigint"), column.name
