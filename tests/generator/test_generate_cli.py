"""`eventlake generate` from the command line: output, summary, and clear errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from eventlake.cli.generate import add_fault_arguments, fault_mix_from_args


def eventlake(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eventlake", *args], capture_output=True, text=True, timeout=120
    )


def test_generate_writes_day_and_truth(tmp_path: Path) -> None:
    result = eventlake(
        "generate", "--date", "2026-11-24", "--events", "3000", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "generated 3,000 records" in result.stderr
    truth = json.loads((tmp_path / "truth" / "2026-11-24.json").read_text())
    assert truth["raw_records"] == 3000
    assert list((tmp_path / "events" / "2026" / "11" / "24").iterdir())


def test_bad_date_is_a_clear_error(tmp_path: Path) -> None:
    result = eventlake("generate", "--date", "24/11/2026", "--events", "10", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not a date" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_rate_is_a_clear_error(tmp_path: Path) -> None:
    result = eventlake(
        "generate",
        "--date",
        "2026-11-24",
        "--events",
        "10",
        "--out",
        str(tmp_path),
        "--late-rate",
        "3",
    )
    assert result.returncode == 2
    assert "between 0 and 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_zero_events_is_rejected(tmp_path: Path) -> None:
    result = eventlake("generate", "--date", "2026-11-24", "--events", "0", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "at least 1" in result.stderr


def test_plan_fault_rates_are_options() -> None:
    parser = argparse.ArgumentParser()
    add_fault_arguments(parser)
    mix = fault_mix_from_args(
        parser.parse_args(["--schema-wrong-type-rate", "0.01", "--schema-unknown-name-rate", "0"])
    )
    assert mix.schema_wrong_type_rate == 0.01
    assert mix.schema_unknown_name_rate == 0
    assert mix.schema_missing_field_rate == mix.schema_undeclared_field_rate == 0.0005
    assert fault_mix_from_args(parser.parse_args(["--clean"])).schema_wrong_type_rate == 0
