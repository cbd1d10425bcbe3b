"""A generated day with planted tracking-plan faults, run by the real job under both policies.

The generator's truth file counts what it planted (independently of the job); the job must
find exactly that, keep every such event (flag) or quarantine the blocking ones (quarantine),
and still reconcile.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from eventlake.core import plan as P
from eventlake.core.contract import SCHEMA_VIOLATION
from eventlake.core.plan import tracking_plan
from eventlake.dayjob.job import run_day_job
from eventlake.tools.generator import DaySpec, FaultMix, write_firehose_day
from tests.dayjob.helpers import DAY, make_locations, quarantine_rows

pytestmark = pytest.mark.spark

PLAN_FAULTS = FaultMix(
    natural_duplicate_rate=0.01,
    synthetic_duplicate_rate=0.005,
    invalid_rate=0.002,
    too_large_rate=0.0,
    concatenated_object_rate=0.1,
    schema_missing_field_rate=0.01,
    schema_wrong_type_rate=0.02,
    schema_undeclared_field_rate=0.01,
    schema_unknown_name_rate=0.01,
)
QUARANTINED_TYPE = "payment"


@pytest.fixture(scope="module")
def planted_day(tmp_path_factory) -> tuple[Path, dict]:
    raw = tmp_path_factory.mktemp("plan_day") / "raw"
    spec = DaySpec(day=DAY, events=3000, seed=5, faults=PLAN_FAULTS, buffer_seconds=900)
    return raw, write_firehose_day(spec, str(raw), workers=1)


def run(spark, tmp_path: Path, raw: Path, plan: P.TrackingPlan):
    locations = make_locations(tmp_path)
    config = dataclasses.replace(locations.config(), raw_uri=str(raw))
    return locations, run_day_job(spark, config, plan=plan)


def lake_violations(lake: Path) -> Counter:
    """(event_name, entry) over the lake's rows, read back from the Parquet files."""
    found: Counter = Counter()
    for file in (lake / "events").rglob("*.parquet"):
        table = pq.read_table(file, columns=["event_name", "schema_violations"])
        names, lists = (table.column(c).to_pylist() for c in table.column_names)
        for name, entries in zip(names, lists, strict=True):
            found.update((name, e) for e in entries)
    return found


def test_flag_keeps_every_planted_event_once_with_its_violations(spark, tmp_path, planted_day):
    raw, truth = planted_day
    assert sum(truth["schema_blocking_by_type"].values()) > 0, "the day must plant faults"
    locations, manifest = run(spark, tmp_path, raw, tracking_plan())

    assert manifest.schema_violations == truth["schema_violations"]
    assert manifest.counts.written == truth["valid_unique"]
    assert manifest.reconciliation.balanced
    in_lake = lake_violations(locations.lake)
    by_name_reason = Counter()
    for (name, entry), n in in_lake.items():
        by_name_reason[(name, entry.rsplit(":", 1)[1])] += n
    expected = {
        (name, reason): n
        for name, reasons in truth["schema_violations"].items()
        for reason, n in reasons.items()
    }
    assert dict(by_name_reason) == expected, "the lake's rows list exactly the planted faults"
    assert SCHEMA_VIOLATION not in manifest.counts.invalid_by_reason


def test_quarantine_policy_holds_back_that_types_blocking_events(spark, tmp_path, planted_day):
    raw, truth = planted_day
    blocked = truth["schema_blocking_by_type"][QUARANTINED_TYPE]
    assert blocked > 0
    types = tuple(
        dataclasses.replace(t, policy=P.QUARANTINE) if t.name == QUARANTINED_TYPE else t
        for t in tracking_plan().types
    )
    plan = dataclasses.replace(tracking_plan(), types=types)
    locations, manifest = run(spark, tmp_path, raw, plan)

    counts = manifest.counts
    assert counts.invalid_by_reason[SCHEMA_VIOLATION] == blocked
    assert counts.written == truth["valid_unique"] - blocked
    assert manifest.reconciliation.balanced
    held = [r for r in quarantine_rows(spark, locations) if r.reason == SCHEMA_VIOLATION]
    assert len(held) == blocked
    assert {r.raw_record.count(f'"{QUARANTINED_TYPE}:') for r in held} == {1}
    # Its violations are still counted, as quarantined rather than written events.
    assert manifest.schema_violations == truth["schema_violations"]
