"""Run D's counts: one aggregation over the classified records, and the reconciliation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from eventlake.core.contract import SCHEMA_VIOLATION
from eventlake.core.manifest import Counts, RawObjectEntry, Reconciliation
from eventlake.dayjob.classify import (
    BLANK,
    DEFERRED,
    DUPLICATE_IN_LAKE,
    INVALID,
    NATURAL_DUPLICATE,
    RECORD_OUTCOMES,
    SYNTHETIC_DUPLICATE,
    SYNTHETIC_DUPLICATE_IN_LAKE,
    WRITTEN,
)
from eventlake.dayjob.plan_columns import VIOLATIONS
from eventlake.dayjob.sources import OWNED, PEEKED, RawObject


class ReconciliationError(RuntimeError):
    """The run's counts do not add up: something was lost or doubled. The run must fail."""


@dataclass
class RunCounts:
    """Counts from one aggregation over the classified records."""

    by_object: dict[str, dict[str, int]] = field(default_factory=dict)
    by_outcome_reason: dict[tuple[str, str | None], int] = field(default_factory=dict)
    by_outcome_partition: dict[tuple[str, str], int] = field(default_factory=dict)

    def outcome(self, outcome: str) -> int:
        return sum(n for (o, _), n in self.by_outcome_reason.items() if o == outcome)

    def written_types(self) -> list[str]:
        """The event types run D writes, from the partitions of its written rows."""
        return sorted(
            {
                name.split("event_type=", 1)[1]
                for (o, name) in self.by_outcome_partition
                if o == WRITTEN
            }
        )


_COUNT_SQL = """
SELECT source_key, outcome, reason, event_date, event_type, count(*) AS n,
       grouping(source_key) AS by_other, grouping(reason) AS not_by_reason
FROM {view}
GROUP BY GROUPING SETS ((source_key, outcome), (outcome, reason), (outcome, event_date, event_type))
"""


def count_outcomes(classified: DataFrame) -> RunCounts:
    """All the run's counts in one Spark action (a GROUPING SETS aggregation)."""
    view = "eventlake_classified_records"
    classified.createOrReplaceTempView(view)
    rows = classified.sparkSession.sql(_COUNT_SQL.format(view=view)).collect()
    counts = RunCounts()
    for row in rows:
        if not row.by_other:
            counts.by_object.setdefault(row.source_key, {})[row.outcome] = row.n
        elif not row.not_by_reason:
            counts.by_outcome_reason[(row.outcome, row.reason)] = row.n
        elif row.event_date is not None:
            name = f"event_date={row.event_date.isoformat()}/event_type={row.event_type}"
            counts.by_outcome_partition[(row.outcome, name)] = row.n
    return counts


def count_schema_violations(classified: DataFrame) -> dict[str, dict[str, int]]:
    """event_name -> reason -> entries, over the events run D accepted as themselves: those it
    writes, and those it quarantines for the plan (never the duplicates it drops)."""
    accepted = (F.col("outcome") == F.lit(WRITTEN)) | (
        (F.col("outcome") == F.lit(INVALID)) & (F.col("reason") == F.lit(SCHEMA_VIOLATION))
    )
    entries = classified.where(accepted & (F.size(VIOLATIONS) > 0)).select(
        "event_name", F.explode(VIOLATIONS).alias("entry")
    )
    reasons = entries.groupBy("event_name", F.substring_index("entry", ":", -1).alias("why"))
    result: dict[str, dict[str, int]] = {}
    for row in sorted(reasons.count().collect()):
        result.setdefault(row.event_name, {})[row.why] = row["count"]
    return result


def object_entries(objects: list[RawObject], counts: RunCounts) -> list[RawObjectEntry]:
    entries = []
    for obj in objects:
        per_outcome = counts.by_object.get(obj.key, {})
        records = sum(n for o, n in per_outcome.items() if o != BLANK)
        entries.append(
            RawObjectEntry(**obj.to_dict(), records=records, blank_lines=per_outcome.get(BLANK, 0))
        )
    return entries


