"""The manifest reconciles exactly, or the run fails; the job's parameters have one codec."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from eventlake.cli.run_day import parse_grace
from eventlake.core.job_params import DayJobParams
from eventlake.core.manifest import Counts
from eventlake.dayjob.counts import ReconciliationError, reconcile

BALANCED = Counts(
    raw_records_in=100,
    written=80,
    invalid=7,
    natural_duplicates=5,
    synthetic_duplicates=2,
    duplicates_in_lake=3,
    deferred=3,
    quarantined=9,
)
PARAMS = DayJobParams(date(2026, 11, 24), "/r", "/l", "/q", "/p", grace_minutes=45)
INFRA = Path(__file__).resolve().parents[2] / "infra"


def test_balanced_counts_reconcile() -> None:
    result = reconcile(BALANCED, 0, written_in_files=80, quarantined_in_files=9)
    assert result.balanced
    assert result.accounted == 100


@pytest.mark.parametrize(
    ("change", "unknown", "files", "message"),
    [
        ({"deferred": 4}, 0, (80, 9), "raw_records_in 100 != accounted 101"),
        ({}, 0, (79, 9), "lake files hold 79 rows"),
        ({}, 0, (80, 8), "quarantine files hold 8 rows"),
        ({}, 1, (80, 9), "not in the listing"),
    ],
)
def test_any_mismatch_fails_loudly(change, unknown, files, message) -> None:
    with pytest.raises(ReconciliationError, match=message):
        reconcile(replace(BALANCED, **change), unknown, *files)


def test_glue_arguments_round_trip_through_the_params() -> None:
    arguments = PARAMS.to_arguments()
    assert arguments["--run_date"] == "2026-11-24"
    assert arguments["--grace_minutes"] == "45"
    assert DayJobParams.from_arguments(arguments) == PARAMS
    argv = ["script.py", "--JOB_NAME", "x", *[p for kv in arguments.items() for p in kv]]
    assert DayJobParams.from_argv(argv) == PARAMS, "Glue's own arguments must be ignored"
    assert DayJobParams.from_argv([f"{k}={v}" for k, v in arguments.items()]) == PARAMS


def test_the_dags_template_replaces_only_the_date() -> None:
    template = replace(PARAMS, run_date=None).to_arguments("{{ ds }}")
    assert template == {**PARAMS.to_arguments(), "--run_date": "{{ ds }}"}


def test_params_reject_a_lookback_shorter_than_the_event_age_and_missing_locations() -> None:
    with pytest.raises(ValueError, match="lookback_days must cover"):
        DayJobParams.from_arguments({**PARAMS.to_arguments(), "--lookback_days": "3"})
    with pytest.raises(ValueError, match="missing job arguments: --raw_uri"):
        DayJobParams.from_arguments({"run_date": "2026-11-24"})
    with pytest.raises(ValueError, match="--lookback_days='soon'"):
        DayJobParams.from_arguments({**PARAMS.to_arguments(), "--lookback_days": "soon"})


def test_terraform_defaults_are_the_params_defaults() -> None:
    """infra/variables.tf's defaults for the job's knobs equal DayJobParams' own."""
    variables = (INFRA / "variables.tf").read_text()
    for name, default in DayJobParams.defaults().items():
        key = name.removeprefix("--")
        block = re.search(rf'variable "{key}" \{{(.*?)\n\}}', variables, re.S)
        if block is None:
            continue  # not a Terraform variable: the job's own default applies
        found = re.search(r"default\s*=\s*([\d.]+)", block.group(1))
        assert found, f"variable {key} has no numeric default"
        assert float(found.group(1)) == float(default), f"{key}: Terraform and the job disagree"
    wired = (INFRA / "main.tf").read_text()
    for key in ("grace_minutes", "lookback_days", "max_future_skew_s", "max_event_age_days"):
        assert f'variable "{key}"' in variables, f"infra/variables.tf lacks {key}"
        assert re.search(rf"\b{key}\s*=\s*var\.{key}\b", wired), f"main.tf must pass var.{key}"


@pytest.mark.parametrize(
    ("text", "minutes"), [("60m", 60), ("1h", 60), ("90", 90), ("0", 0), ("1.5h", 90)]
)
def test_grace_accepts_minutes_and_hours(text, minutes) -> None:
    assert parse_grace(text) == minutes


def test_grace_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="bad grace"):
        parse_grace("soon")
