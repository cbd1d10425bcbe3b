"""The Soda 4 data contract of the events table, built from eventlake.core.contract for one day.

The contract is generated, not hand-written: the uuid and event_name formats, their maximum
lengths, the required and derived fields, and the time rules come from the one event
contract (`eventlake.core.contract`), so the Soda checks cannot drift from what the Lambda and
the Glue job enforce. The per-type checks on `schema_violations` come from the tracking plan
(`eventlake.core.plan`). The rendered contract is kept beside each day's report.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from eventlake.core import contract as C
from eventlake.core import plan as P
from eventlake.core.tables import EVENTS_AUDIT
from eventlake.quality.thresholds import QualityThresholds

FAIL = "fail"
WARN = "warn"


@dataclass(frozen=True)
class SqlSource:
    """How the scan names the table and turns a timestamp into epoch seconds, per engine."""

    dataset: str  # Soda's qualified name: data_source/prefix.../table
    table_sql: str  # the table as SQL for metric queries
    epoch_of: str  # SQL template: epoch seconds of a timestamp column `{col}`


DUCKDB_EPOCH = "epoch({col})"
ATHENA_EPOCH = "to_unixtime({col})"


# The audit table: every partition the job wrote, registered before the checks (the
# published `events` table gets run D's partitions only after they pass).
AUDITED_TABLE = EVENTS_AUDIT
ATHENA_CATALOG = "AwsDataCatalog"


def duckdb_source(data_source_name: str = "eventlake_lake") -> SqlSource:
    """The local catalog file's audit view."""
    return SqlSource(f"{data_source_name}/main/{AUDITED_TABLE}", AUDITED_TABLE, DUCKDB_EPOCH)


def athena_source(database: str, data_source_name: str = "eventlake_athena") -> SqlSource:
    """The Glue catalog's audit table, through Athena."""
    return SqlSource(
        f"{data_source_name}/{ATHENA_CATALOG}/{database}/{AUDITED_TABLE}",
        f'"{database}"."{AUDITED_TABLE}"',
        ATHENA_EPOCH,
    )


@dataclass(frozen=True)
class DayFacts:
    """What the checks of one event_date compare against (from the manifest and settings)."""

    event_date: date
    unaccounted_records: int  # from the manifest: 0 when run D reconciles
    rows_written_for_day: int  # rows run D wrote for event_date D, per the manifest
    quarantine_ratio: float
    unreadable_objects: int = 0  # from the manifest: raw objects run D could not read
    contract: C.ContractConfig = C.DEFAULT_CONFIG
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)
    plan: P.TrackingPlan = field(default_factory=P.tracking_plan)

    @property
    def data_timestamp(self) -> str:
        """'Now' for freshness: the end of the day, so a rerun next month gives the same answer."""
        end = datetime(self.event_date.year, self.event_date.month, self.event_date.day, tzinfo=UTC)
        return (end + timedelta(days=1)).isoformat()


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _anchored(pattern: str) -> str:
    return f"^{pattern}$"


def _field_checks(spec: C.FieldSpec) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = [{"missing": {"name": f"{spec.name} is present"}}]
    if spec.pattern:
        checks.append(
            {
                "invalid": {
                    "name": f"{spec.name} format ({spec.format_reason})",
                    "valid_format": {"name": spec.format_reason, "regex": _anchored(spec.pattern)},
                    "valid_max_length": spec.max_length,
                }
            }
        )
    return checks


def _time_checks(facts: DayFacts, source: SqlSource) -> list[dict[str, Any]]:
    """The contract's time rules, restated on the stored rows (arrival_ts is kept in the lake)."""
    arrival = source.epoch_of.format(col="arrival_ts")
    cfg = facts.contract.for_object_arrival()  # arrival_ts is the Firehose object's time
    start, end = _epoch(facts.event_date), _epoch(facts.event_date + timedelta(days=1))
    return [
        {
            "failed_rows": {
                "name": "created_at not in the future (vs arrival)",
                "qualifier": "not_in_future",
                "expression": f"created_at > {arrival} + {cfg.max_future_skew_s:g}",
            }
        },
        {
            "failed_rows": {
                "name": "created_at not absurdly old (vs arrival)",
                "qualifier": "not_too_old",
                "expression": f"created_at < {arrival} - {cfg.max_event_age_s:g}",
            }
        },
        {
            "failed_rows": {
                "name": "created_at falls on its event_date",
                "qualifier": "on_event_date",
                "expression": f"created_at < {start} OR created_at >= {end}",
            }
        },
    ]


