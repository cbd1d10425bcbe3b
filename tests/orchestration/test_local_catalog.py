"""The local catalog, the Glue catalog's twin: declared types, registered partitions only,
write-audit-publish, and idempotent reruns."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from eventlake.core.manifest import Manifest
from eventlake.core.tables import duckdb_type, tables
from eventlake.orchestration.duckdb_catalog import DuckDBCatalog
from tests.quality.conftest import DAY, TinyLake

EARLIER = date(2026, 11, 23)


def catalog_of(lake: TinyLake) -> DuckDBCatalog:
    buckets = {
        "lake": lake.lake_uri,
        "quarantine": str(lake.root / "q"),
        "reports": lake.reports_uri,
    }
    return DuckDBCatalog(lake.catalog_path, buckets, lake.reports_uri)


def count(lake: TinyLake, sql: str, *params) -> int:
    with duckdb.connect(lake.catalog_path, read_only=True) as con:
        return con.execute(sql, list(params)).fetchone()[0]


def test_events_shows_only_published_runs_and_events_audit_every_registered_one(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    lake.good_day(EARLIER, n=12)
    lake.good_day(n=30)
    catalog = catalog_of(lake)

    catalog.register(Manifest.read(lake.reports_uri, EARLIER))
    catalog.publish(EARLIER)
    catalog.register(Manifest.read(lake.reports_uri, DAY))  # audited, not yet published

    assert count(lake, "SELECT count(*) FROM events_audit") == 42
    assert count(lake, "SELECT count(*) FROM events") == 12, "run D is visible before its audit"
    assert count(lake, "SELECT count(*) FROM manifests") == 2
    catalog.publish(DAY)
    by_day = dict(
        duckdb.connect(lake.catalog_path, read_only=True)
        .execute("SELECT event_date, count(*) FROM events GROUP BY 1")
        .fetchall()
    )
    assert by_day == {DAY: 30, EARLIER: 12}


def test_files_of_an_unregistered_partition_stay_invisible(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    lake.good_day(n=30)
    catalog_of(lake).register(Manifest.read(lake.reports_uri, DAY))
    lake.good_day(EARLIER, n=5)  # on disk, but no step registered its run
    assert count(lake, "SELECT count(*) FROM events_audit") == 30


def test_a_rerun_replaces_exactly_run_ds_partitions(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    lake.good_day(n=30)
    catalog = catalog_of(lake)
    manifest = Manifest.read(lake.reports_uri, DAY)
    first = catalog.register(manifest)
    again = catalog.register(manifest)
    assert again["events_audit"].added == 0, "a rerun registered run D twice"
    assert again["events_audit"].partitions == first["events_audit"].partitions
    none_left = replace(manifest, lake_partitions=[])  # the rerun wrote no events
    assert catalog.register(none_left)["events_audit"].removed == 1
    assert count(lake, "SELECT count(*) FROM events_audit") == 0


def described_type(con, duck_type: str) -> str:
    """A DuckDB type as DESCRIBE prints it (it quotes only the struct fields that need it)."""
    return con.execute(f"DESCRIBE SELECT NULL::{duck_type} AS c").fetchone()[1]


def test_views_have_the_declared_types(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    lake.good_day(n=3)
    catalog_of(lake).register(Manifest.read(lake.reports_uri, DAY))
    with duckdb.connect(lake.catalog_path, read_only=True) as con:
        for spec in tables().values():
            described = {r[0]: r[1] for r in con.execute(f"DESCRIBE {spec.name}").fetchall()}
            for column in (*spec.columns, *spec.partition_keys):
                want = described_type(con, duckdb_type(column.type))
                assert described[column.name] == want, f"{spec.name}.{column.name}"


@pytest.mark.parametrize("registered", [True, False])
def test_an_empty_lake_still_gives_queryable_views(tmp_path, registered) -> None:
    lake = TinyLake(tmp_path)
    catalog = catalog_of(lake)
    if registered:
        lake.manifest(DAY, 0)
        catalog.register(Manifest.read(lake.reports_uri, DAY))
    else:
        catalog.ensure_exists()
    assert count(lake, "SELECT count(*) FROM events WHERE event_date = ?", DAY) == 0
    assert set(catalog.counts()) == {*tables(), "soda_scans"}
    assert json.loads(json.dumps(catalog.counts()))["events_audit"] == 0
