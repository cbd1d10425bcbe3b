"""Hand-made raw objects, locations and readers for the day-job tests."""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from eventlake.core import layout
from eventlake.core.job_params import DayJobParams

STREAM = "test-stream"
DAY = date(2026, 11, 24)


@dataclass(frozen=True)
class Locations:
    raw: Path
    lake: Path
    quarantine: Path
    reports: Path

    def config(self, run_date: date = DAY, **overrides: Any) -> DayJobParams:
        return DayJobParams(
            run_date,
            str(self.raw),
            str(self.lake),
            str(self.quarantine),
            str(self.reports),
            **overrides,
        )


def make_locations(root: Path, raw: Path | None = None) -> Locations:
    return Locations(raw or root / "raw", root / "lake", root / "quarantine", root / "reports")


def at(text: str) -> datetime:
    """'2026-11-24T13:05:00' -> an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(uuid_tail: int, created: str, name: str = "account:created", **extra: Any) -> str:
    """A valid event's JSON text with a predictable uuid."""
    body = {
        "event_uuid": f"00000000-0000-4000-8000-{uuid_tail:012d}",
        "event_name": name,
        "created_at": at(created).timestamp(),
        **extra,
    }
    return json.dumps(body, separators=(",", ":"))


def write_object(raw: Path, key: str, lines: list[str] | str) -> str:
    """Write a gzip raw object; a list is joined with newlines, a str is written as is."""
    body = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
    path = raw / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(body.encode("utf-8")))
    return key


def firehose_object(raw: Path, arrival: str, lines: list[str] | str, rid: str = "a") -> str:
    key = layout.raw_object_key(STREAM, at(arrival), random_id=f"{rid}-0000")
    return write_object(raw, key, lines)


def error_object(raw: Path, arrival: str, records: list[str], rid: str = "e") -> str:
    """An object in Firehose's processing-failed error format (base64 rawData per line)."""
    lines = [
        json.dumps(
            {
                "attemptsMade": 1,
                "arrivalTimestamp": int(at(arrival).timestamp() * 1000),
                "errorCode": "Lambda.ProcessingFailed",
                "errorMessage": "rejected by the transform",
                "rawData": base64.b64encode(r.encode()).decode(),
                "lambdaArn": "arn:aws:lambda:eu-west-1:123456789012:function:transform",
            }
        )
        for r in records
    ]
    key = layout.error_object_key(STREAM, at(arrival), "processing-failed", random_id=f"{rid}-0000")
    return write_object(raw, key, lines)


def read_manifest(locations: Locations, run_date: date = DAY) -> dict[str, Any]:
    return json.loads(
        layout.local_path(layout.manifest_uri(str(locations.reports), run_date)).read_text()
    )


def lake_rows(spark: Any, locations: Locations) -> list[tuple]:
    """Every lake row as a sorted list of tuples (partition columns and every type's typed
    columns included: each event type's files have their own)."""
    root = locations.lake / "events"
    if not root.exists() or not any(root.rglob("*.parquet")):
        return []
    df = spark.read.option("mergeSchema", "true").parquet(str(root))
    columns = sorted(df.columns)
    return sorted((tuple(r) for r in df.select(*columns).collect()), key=repr)


def quarantine_rows(spark: Any, locations: Locations, run_date: date = DAY) -> list[Any]:
    folder = locations.quarantine / "events" / f"run_date={run_date.isoformat()}"
    if not folder.exists() or not any(folder.rglob("*.parquet")):
        return []
    return spark.read.parquet(str(folder)).collect()
