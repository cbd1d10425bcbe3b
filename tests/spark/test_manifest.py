"""The manifest reconciles exactly, or the run fails."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from eventlake.spark.config import DayJobConfig, config_from_arguments, job_arguments, parse_grace
from eventlake.spark.manifest import ReconciliationError, reconcile

BALANCED = {
    "raw_records_in": 100,
    "written": 80,
    "invalid": 7,
    "natural_duplicates": 5,
    "synthetic_duplicates": 2,
    "duplicates_in_lake": 3,
    "deferred": 3,
    "quarantined": 9,
    "unknown_source_records": 0,
}


def test_balanced_counts_reconcile() -> None:
    result = reconcile(BALANCED, written_in_files=80, quarantined_in_files=9)
    assert result["balanced"]
    assert result["accounted"] == 100


@pytest.mark.parametrize(
    ("change", "files", "message"),
    [
        ({"deferred": 4}, (80, 9), "raw_records_in 100 != accounted 101"),
        ({}, (79, 9), "lake files hold 79 rows"),
        ({}, (80, 8), "quarantine files hold 8 rows"),
        ({"unknown_source_records": 1}, (80, 9), "not in the listing"),
    ],
)
def test_any_mismatch_fails_loudly(change, files, message) -> None:
    with pytest.raises(ReconciliationError, match=message):
        reconcile({**BALANCED, **change}, *files)


def test_glue_arguments_round_trip_through_the_config() -> None:
    config = DayJobConfig(date(2026, 11, 24), "/r", "/l", "/q", "/p", grace=timedelta(minutes=45))
    args = dict(a.removeprefix("--").split("=", 1) for a in job_arguments(config))
    assert config_from_arguments(args) == config


def test_config_rejects_a_lookback_shorter_than_the_event_age() -> None:
    with pytest.raises(ValueError, match="lookback_days must cover"):
        config_from_arguments(
            {
                "run_date": "2026-11-24",
                "raw_uri": "/r",
                "lake_uri": "/l",
                "quarantine_uri": "/q",
                "reports_uri": "/p",
                "lookback_days": "3",
            }
        )
    with pytest.raises(ValueError, match="missing job arguments: --raw_uri"):
        config_from_arguments({"run_date": "2026-11-24"})


@pytest.mark.parametrize(
    ("text", "minutes"), [("60m", 60), ("1h", 60), ("90", 90), ("0", 0), ("1.5h", 90)]
)
def test_grace_accepts_minutes_and_hours(text, minutes) -> None:
    assert parse_grace(text) == timedelta(minutes=minutes)


def test_grace_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="bad grace"):
        parse_grace("soon")