VIOLATIONS = "schema_violations"


def rate_qualifier(type_name: str) -> str:
    """The qualifier of a type's violation-rate check (the day report finds it by this)."""
    return f"{type_name}.violation_rate"


def _has_entry(field_name: str, reason: str) -> str:
    """The row's schema_violations holds `field:reason` (contains() is DuckDB's and Trino's)."""
    return f"contains({VIOLATIONS}, '{field_name}:{reason}')"


def _entry_check(decl: P.EventTypeDecl, field_name: str, reason: str) -> dict[str, Any]:
    """Warn on any row of the type with this entry."""
    return {
        "failed_rows": {
            "name": f"{decl.name}: {field_name} {reason}",
            "qualifier": f"{decl.name}.{field_name}.{reason}",
            "filter": f"event_type = '{decl.name}'",
            "expression": _has_entry(field_name, reason),
            "threshold": {"must_be": 0, "level": WARN},
        }
    }


def _type_checks(decl: P.EventTypeDecl, rate_warn: float) -> list[dict[str, Any]]:
    """A count per required field (missing) and per declared field (wrong type), then the
    type's violation rate: its rows with any of those entries or an unknown name, in percent."""
    entries = [(f.name, P.MISSING_FIELD) for f in decl.fields if f.required]
    entries += [(f.name, P.WRONG_TYPE) for f in decl.fields]
    rate = {
        "name": f"{decl.name}: violation rate (warn above {rate_warn:.1%})",
        "qualifier": rate_qualifier(decl.name),
        "filter": f"event_type = '{decl.name}'",
        "expression": " OR ".join(
            _has_entry(*e) for e in [*entries, ("event_name", P.UNKNOWN_EVENT_NAME)]
        ),
        "threshold": {
            "metric": "percent",
            "must_be_less_than_or_equal": round(rate_warn * 100, 6),
            "level": WARN,
        },
    }
    return [*(_entry_check(decl, *e) for e in entries), {"failed_rows": rate}]


def violation_checks(plan: P.TrackingPlan) -> list[dict[str, Any]]:
    """The checks of the schema_violations column: per planned type, then unknown names."""
    checks = [c for decl in plan.types for c in _type_checks(decl, plan.violation_rate_warn)]
    unknown = {
        "name": "event names are in the tracking plan",
        "qualifier": P.UNKNOWN_EVENT_NAME,
        "expression": _has_entry("event_name", P.UNKNOWN_EVENT_NAME),
        "threshold": {"must_be": 0, "level": WARN},
    }
    return [*checks, {"failed_rows": unknown}]


def _columns(facts: DayFacts, source: SqlSource) -> list[dict[str, Any]]:
    columns = []
    for spec in C.REQUIRED_FIELDS:
        checks = _field_checks(spec)
        if spec.name == "created_at":
            checks += _time_checks(facts, source)
        if spec.name == "event_uuid":
            checks.append({"duplicate": {"name": "no duplicate event_uuid"}})
        columns.append({"name": spec.name, "checks": checks})
    for name in C.DERIVED_FIELDS:
        columns.append({"name": name, "checks": [{"missing": {"name": f"{name} is present"}}]})
    columns.append({"name": VIOLATIONS, "checks": violation_checks(facts.plan)})
    columns += [{"name": n} for n in ("event_date", "run_date", "arrival_ts")]
    return columns


