"""The local catalog: a DuckDB file with views over the lake, the quarantine and the manifests.

    duckdb .local/catalog.duckdb "SELECT event_date, count(*) FROM events GROUP BY 1 ORDER BY 1"

The views hold only SQL with absolute paths, so the file stays tiny and always shows what is
on disk now. It is rebuilt in a temp file and swapped in, so a reader never sees half of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from eventlake.core.layout import (
    join_uri,
    lake_events_uri,
    local_path,
    quarantine_events_uri,
    storage_layout,
)

EMPTY_EVENTS = (
    "SELECT NULL::VARCHAR AS event_uuid, NULL::VARCHAR AS event_name, NULL::DOUBLE AS created_at, "
    "NULL::VARCHAR AS created_datetime, NULL::VARCHAR AS event_subtype, NULL::VARCHAR AS payload, "
    "NULL::VARCHAR AS source_key, NULL::TIMESTAMPTZ AS arrival_ts, NULL::DATE AS event_date, "
    "NULL::VARCHAR AS event_type, NULL::DATE AS run_date WHERE false"
)
EMPTY_QUARANTINE = (
    "SELECT NULL::VARCHAR AS raw_record, NULL::VARCHAR AS raw_record_base64, "
    "NULL::VARCHAR AS reason, NULL::VARCHAR AS reason_field, "
    "NULL::VARCHAR AS source_key, NULL::TIMESTAMPTZ AS arrival_ts, NULL::DATE AS run_date WHERE false"
)
EMPTY_MANIFESTS = "SELECT NULL::VARCHAR AS run_date WHERE false"
EMPTY_SCANS = "SELECT NULL::VARCHAR AS event_date, NULL::VARCHAR AS outcome WHERE false"


@dataclass(frozen=True)
class CatalogView:
    name: str
    glob: str
    reader: str  # SQL with {glob}
    empty: str


def _q(text: str) -> str:
    return text.replace("'", "''")


def catalog_views(lake_uri: str, quarantine_uri: str, reports_uri: str) -> list[CatalogView]:
    reports = storage_layout()["reports"]
    lake = local_path(lake_events_uri(lake_uri))
    quarantine = local_path(quarantine_events_uri(quarantine_uri))
    manifests = local_path(join_uri(reports_uri, reports["manifests_root"]))
    scans = local_path(join_uri(reports_uri, reports["soda_root"]))
    parquet = "read_parquet('{glob}', hive_partitioning = true, union_by_name = true)"
    json_docs = "read_json_auto('{glob}', union_by_name = true, maximum_object_size = 268435456)"
    return [
        CatalogView("events", str(lake / "*" / "*" / "*" / "*.parquet"), parquet, EMPTY_EVENTS),
        CatalogView(
            "quarantine", str(quarantine / "*" / "*" / "*.parquet"), parquet, EMPTY_QUARANTINE
        ),
        CatalogView(
            "manifests", str(manifests / "*" / "manifest.json"), json_docs, EMPTY_MANIFESTS
        ),
        CatalogView("soda_scans", str(scans / "*" / "scan.json"), json_docs, EMPTY_SCANS),
    ]


def build_local_catalog(
    catalog_path: str | Path, lake_uri: str, quarantine_uri: str, reports_uri: str
) -> dict[str, int]:
    """(Re)write the catalog file; returns the row count of every view."""
    import duckdb

    target = Path(catalog_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(tmp)) as con:
        for view in catalog_views(lake_uri, quarantine_uri, reports_uri):
            glob = _q(view.glob)
            has_files = con.execute(f"SELECT count(*) FROM glob('{glob}')").fetchone()[0] > 0
            body = f"SELECT * FROM {view.reader.format(glob=glob)}" if has_files else view.empty
            con.execute(f"CREATE OR REPLACE VIEW {view.name} AS {body}")
            counts[view.name] = con.execute(f"SELECT count(*) FROM {view.name}").fetchone()[0]
    os.replace(tmp, target)
    return counts
