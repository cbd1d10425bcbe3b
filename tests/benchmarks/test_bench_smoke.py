"""The benchmark suite's smoke mode: every benchmark still runs, and the report is written.

This checks that the benchmarks work, never how fast anything is (figures live in
benchmarks/results, not in tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUN_ALL = REPO / "benchmarks" / "run_all.py"
# A guard against a hung run, not a speed check: about 160 s on an idle 2-core machine, mostly
# JVM starts and each night's fixed cost (the day job, the steady night, the typed columns).
HUNG_AFTER_S = 1800


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory) -> tuple[dict, Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("bench-results")
    proc = subprocess.run(
        [sys.executable, str(RUN_ALL), "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HUNG_AFTER_S,
    )
    files = sorted(out.glob("*-smoke.json"))
    assert files, f"run_all --smoke wrote no results JSON:\n{proc.stderr[-2000:]}"
    return json.loads(files[-1].read_text()), out, proc


def test_generator_benchmark_runs_and_reports_a_ratio(smoke_report):
    report, _, _ = smoke_report
    generator = report["benchmarks"].get("generator")
    assert generator is not None, "bench_generator.py was not discovered"
    assert generator["status"] == "ok", generator.get("error")
    figures = generator["result"]["figures"]
    assert figures
    assert all(f["value"] > 0 and f["baseline_value"] > 0 for f in figures)
    for f in figures:
        assert f["ratio"] == pytest.approx(f["value"] / f["baseline_value"])


def test_steady_night_runs_into_a_lake_of_earlier_nights(smoke_report):
    report, _, _ = smoke_report
    steady = report["benchmarks"]["steady_night"]
    assert steady["status"] == "ok", steady.get("error")
    result = steady["result"]
    assert result["history_nights"] >= 1
    # The agreement check ran: the same valid records, some of them found in the lake.
    first, later = result["first_night"]["counts"], result["steady_night"]["counts"]
    kinds = ("written", "natural_duplicates", "synthetic_duplicates", "duplicates_in_lake")
    assert sum(later[k] for k in kinds) + later["synthetic_duplicates_in_lake"] == sum(
        first[k] for k in kinds
    )
    assert result["steady_over_first"] == pytest.approx(
        result["steady_night"]["job_s"] / result["first_night"]["job_s"], abs=1e-3
    )


def test_typed_columns_compares_the_job_with_and_without_the_plan(smoke_report):
    report, _, _ = smoke_report
    typed = report["benchmarks"]["typed_columns"]
    assert typed["status"] == "ok", typed.get("error")
    result = typed["result"]
    assert result["typed"]["counts"] == result["untyped"]["counts"]
    assert result["typed"]["counts"]["written"] > 0
    assert result["typed_over_untyped"] == pytest.approx(
        result["typed"]["job_s"] / result["untyped"]["job_s"], abs=1e-3
    )


def test_every_benchmark_reports_figures_with_consistent_ratios(smoke_report):
    report, _, _ = smoke_report
    for name, outcome in report["benchmarks"].items():
        figures = (outcome.get("result") or {}).get("figures")
        assert figures, f"{name} reports no figures"
        for f in figures:
            assert f["value"] is not None, (name, f)
            if f.get("baseline_value"):
                assert f["ratio"] == pytest.approx(f["value"] / f["baseline_value"]), (name, f)
            if f.get("met") is not None:
                assert f["target"], (name, f)


def test_no_benchmark_fails_in_smoke_mode(smoke_report):
    report, _, proc = smoke_report
    failed = {n: o.get("error") for n, o in report["benchmarks"].items() if o["status"] == "failed"}
    assert not failed, f"benchmarks failed in smoke mode: {failed}"
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_markdown_table_lists_every_benchmark(smoke_report):
    report, out, proc = smoke_report
    table = (out / "latest-smoke.md").read_text()
    assert "| stage | figure | value | baseline | ratio | target | met |" in table
    for name, outcome in report["benchmarks"].items():
        if outcome["status"] == "ok":
            result = outcome["result"]
            stage = str(result.get("stage") or result.get("name") or name)
            assert f"| {stage} |" in table, f"{name} is missing from latest-smoke.md"
    assert "generator" in proc.stdout, "the table was not printed"


def test_machine_facts_are_recorded(smoke_report):
    report, _, _ = smoke_report
    assert report["smoke"] is True
    assert report["machine"]["cpu_count"] >= 1
    assert report["started_at"]
    assert report["finished_at"]


def test_a_failing_benchmark_is_reported_and_the_others_still_run(tmp_path):
    bench_dir = tmp_path / "benchmarks"
    bench_dir.mkdir()
    (bench_dir / "run_all.py").write_text(RUN_ALL.read_text())
    (bench_dir / "bench_broken.py").write_text(
        "def run(smoke):\n    raise RuntimeError('deliberately broken')\n"
    )
    (bench_dir / "bench_odd.py").write_text("def run(smoke):\n    return {'speed': 3.5}\n")
    (bench_dir / "bench_fine.py").write_text(
        "def run(smoke):\n    return {'stage': 'fine', 'figures': [{'name': 'x', 'value': 2.0,"
        " 'unit': 'ops/s', 'baseline_name': 'b', 'baseline_value': 4.0, 'ratio': 0.5,"
        " 'target': '>= 0.4', 'met': True}], 'notes': 'ok'}\n"
    )
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(bench_dir / "run_all.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, "a failed benchmark must make the suite exit non-zero"
    report = json.loads(next(out.glob("*.json")).read_text())
    statuses = {n: o["status"] for n, o in report["benchmarks"].items()}
    assert statuses == {"broken": "failed", "odd": "ok", "fine": "ok"}
    assert "deliberately broken" in report["benchmarks"]["broken"]["error"]
    table = (out / "latest-smoke.md").read_text()
    assert "| fine | x | 2 ops/s | b: 4 ops/s | 0.5 | >= 0.4 | yes |" in table
    assert "| odd | speed | 3.5 |" in table  # an unexpected shape is rendered, not a crash
    assert "deliberately broken" in table


def test_only_filters_and_rejects_unknown_names(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(RUN_ALL), "--smoke", "--only", "no_such", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "no benchmark named no_such" in proc.stderr
