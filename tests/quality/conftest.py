"""A tiny Parquet lake and manifest in the day job's layout, written with pyarrow (no Spark),
registered in a local catalog the way the DAG's register_partitions step does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventlake.core.contract import created_datetime, split_event_name
from eventlake.core.layout import lake_events_uri, local_path, manifest_uri
from eventlake.core.manifest import (
    Counts,
    Manifest,
    PartitionEntry,
    RawObjects,
    Reconciliation,
    UnreadableObject,
)
from eventlake.core.tables import EVENTS, GlueType, parse_glue_type, table
from eventlake.orchestration.duckdb_catalog import DuckDBCatalog

DAY = date(2026, 11, 24)


def lake_row(
    created_at: float,
    name: str = "page:view:home",
    arrival_delay_s: float = 30.0,
    event_uuid: str | None = None,
    violations: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "event_uuid": event_uuid or str(uuid.uuid4()),
        "event_name": name,
        "created_at": created_at,
        "created_ts": datetime.fromtimestamp(created_at, UTC),
        "created_datetime": created_datetime(created_at),
        "event_subtype": split_event_name(name)[1],
        "schema_violations": list(violations),
        "payload": "{}",
        "payload_hash": 0,
        "source_key": "events/2026/11/24/00/x.gz",
        "arrival_ts": datetime.fromtimestamp(created_at + arrival_delay_s, UTC),
    }


def spread_over_day(day: date, n: int) -> list[float]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    return [start + 60 + i * (86400 - 120) / max(n - 1, 1) for i in range(n)]


class TinyLake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lake_uri = str(root / "lake")
        self.reports_uri = str(root / "reports")
        self.catalog_path = str(root / "catalog.duckdb")

    def register(self) -> None:
        """Register every run's partitions, as register_partitions does after each run."""
        catalog = DuckDBCatalog(
            self.catalog_path,
            {"lake": self.lake_uri, "quarantine": str(self.root / "quarantine"),
             "reports": self.reports_uri},
            self.reports_uri,
        )  # fmt: skip
        catalog.ensure_exists()
        manifests = local_path(self.reports_uri) / "manifests"
        for folder in sorted(manifests.glob("run_date=*")):
            day = date.fromisoformat(folder.name.removeprefix("run_date="))
            catalog.register(Manifest.read(self.reports_uri, day))

    def write(
        self,
        rows: list[dict[str, Any]],
        event_date: date = DAY,
        run_date: date | None = None,
        name: str = "part-0",
    ) -> Path:
        run_date = run_date or event_date
        event_type = rows[0]["event_name"].split(":")[0]
        folder = (
            local_path(lake_events_uri(self.lake_uri))
            / f"event_date={event_date.isoformat()}"
            / f"event_type={event_type}"
            / f"run_date={run_date.isoformat()}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows, schema=SCHEMA)
        pq.write_table(table, folder / f"{name}.parquet")
        return folder / f"{name}.parquet"

    def manifest(
        self,
        run_date: date,
        written_for_day: int,
        *,
        raw_in: int | None = None,
        quarantined: int = 0,
        accounted: int | None = None,
        unreadable_keys: tuple[str, ...] = (),
        rows_by_type: dict[str, int] | None = None,
    ) -> None:
        raw_in = raw_in if raw_in is not None else written_for_day + quarantined
        accounted = raw_in if accounted is None else accounted
        rows_by_type = rows_by_type or {"page": written_for_day}
        manifest = Manifest(
            run_date=run_date,
            started_at="",
            finished_at="",
            window={},
            config={},
            raw_objects=RawObjects(),
            counts=Counts(raw_records_in=raw_in, written=written_for_day, quarantined=quarantined),
            late_events_by_partition={},
            future_events_by_partition={},
            lake_partitions=[
                PartitionEntry(f"event_date={run_date.isoformat()}/event_type={t}", 1, 1, n)
                for t, n in rows_by_type.items()
            ],
            quarantine_partitions=[],
            reconciliation=Reconciliation(
                raw_records_in=raw_in,
                accounted=accounted,
                lake_rows_in_files=written_for_day,
                quarantine_rows_in_files=quarantined,
                balanced=accounted == raw_in,
            ),
            unreadable_objects=[
                UnreadableObject(
                    key,
                    1,
                    "",
                    "owned",
                    "firehose",
                    "object_name",
                    "java.io.EOFException",
                    f"q/{key}",
                )
                for key in unreadable_keys
            ],
        )
        path = local_path(manifest_uri(self.reports_uri, run_date))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(manifest.to_json())

    def good_day(self, day: date = DAY, n: int = 200) -> list[dict[str, Any]]:
        rows = [lake_row(t) for t in spread_over_day(day, n)]
        self.write(rows, event_date=day)
        self.manifest(day, n, raw_in=n + 1, quarantined=1)
        return rows


def arrow_type(glue: GlueType | str) -> pa.DataType:
    """The Arrow type the day job's Parquet files have for a Glue type."""
    glue = parse_glue_type(glue) if isinstance(glue, str) else glue
    if glue.kind == "array":
        return pa.list_(arrow_type(glue.args[0]))
    if glue.kind == "struct":
        return pa.struct([(n, arrow_type(a)) for n, a in zip(glue.names, glue.args, strict=True)])
    scalars = {
        "string": pa.string(),
        "double": pa.float64(),
        "bigint": pa.int64(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return scalars[glue.kind]


# The events table's declared columns, as the day job writes them.
SCHEMA = pa.schema([(c.name, arrow_type(c.type)) for c in table(EVENTS).columns])


@pytest.fixture
def tiny_lake(tmp_path: Path) -> TinyLake:
    return TinyLake(tmp_path)


@pytest.fixture
def scan_day() -> Callable[..., tuple[int, dict[str, Any]]]:
    """Run the scan CLI in-process; returns (exit code, JSON report)."""
    from eventlake.quality import scan

    def run(lake: TinyLake, day: date = DAY, *extra: str) -> tuple[int, dict[str, Any]]:
        lake.register()
        code = scan.main(
            ["--target", "local", "--event_date", day.isoformat(), "--catalog_path",
             lake.catalog_path, "--reports_uri", lake.reports_uri, *extra]
        )  # fmt: skip
        report_path = lake.root / "reports" / "soda" / f"event_date={day.isoformat()}" / "scan.json"
        return code, json.loads(report_path.read_text())

    return run


def failed_names(report: dict[str, Any]) -> set[str]:
    return {c["name"] for c in report["checks"] if c["outcome"] == "failed"}


def warned_names(report: dict[str, Any]) -> set[str]:
    return {c["name"] for c in report["checks"] if c["outcome"] == "warned"}


__all__ = [
    "DAY",
    "TinyLake",
    "failed_names",
    "lake_row",
    "spread_over_day",
    "timedelta",
    "warned_names",
]