def unknown_source_records(objects: list[RawObject], counts: RunCounts) -> int:
    """Records from files the listing did not name: never expected, always a failed run."""
    listed = {o.key for o in objects}
    return sum(
        n
        for key, per_outcome in counts.by_object.items()
        if key not in listed
        for o, n in per_outcome.items()
        if o != BLANK
    )


def record_totals(objects: list[RawObject], counts: RunCounts, unreadable: int = 0) -> Counts:
    role_of = {o.key: o.role for o in objects}
    by_role: dict[str, int] = defaultdict(int)
    for key, per_outcome in counts.by_object.items():
        by_role[role_of.get(key, "unknown")] += sum(n for o, n in per_outcome.items() if o != BLANK)
    invalid_by_reason = {
        reason: n
        for (o, reason), n in sorted(counts.by_outcome_reason.items(), key=str)
        if o == INVALID
    }
    written = counts.outcome(WRITTEN)
    natural, synthetic = counts.outcome(NATURAL_DUPLICATE), counts.outcome(SYNTHETIC_DUPLICATE)
    in_lake = counts.outcome(DUPLICATE_IN_LAKE)
    synthetic_in_lake = counts.outcome(SYNTHETIC_DUPLICATE_IN_LAKE)
    return Counts(
        raw_records_in=by_role[OWNED] + by_role[PEEKED] + by_role["unknown"],
        raw_records_owned=by_role[OWNED],
        raw_records_peeked=by_role[PEEKED],
        blank_lines=counts.outcome(BLANK),
        valid=written + natural + synthetic + in_lake + synthetic_in_lake,
        written=written,
        invalid=counts.outcome(INVALID),
        invalid_by_reason=invalid_by_reason,
        natural_duplicates=natural,
        synthetic_duplicates=synthetic,
        duplicates_in_lake=in_lake,
        synthetic_duplicates_in_lake=synthetic_in_lake,
        deferred=counts.outcome(DEFERRED),
        quarantined=counts.outcome(INVALID) + synthetic + synthetic_in_lake,
        unreadable_objects=unreadable,
    )


def partition_rows(counts: RunCounts) -> dict[str, int]:
    return {name: n for (o, name), n in sorted(counts.by_outcome_partition.items()) if o == WRITTEN}


def off_day_partitions(counts: RunCounts, run_date: date) -> tuple[dict[str, int], dict[str, int]]:
    """Rows written to partitions before D (late events) and after D (clock skew)."""
    day = f"event_date={run_date.isoformat()}/"
    late, early = {}, {}
    for name, n in partition_rows(counts).items():
        if name < day:
            late[name] = n
        elif not name.startswith(day):
            early[name] = n
    return late, early


def reconcile(
    totals: Counts, unknown_records: int, written_in_files: int, quarantined_in_files: int
) -> Reconciliation:
    """raw_records_in = written + invalid + every kind of duplicate + deferred, and the
    written files hold exactly the rows the counts say. Raises ReconciliationError if not."""
    problems = []
    if totals.raw_records_in != totals.accounted:
        problems.append(f"raw_records_in {totals.raw_records_in} != accounted {totals.accounted}")
    if unknown_records:
        problems.append(f"{unknown_records} records from objects not in the listing")
    if written_in_files != totals.written:
        problems.append(f"lake files hold {written_in_files} rows, counts say {totals.written}")
    if quarantined_in_files != totals.quarantined:
        problems.append(
            f"quarantine files hold {quarantined_in_files} rows, counts say {totals.quarantined}"
        )
    if problems:
        raise ReconciliationError("manifest does not reconcile: " + "; ".join(problems))
    return Reconciliation(
        raw_records_in=totals.raw_records_in,
        accounted=totals.accounted,
        lake_rows_in_files=written_in_files,
        quarantine_rows_in_files=quarantined_in_files,
        balanced=True,
    )


__all__ = ["RECORD_OUTCOMES", "ReconciliationError", "RunCounts", "count_outcomes", "reconcile"]
