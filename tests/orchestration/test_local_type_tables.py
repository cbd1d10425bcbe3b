"""The per-type tables events_<type> in the local catalog: over the same files as events (their
type's partitions only), typed by the tracking plan, published with events; and the parser
that maps Glue types to DuckDB's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventlake.core.layout import lake_events_uri, local_path, manifest_uri
from eventlake.core.manifest import Counts, Manifest, PartitionEntry, RawObjects, Reconciliation
from eventlake.core.tables import (
    EVENTS,
    GlueType,
    Table,
    duckdb_type,
    parse_glue_type,
    table,
)
from tests.orchestration.test_local_catalog import catalog_of, described_type
from tests.quality.conftest import DAY, TinyLake, arrow_type, lake_row, spread_over_day

EARLIER = date(2026, 11, 23)
AMOUNTS = [12.5, 7.25, 100.0]


# --- Glue types ---


@pytest.mark.parametrize(
    ("glue", "duck"),
    [
        ("string", "VARCHAR"),
        ("timestamp", "TIMESTAMP WITH TIME ZONE"),
        ("array<string>", "VARCHAR[]"),
        ("array<struct<sku:string,qty:bigint>>", 'STRUCT("sku" VARCHAR, "qty" BIGINT)[]'),
        ("map<string,map<string,bigint>>", "MAP(VARCHAR, MAP(VARCHAR, BIGINT))"),
        ("struct<n: bigint, at: array<date>>", 'STRUCT("n" BIGINT, "at" DATE[])'),
    ],
)  # fmt: skip
def test_glue_types_map_to_duckdb_types(glue, duck) -> None:
    assert duckdb_type(glue) == duck
    duckdb.execute(f"SELECT NULL::{duck}")  # DuckDB reads it


def test_the_parser_gives_the_tree() -> None:
    parsed = parse_glue_type("map<string,array<struct<partition:string,rows:bigint>>>")
    element = GlueType("struct", (GlueType("string"), GlueType("bigint")), ("partition", "rows"))
    assert parsed == GlueType("map", (GlueType("string"), GlueType("array", (element,))))


@pytest.mark.parametrize(
    "text",
    ["", "array<", "array<string", "array<string>>", "map<string>", "array<string,bigint>",
     "struct<>", "struct<a string>", "struct<:string>", "decimal(10,2)", "string string"],
)  # fmt: skip
def test_the_parser_refuses_what_is_not_a_glue_type(text) -> None:
    with pytest.raises(ValueError, match="not a Glue type"):
        parse_glue_type(text)


def test_a_type_without_a_duckdb_twin_is_refused() -> None:
    with pytest.raises(ValueError, match="no DuckDB twin"):
        duckdb_type("array<tinyint>")


# --- the per-type views ---


def write_partition(
    lake: TinyLake, spec: Table, rows: list[dict], day: date, without: tuple[str, ...] = ()
) -> PartitionEntry:
    """One file with exactly `spec`'s columns (less `without`), as the day job writes them."""
    partition = f"event_date={day}/event_type={rows[0]['event_name'].split(':')[0]}"
    folder = local_path(lake_events_uri(lake.lake_uri)) / partition / f"run_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    schema = pa.schema(
        [
            (c.name, arrow_type(parse_glue_type(c.type)))
            for c in spec.columns
            if c.name not in without
        ]
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-0.parquet")
    return PartitionEntry(partition, 1, 1, len(rows))


def write_manifest(lake: TinyLake, day: date, partitions: list[PartitionEntry]) -> Manifest:
    written = sum(p.rows for p in partitions)
    manifest = Manifest(
        run_date=day, started_at="", finished_at="", window={}, config={},
        raw_objects=RawObjects(), counts=Counts(raw_records_in=written, written=written),
        late_events_by_partition={}, future_events_by_partition={},
        lake_partitions=partitions, quarantine_partitions=[],
        reconciliation=Reconciliation(written, written, written, 0, True),
    )  # fmt: skip
    path = local_path(manifest_uri(lake.reports_uri, day))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest.to_json())
    return manifest


def payments(day: date, amounts: list[float]) -> list[dict]:
    times = spread_over_day(day, len(amounts))
    return [
        lake_row(t, "payment:order:created")
        | {"schema_violations": [], "user_id": f"u{i}", "order_id": f"o{i}", "amount": amount,
           "currency": "eur", "items": [{"sku": f"sku-{i}", "qty": i + 1}]}
        for i, (t, amount) in enumerate(zip(times, amounts, strict=True))
    ]  # fmt: skip


def a_day(lake: TinyLake, day: date = DAY) -> Manifest:
    """Two planned types (payment, search) and one the plan does not know (page)."""
    searches = [
        lake_row(t, "search:query:submitted") | {"query": "duckdb", "results": 3}
        for t in spread_over_day(day, 2)
    ]
    pages = [lake_row(t) for t in spread_over_day(day, 4)]
    return write_manifest(
        lake,
        day,
        [
            write_partition(lake, table("events_payment"), payments(day, AMOUNTS), day),
            write_partition(lake, table("events_search"), searches, day),
            write_partition(lake, table(EVENTS), pages, day),
        ],
    )


