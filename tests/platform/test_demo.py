"""`eventlake demo` end to end: producer -> moto Kinesis -> firehose-local -> the DAG on the
local target, and its summary agrees with the generator's truth file (a small day). Its
stdout on a pipe is a short story with no escape codes; the day report it leaves renders in
headless Chromium with the manifest's numbers; without Java it stops with one clear line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import markupsafe
import pytest

from eventlake.core.manifest import Manifest
from tests.platform.test_airflow_ui import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-11-20"
MAX_STDOUT_LINES = 60
PLOTS = ("hourly", "event-types", "quarantine", "duplicates", "late", "trend")


@dataclass(frozen=True)
class DemoRun:
    workdir: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def manifest(self) -> Manifest:
        return Manifest.from_dict(
            json.loads(
                (
                    self.workdir / "reports" / "manifests" / f"run_date={DAY}" / "manifest.json"
                ).read_text()
            )
        )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [
            sys.executable, "-m", "eventlake", "demo",
            "--date", DAY,
            "--events", "3000",
            "--rate", "300",
            "--workdir", str(root / "demo"),
            "--airflow-home", str(root / "airflow"),
        ],
        capture_output=True,  # a pipe: the demo must print plain lines
        text=True,
        timeout=900,
    )  # fmt: skip
    return DemoRun(root / "demo", result.returncode, result.stdout, result.stderr)


def test_demo_matches_truth_through_the_live_path(demo_run: DemoRun) -> None:
    output = demo_run.stdout + demo_run.stderr
    assert demo_run.returncode == 0, output[-4000:]
    assert f"eventlake demo: {DAY}" in output
    assert "MISMATCH" not in output
    workdir = demo_run.workdir
    truth = json.loads((workdir / "raw" / "truth" / f"{DAY}.json").read_text())
    assert demo_run.manifest.counts.written == truth["valid_unique"]
    # every uuid went through Kinesis and firehose-local: the raw objects are Firehose's
    objects = list((workdir / "raw" / "events").rglob("*.gz"))
    assert objects
    assert all(p.name.startswith("eventlake-events-1-2026-11-") for p in objects)
    assert (workdir / "catalog.duckdb").exists()


def test_demo_tells_a_short_plain_story_and_logs_the_rest(demo_run: DemoRun) -> None:
    lines = demo_run.stdout.splitlines()
    assert len(lines) <= MAX_STDOUT_LINES, f"{len(lines)} lines on stdout:\n{demo_run.stdout}"
    assert "\x1b" not in demo_run.stdout, "escape codes on a non-interactive stdout"
    for stage in ("produce", "firehose-local", "day job", "Soda checks", "publish"):
        assert any(line.startswith("✓ ") and stage in line for line in lines), (
            f"no stage line for {stage}:\n{demo_run.stdout}"
        )
    assert "eventlake day job stage: dedupe" not in demo_run.stdout
    log = demo_run.workdir / "demo.log"
    assert str(log) in demo_run.stdout, "the demo must say where its log is"
    logged = log.read_text()
    assert "[dag]" in logged
    assert "eventlake day job stage: dedupe" in logged, "the day job's output must be logged"


def test_day_report_renders_with_the_manifests_numbers(demo_run: DemoRun, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (root + apt-get) to install it")
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = demo_run.workdir / "reports" / "days" / DAY / "index.html"
    assert page_path.exists(), "the quality task wrote no day report"
    html = page_path.read_text()
    external = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//[^"' >]+""", html)
    assert external == [], "the page must be self-contained (no external URLs)"
    manifest = demo_run.manifest
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: errors.append(f"fetched {r.url}") if not r.url.startswith("file:") else None)  # fmt: skip
            page.goto(page_path.as_uri())
            plots = {p: page.locator(f"#plot-{p} svg").count() for p in PLOTS}
            figures = page.eval_on_selector_all(
                "[data-figure]", "els => els.map(e => [e.dataset.figure, e.textContent])"
            )
            reasons = page.eval_on_selector_all(
                "[data-reason]", "els => els.map(e => [e.dataset.reason, e.textContent])"
            )
            checks = page.locator("[data-check-outcome]").count()
            page.screenshot(path=str(tmp_path / "day-report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == [], f"the page logged errors or fetched something: {errors}"
    assert plots == dict.fromkeys(PLOTS, 1), f"plots missing from the page: {plots}"
    shown = {name: int(text) for name, text in figures}
    c = manifest.counts
    assert shown["raw_records_in"] == c.raw_records_in
    assert shown["written"] == c.written
    assert shown["invalid"] == c.invalid
    assert shown["natural_duplicates"] == c.natural_duplicates
    assert shown["synthetic_duplicates"] == c.synthetic_duplicates
    assert shown["duplicates_in_lake"] == c.duplicates_in_lake
    assert shown["synthetic_duplicates_in_lake"] == c.synthetic_duplicates_in_lake
    per_reason = {reason: int(text) for reason, text in reasons}
    synthetic = c.synthetic_duplicates + c.synthetic_duplicates_in_lake
    expected = {**c.invalid_by_reason, "synthetic_duplicate": synthetic}
    assert per_reason == {k: v for k, v in expected.items() if v}
    scan = json.loads(
        (demo_run.workdir / "reports" / "soda" / f"event_date={DAY}" / "scan.json").read_text()
    )
    assert checks == len(scan["checks"]), "every Soda check must be on the page"
    # The job recorded examples for every reason, and the page shows them escaped.
    assert set(manifest.figures.quarantine_examples) == set(per_reason)
    for reason, examples in manifest.figures.quarantine_examples.items():
        assert f"<pre>{markupsafe.escape(examples[0])}</pre>" in html, f"{reason}'s example"


def path_without_java(tmp_path: Path) -> str:
    """A PATH with make, bash and the usual tools, and no java."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("make", "bash", "sh", "env", "test", "touch", "uname", "dirname"):
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    return str(folder)


def test_make_demo_without_java_stops_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "MAKEFLAGS")}
    env["PATH"] = path_without_java(tmp_path)
    assert shutil.which("java", path=env["PATH"]) is None
    result = subprocess.run(
        # -o: the virtualenv counts as installed (this test must not reinstall it)
        ["make", "-s", "-o", ".venv/.installed", "demo",
         f"DEMO_ARGS=--workdir {tmp_path / 'demo'} --airflow-home {tmp_path / 'airflow'}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("eventlake")]
    assert errors == [
        "eventlake demo: error: Spark needs Java 17 (no java on PATH or in JAVA_HOME); "
        "install openjdk-17-jdk-headless"
    ], result.stdout + result.stderr
    assert not (tmp_path / "demo").exists(), "nothing may start before the checks pass"
