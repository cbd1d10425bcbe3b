"""`eventlake demo` end to end: producer -> moto Kinesis -> firehose-local -> the DAG on the
local target, and its summary agrees with the generator's truth file (a small day)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_matches_truth_through_the_live_path(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = subprocess.run(
        [
            sys.executable, "-m", "eventlake", "demo",
            "--date", "2026-11-20",
            "--events", "3000",
            "--rate", "60",
            "--workdir", str(workdir),
            "--airflow-home", str(tmp_path / "airflow"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "eventlake demo: 2026-11-20" in output
    assert "MISMATCH" not in output
    truth = json.loads((workdir / "raw" / "truth" / "2026-11-20.json").read_text())
    manifest_path = workdir / "reports" / "manifests" / "run_date=2026-11-20" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["counts"]["written"] == truth["valid_unique"]
    # every uuid went through Kinesis and firehose-local: the raw objects are Firehose's
    objects = list((workdir / "raw" / "events").rglob("*.gz"))
    assert objects
    assert all(p.name.startswith("eventlake-events-1-2026-11-") for p in objects)
    assert (workdir / "catalog.duckdb").exists()