def volume_ratio_sql(facts: DayFacts, source: SqlSource) -> str:
    """Today's on-time rows over the average of the trailing days that had their own run.

    On-time rows (run_date = event_date) keep late events of later runs out of the average;
    with no trailing history (a new lake), the ratio is 1.
    """
    day = facts.event_date.isoformat()
    first = (facts.event_date - timedelta(days=facts.thresholds.volume_trailing_days)).isoformat()
    return (
        "SELECT COALESCE("
        f"CAST(SUM(CASE WHEN event_date = '{day}' THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF("
        f"CAST(SUM(CASE WHEN event_date < '{day}' THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF("
        f"COUNT(DISTINCT CASE WHEN event_date < '{day}' THEN event_date END), 0), 0), 1.0) "
        f"FROM {source.table_sql} "
        f"WHERE event_date >= '{first}' AND event_date <= '{day}' AND run_date = event_date"
    )


def _dataset_checks(facts: DayFacts, source: SqlSource) -> list[dict[str, Any]]:
    day = facts.event_date.isoformat()
    q = facts.thresholds
    low, high = q.volume_band_low, q.volume_band_high
    fresh_warn, fresh_fail = q.freshness_warn_hours, q.freshness_fail_hours
    q_warn, q_fail = q.quarantine_warn_ratio, q.quarantine_fail_ratio
    return [
        {
            "schema": {
                "name": "events table has the contract's columns",
                "allow_extra_columns": True,
                "allow_other_column_order": True,
            }
        },
        {"row_count": {"name": "the day has rows", "threshold": {"must_be_greater_than": 0}}},
        {
            "metric": {
                "name": f"volume within {low:g}x-{high:g}x of the trailing "
                f"{q.volume_trailing_days} days' average",
                "qualifier": "volume_band",
                "query": volume_ratio_sql(facts, source),
                "threshold": {
                    "must_be_between": {"greater_than_or_equal": low, "less_than_or_equal": high},
                    "level": WARN,
                },
            }
        },
        {
            "freshness": {
                "name": "the day's data reaches the end of the day",
                "column": "created_datetime",
                "threshold": {
                    "unit": "hour",
                    "must_be_less_than": fresh_fail,
                    "additional": {"must_be_less_than": fresh_warn, "level": WARN},
                },
            }
        },
        {
            "metric": {
                "name": "manifest reconciles (records in = records accounted)",
                "qualifier": "manifest_reconciles",
                "query": f"SELECT {int(facts.unaccounted_records)}",
                "threshold": {"must_be": 0},
            }
        },
        {
            "metric": {
                "name": "every raw object of the day could be read (unreadable ones are quarantined)",
                "qualifier": "raw_objects_readable",
                "query": f"SELECT {int(facts.unreadable_objects)}",
                "threshold": {"must_be": 0},
            }
        },
        {
            "metric": {
                "name": "lake rows of the day's run match the manifest",
                "qualifier": "lake_matches_manifest",
                "query": f"SELECT COUNT(*) - {int(facts.rows_written_for_day)} FROM {source.table_sql} "
                f"WHERE event_date = '{day}' AND run_date = '{day}'",
                "threshold": {"must_be": 0},
            }
        },
        {
            "metric": {
                "name": f"quarantine ratio (warn at {q_warn:.1%}, fail at {q_fail:.1%})",
                "qualifier": "quarantine_ratio",
                "query": f"SELECT {float(facts.quarantine_ratio)!r}",
                "threshold": {
                    "must_be_less_than": q_fail,
                    "additional": {"must_be_less_than": q_warn, "level": WARN},
                },
            }
        },
    ]


def build_contract(facts: DayFacts, source: SqlSource) -> dict[str, Any]:
    """The contract document for one event_date partition of the events table."""
    return {
        "dataset": source.dataset,
        "description": "eventlake events, one event_date partition (generated from eventlake.core.contract)",
        "filter": f"event_date = '{facts.event_date.isoformat()}'",
        "columns": _columns(facts, source),
        "checks": _dataset_checks(facts, source),
    }


def contract_yaml(document: dict[str, Any]) -> str:
    """YAML text (ruamel.yaml comes with soda-core, which is where this runs)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()