def query(lake: TinyLake, sql: str, *params) -> list[tuple]:
    with duckdb.connect(lake.catalog_path, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_a_type_table_shows_its_published_partitions_with_the_typed_columns(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    catalog = catalog_of(lake)
    catalog.register(a_day(lake))
    assert query(lake, "SELECT count(*) FROM events_audit") == [(9,)]
    assert query(lake, "SELECT count(*) FROM events_payment") == [(0,)], "visible before publish"

    results = catalog.publish(DAY)

    assert {n: r.partitions for n, r in results.items() if r.partitions} == {
        "events": 3, "events_payment": 1, "events_search": 1,
    }  # fmt: skip
    total = "SELECT sum(amount) FROM events_payment WHERE event_date = DATE '2026-11-24'"
    assert query(lake, total) == [(sum(AMOUNTS),)]
    assert query(lake, "SELECT DISTINCT event_type FROM events_payment") == [("payment",)]
    assert query(lake, "SELECT count(*), sum(results) FROM events_search") == [(2, 6)]
    assert query(lake, "SELECT count(*) FROM events") == [(9,)], "page is in events only"
    first = "SELECT items[1].sku, items[1].qty FROM events_payment ORDER BY order_id LIMIT 1"
    assert query(lake, first) == [("sku-0", 1)]
    with duckdb.connect(lake.catalog_path, read_only=True) as con:
        described = {r[0]: r[1] for r in con.execute("DESCRIBE events_payment").fetchall()}
        spec = table("events_payment")
        assert list(described) == [*spec.column_names, *spec.partition_names]
        for column in spec.columns:
            want = described_type(con, duckdb_type(column.type))
            assert described[column.name] == want, column.name
        assert described["items"] == "STRUCT(sku VARCHAR, qty BIGINT)[]"


def test_a_rerun_of_publish_changes_nothing_and_a_rerun_of_the_day_drops_what_it_no_longer_writes(
    tmp_path,
) -> None:
    lake = TinyLake(tmp_path)
    catalog = catalog_of(lake)
    manifest = a_day(lake)
    catalog.register(manifest)
    first = catalog.publish(DAY)
    again = catalog.publish(DAY)
    assert again == {n: replace(r, added=0) for n, r in first.items()}
    assert query(lake, "SELECT count(*) FROM events_payment") == [(3,)]

    without_search = [p for p in manifest.lake_partitions if "event_type=search" not in p.partition]
    catalog.register(replace(manifest, lake_partitions=without_search))
    rerun = catalog.publish(DAY)
    assert (rerun["events_search"].removed, rerun["events_search"].partitions) == (1, 0)
    assert rerun["events_payment"].removed == 0
    assert query(lake, "SELECT count(*) FROM events_search") == [(0,)]
    assert query(lake, "SELECT count(*) FROM events") == [(7,)]


def test_older_files_without_a_newer_column_read_null(tmp_path) -> None:
    """Schema evolution: a field added to the plan (and schema_violations, added to events)
    is missing from the files written before; the views read it as NULL there."""
    lake = TinyLake(tmp_path)
    catalog = catalog_of(lake)
    older = ("currency", "schema_violations")
    for day, without in ((EARLIER, older), (DAY, ())):
        entry = write_partition(lake, table("events_payment"), payments(day, AMOUNTS), day, without)
        catalog.register(write_manifest(lake, day, [entry]))
        catalog.publish(day)

    by_day = "SELECT event_date, count(currency), count(*) FROM {} GROUP BY 1 ORDER BY 1"
    assert query(lake, by_day.format("events_payment")) == [(EARLIER, 0, 3), (DAY, 3, 3)]
    violations = "SELECT event_date, count(schema_violations) FROM {} GROUP BY 1 ORDER BY 1"
    for view in ("events", "events_audit", "events_payment"):
        assert query(lake, violations.format(view)) == [(EARLIER, 0), (DAY, 3)], view


def test_a_planned_column_no_file_has_yet_reads_null(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    catalog = catalog_of(lake)
    entry = write_partition(lake, table("events_payment"), payments(DAY, AMOUNTS), DAY, ("items",))
    catalog.register(write_manifest(lake, DAY, [entry]))
    catalog.publish(DAY)
    assert query(lake, "SELECT count(*), count(items) FROM events_payment") == [(3, 0)]


def test_the_manifests_view_has_the_nested_types(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    catalog_of(lake).register(a_day(lake))
    rows = query(
        lake, "SELECT counts.written, reconciliation.balanced, lake_partitions FROM manifests"
    )
    ((written, balanced, partitions),) = rows
    assert (written, balanced) == (9, True)
    assert sorted(p["rows"] for p in partitions) == [2, 3, 4]
