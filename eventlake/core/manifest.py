"""The run manifest: run D's counts, which reconcile every raw record, written last by the job.

One typed writer (`Manifest.to_json`, used by the day job) and one reader (`Manifest.read`,
used by the DAG, the Soda scan, the demo and the tests). The JSON keeps these field names.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from eventlake.core import storage
from eventlake.core.layout import manifest_uri

MANIFEST_VERSION = 1
RECONCILIATION_EQUATION = (
    "raw_records_in = written + invalid + natural_duplicates + synthetic_duplicates"
    " + duplicates_in_lake + synthetic_duplicates_in_lake + deferred"
)


class ManifestMissing(RuntimeError):
    """The day job finished but wrote no manifest: its output cannot be trusted."""


@dataclass(frozen=True)
class Counts:
    """What happened to run D's raw records. Every record has exactly one outcome."""

    raw_records_in: int = 0
    raw_records_owned: int = 0
    raw_records_peeked: int = 0
    blank_lines: int = 0
    valid: int = 0
    written: int = 0
    invalid: int = 0
    invalid_by_reason: dict[str, int] = field(default_factory=dict)
    natural_duplicates: int = 0
    synthetic_duplicates: int = 0
    duplicates_in_lake: int = 0
    synthetic_duplicates_in_lake: int = 0
    deferred: int = 0
    quarantined: int = 0
    unreadable_objects: int = 0

    @property
    def accounted(self) -> int:
        """The right-hand side of the reconciliation equation."""
        return (
            self.written
            + self.invalid
            + self.natural_duplicates
            + self.synthetic_duplicates
            + self.duplicates_in_lake
            + self.synthetic_duplicates_in_lake
            + self.deferred
        )


@dataclass(frozen=True)
class Reconciliation:
    raw_records_in: int
    accounted: int
    lake_rows_in_files: int
    quarantine_rows_in_files: int
    balanced: bool
    equation: str = RECONCILIATION_EQUATION


@dataclass(frozen=True)
class RawObjectRef:
    """A raw object in run D's window, as the listing found it."""

    key: str
    bytes: int
    arrival: str
    role: str  # owned or peeked
    origin: str  # firehose or processing-failed
    arrival_from: str  # object_name or hour_prefix


@dataclass(frozen=True)
class RawObjectEntry(RawObjectRef):
    """A raw object run D read, with its records."""

    records: int = 0
    blank_lines: int = 0


@dataclass(frozen=True)
class RawObjects:
    owned: int = 0
    peeked: int = 0
    named_by_hour_prefix: int = 0
    bytes: int = 0
    objects: list[RawObjectEntry] = field(default_factory=list)


@dataclass(frozen=True)
class UnreadableObject(RawObjectRef):
    """A raw object Spark could not read, copied byte for byte into the quarantine."""

    reason: str
    copied_to: str


@dataclass(frozen=True)
class PartitionEntry:
    """One directory run D wrote: `event_date=X/event_type=Y` (lake) or `reason=R`."""

    partition: str
    files: int
    bytes: int
    rows: int
    run_dir: str | None = None  # lake only: event_date=X/event_type=Y/run_date=D


@dataclass(frozen=True)
class DayFigures:
    """What the day report plots beyond the counts (empty in manifests written before it)."""

    written_by_created_hour: dict[str, int] = field(default_factory=dict)  # "YYYY-MM-DDTHH"
    quarantine_examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> raw


