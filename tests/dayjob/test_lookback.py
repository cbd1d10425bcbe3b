"""The dedupe's lookback across days: exact for every uuid an earlier run wrote within it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest

from eventlake.dayjob.job import run_day_job
from tests.dayjob.helpers import (
    DAY,
    event,
    firehose_object,
    lake_rows,
    make_locations,
    quarantine_rows,
)

pytestmark = pytest.mark.spark

SIX_DAYS_BEFORE = DAY - timedelta(days=6)
EIGHT_DAYS_BEFORE = DAY - timedelta(days=8)


def uuid(tail: int) -> str:
    return f"00000000-0000-4000-8000-{tail:012d}"


def changed(text: str, **fields) -> str:
    return json.dumps({**json.loads(text), **fields}, separators=(",", ":"))


def test_copies_of_events_written_six_and_eight_days_earlier(spark, tmp_path) -> None:
    locations = make_locations(tmp_path)
    six = SIX_DAYS_BEFORE.isoformat()
    eight = EIGHT_DAYS_BEFORE.isoformat()
    same = event(1, f"{six}T10:00:00", amount=5)
    other = event(2, f"{six}T11:00:00", amount=7)
    too_old = event(4, f"{eight}T09:00:00")
    firehose_object(locations.raw, f"{six}T11:30:00", [same, other, event(3, f"{six}T11:00:00")])
    firehose_object(locations.raw, f"{eight}T09:30:00", [too_old])
    for day in (EIGHT_DAYS_BEFORE, SIX_DAYS_BEFORE):
        assert run_day_job(spark, locations.config(day)).counts.written > 0
    lake_before = lake_rows(spark, locations)

    # Day D receives a copy of each: the same event, the same uuid with another payload, and
    # a copy of the event written 8 days earlier (older than the contract's maximum age).
    firehose_object(
        locations.raw,
        f"{DAY.isoformat()}T10:00:00",
        [same, changed(other, amount=8), too_old, event(5, f"{DAY.isoformat()}T09:59:00")],
    )
    manifest = run_day_job(spark, locations.config(DAY))
    counts = manifest.counts

    assert counts.duplicates_in_lake == 1, "the same event 6 days later is a natural duplicate"
    assert counts.synthetic_duplicates_in_lake == 1
    assert counts.invalid_by_reason == {"created_at_too_old": 1}
    assert counts.natural_duplicates == counts.synthetic_duplicates == 0
    assert counts.written == 1
    assert counts.quarantined == 2
    assert manifest.reconciliation.balanced
    quarantined = quarantine_rows(spark, locations)
    assert Counter((r.reason, r.event_uuid) for r in quarantined) == Counter(
        {("synthetic_duplicate", uuid(2)): 1, ("created_at_too_old", uuid(4)): 1}
    )
    # The lake keeps the first copy of uuid 2 (its payload as written 6 days earlier).
    lake = lake_rows(spark, locations)
    assert set(lake_before) <= set(lake)
    assert len(lake) == len(lake_before) + 1

    rerun = run_day_job(spark, locations.config(DAY))
    assert rerun.counts == counts
    assert lake_rows(spark, locations) == lake