@dataclass(frozen=True)
class Manifest:
    run_date: date
    started_at: str
    finished_at: str
    window: dict[str, list[str]]
    config: dict[str, Any]
    raw_objects: RawObjects
    counts: Counts
    late_events_by_partition: dict[str, int]
    future_events_by_partition: dict[str, int]
    lake_partitions: list[PartitionEntry]
    quarantine_partitions: list[PartitionEntry]
    reconciliation: Reconciliation
    lookback_directories_read: int = 0
    job_run_id: str | None = None  # the Glue (or local) run that wrote this manifest
    unreadable_objects: list[UnreadableObject] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    figures: DayFigures = field(default_factory=DayFigures)
    # Tracking-plan violations of the events run D accepted: event_name -> reason -> entries.
    schema_violations: dict[str, dict[str, int]] = field(default_factory=dict)
    manifest_version: int = MANIFEST_VERSION

    # --- questions the DAG, Soda and the demo ask ---

    def rows_written_for(self, event_date: date) -> int:
        """Rows run D wrote into the partitions of one event_date."""
        prefix = f"event_date={event_date.isoformat()}/"
        return sum(p.rows for p in self.lake_partitions if p.partition.startswith(prefix))

    @property
    def unaccounted_records(self) -> int:
        """raw_records_in minus every outcome: 0 when nothing was lost or doubled."""
        return self.reconciliation.raw_records_in - self.reconciliation.accounted

    @property
    def quarantine_ratio(self) -> float:
        records = self.counts.raw_records_in
        return self.counts.quarantined / records if records else 0.0

    @property
    def late_events(self) -> int:
        return sum(self.late_events_by_partition.values())

    def summary_lines(self) -> list[str]:
        """The lines an on-call engineer wants in the run_day_job log."""
        c, rec = self.counts, self.reconciliation
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(c.invalid_by_reason.items()))
        unreadable = [
            f"  UNREADABLE raw object {o.key} ({o.reason}), copied to {o.copied_to}"
            for o in self.unreadable_objects
        ]
        lines = [
            f"run_date {self.run_date.isoformat()}: {c.raw_records_in} raw records in "
            f"({c.raw_records_owned} owned, {c.raw_records_peeked} from the grace)",
            f"  written to the lake: {c.written} (late events for earlier days: {self.late_events})",
            f"  duplicates dropped: natural {c.natural_duplicates}, already in lake "
            f"{c.duplicates_in_lake}; quarantined {c.quarantined} (invalid {c.invalid}, "
            f"synthetic duplicates {c.synthetic_duplicates}, of the lake "
            f"{c.synthetic_duplicates_in_lake})",
            f"  invalid by reason: {reasons or 'none'}",
            f"  deferred to the next run: {c.deferred}",
            f"  tracking plan: {self.violation_line()}",
            f"  reconciled: {rec.balanced} ({rec.raw_records_in} in = {rec.accounted} accounted)",
        ]
        return lines[:1] + unreadable + lines[1:]

    def violation_line(self) -> str:
        """`N violation entries (reason=n, ...)` over the event names, or `no violations`."""
        by_reason = violations_by_reason(self.schema_violations)
        if not by_reason:
            return "no violations"
        detail = ", ".join(f"{r}={n}" for r, n in sorted(by_reason.items()))
        return f"{sum(by_reason.values())} violation entries ({detail})"

    # --- the codec ---

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["run_date"] = self.run_date.isoformat()
        return {"manifest_version": data.pop("manifest_version"), **data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        raw = data.get("raw_objects", {})
        return cls(
            run_date=date.fromisoformat(data["run_date"]),
            started_at=data.get("started_at", ""),
            finished_at=data.get("finished_at", ""),
            window=data.get("window", {}),
            config=data.get("config", {}),
            raw_objects=RawObjects(
                **{k: v for k, v in raw.items() if k != "objects"},
                objects=[RawObjectEntry(**o) for o in raw.get("objects", [])],
            ),
            counts=_known(Counts, data.get("counts", {})),
            late_events_by_partition=data.get("late_events_by_partition", {}),
            future_events_by_partition=data.get("future_events_by_partition", {}),
            lake_partitions=[PartitionEntry(**p) for p in data.get("lake_partitions", [])],
            quarantine_partitions=[
                PartitionEntry(**p) for p in data.get("quarantine_partitions", [])
            ],
            reconciliation=Reconciliation(**data["reconciliation"]),
            lookback_directories_read=data.get("lookback_directories_read", 0),
            job_run_id=data.get("job_run_id"),
            unreadable_objects=[UnreadableObject(**o) for o in data.get("unreadable_objects", [])],
            timings_s=data.get("timings_s", {}),
            figures=_known(DayFigures, data.get("figures", {})),
            schema_violations=data.get("schema_violations", {}),
            manifest_version=data.get("manifest_version", MANIFEST_VERSION),
        )

    @classmethod
    def read(cls, reports_uri: str, run_date: date) -> Manifest:
        """Run D's manifest from the reports location; ManifestMissing if there is none."""
        uri = manifest_uri(reports_uri, run_date)
        if not storage.exists(uri):
            raise ManifestMissing(f"no manifest for run_date {run_date.isoformat()} at {uri}")
        return cls.from_dict(json.loads(storage.read_bytes(uri)))


def violations_by_reason(by_name: dict[str, dict[str, int]]) -> dict[str, int]:
    """event_name -> reason -> entries, summed over the event names."""
    totals: dict[str, int] = {}
    for reasons in by_name.values():
        for reason, n in reasons.items():
            totals[reason] = totals.get(reason, 0) + n
    return totals


def _known(kind: type, values: dict[str, Any]) -> Any:
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in values.items() if k in names})
