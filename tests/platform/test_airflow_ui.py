"""The local Airflow UI (`eventlake airflow`) in headless Chromium: a real run triggered on a tiny
generated day is listed with its state, a cleared run reruns, and Ctrl-C stops every process.

Real parts only: the four Airflow components, the scheduler running the DAG on the local
target (Spark, Soda, DuckDB), and Debian's chromium driven by Playwright (no `playwright
install`). Without /usr/bin/chromium the browser check skips; `make browser` installs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil
import pytest

from eventlake.tools.generator import DaySpec, write_firehose_day

pytestmark = [pytest.mark.airflow, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAY = date(2026, 11, 20)
LOGICAL_DATE = "2026-11-21T00:00:00Z"  # the midnight run that covers DAY
RUN_ID = "ui_check_2026-11-20"
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 150
BANNER = re.compile(r"Airflow is ready: (http://[\w.:-]+)\S*\s+user: (\S+)\s+password: (\S+)")


@dataclass
class LocalAirflow:
    proc: subprocess.Popen
    output: Path
    url: str = ""
    user: str = ""
    password: str = ""
    processes: list[psutil.Process] = field(default_factory=list)

    def descendants(self) -> list[psutil.Process]:
        """Every process under `eventlake airflow` seen so far (workers come and go)."""
        with contextlib.suppress(psutil.Error):
            seen = {p.pid for p in self.processes}
            self.processes += [
                p
                for p in psutil.Process(self.proc.pid).children(recursive=True)
                if p.pid not in seen
            ]
        return self.processes

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.output.read_text(errors="replace").splitlines()[-lines:])

    def api(self, path: str, body: dict | None = None, method: str = "GET") -> dict:
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=20) as resp:
            return json.loads(resp.read())

    @property
    def token(self) -> str:
        req = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": self.user, "password": self.password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=20) as resp:
            return json.loads(resp.read())["access_token"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """This process's environment minus Airflow settings other test areas export."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}


def wait_for_banner(airflow: LocalAirflow) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        found = BANNER.search(airflow.output.read_text(errors="replace"))
        if found:
            airflow.url, airflow.user, airflow.password = found.groups()
            return
        if airflow.proc.poll() is not None:
            pytest.fail(f"`eventlake airflow` exited early:\n{airflow.log_tail()}")
        time.sleep(1.0)
    pytest.fail(f"Airflow not ready after {STARTUP_TIMEOUT_S} s:\n{airflow.log_tail()}")


def kill_leftovers(airflow: LocalAirflow) -> None:
    """Whatever survived a clean stop (or a failed test) is killed, by pid."""
    for process in airflow.processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    if airflow.proc.poll() is None:
        airflow.proc.kill()
    airflow.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def local_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAirflow]:
    root = tmp_path_factory.mktemp("airflow-ui")
    write_firehose_day(DaySpec(DAY, 300, seed=3), str(root / "demo" / "raw"), workers=1)
    output = root / "eventlake-airflow.out"
    command = [sys.executable, "-m", "eventlake", "airflow", "--port", str(free_port())]
    command += ["--airflow-home", str(root / "airflow"), "--workdir", str(root / "demo")]
    command += ["--startup-timeout", str(STARTUP_TIMEOUT_S)]
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=clean_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the test's terminal is not Airflow's
        )
    airflow = LocalAirflow(proc, output)
    try:
        wait_for_banner(airflow)
        airflow.descendants()
        yield airflow
    finally:
        airflow.descendants()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=60)
        kill_leftovers(airflow)


def wait_for_run(airflow: LocalAirflow, after: str = "") -> dict:
    """Poll the run until it finishes (and, for a rerun, ends later than `after`)."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        run = airflow.api(f"/api/v2/dags/events_daily/dagRuns/{RUN_ID}")
        if run["state"] in ("success", "failed") and (run["end_date"] or "") > after:
            return run
        time.sleep(3.0)
    pytest.fail(f"run {RUN_ID} unfinished after {RUN_TIMEOUT_S} s:\n{airflow.log_tail()}")


@pytest.fixture(scope="module")
def finished_run(local_airflow: LocalAirflow) -> dict:
    """Trigger the day as a user would; the scheduler runs it on the local target."""
    local_airflow.api(
        "/api/v2/dags/events_daily/dagRuns",
        {"dag_run_id": RUN_ID, "logical_date": LOGICAL_DATE},
        method="POST",
    )
    return wait_for_run(local_airflow)


def test_credentials_are_printed_and_deterministic(local_airflow: LocalAirflow) -> None:
    assert (local_airflow.user, local_airflow.password) == ("admin", "admin")
    health = local_airflow.api("/api/v2/monitor/health")
    assert health["scheduler"]["status"] == "healthy", health


def test_triggered_day_runs_to_success(finished_run: dict) -> None:
    assert finished_run["state"] == "success", finished_run
    assert finished_run["data_interval_start"].startswith(DAY.isoformat())


def test_ui_lists_the_dag_and_the_runs_state(
    local_airflow: LocalAirflow, finished_run: dict, tmp_path: Path, capsys
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (root + apt-get) to install it")
    sync_api = pytest.importorskip("playwright.sync_api")
    screenshot = tmp_path / "airflow-ui-runs.png"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.set_default_timeout(30_000)
            page.goto(f"{local_airflow.url}/dags")
            page.get_by_label(re.compile("username", re.I)).fill(local_airflow.user)
            page.get_by_label(re.compile("password", re.I)).fill(local_airflow.password)
            page.get_by_role("button", name=re.compile("sign in|log ?in", re.I)).click()
            sync_api.expect(page.get_by_role("link", name="events_daily")).to_be_visible()

            page.goto(f"{local_airflow.url}/dags/events_daily/runs")
            run_row = page.get_by_role("row").filter(has_text=RUN_ID)
            sync_api.expect(run_row).to_contain_text(re.compile("success", re.I))
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000, "the screenshot is (nearly) empty"
    with capsys.disabled():
        print(f"\nAirflow UI screenshot: {screenshot}")


def test_quality_task_links_to_the_soda_report_and_the_day_report(
    local_airflow: LocalAirflow, finished_run: dict
) -> None:
    """The links the UI's task page reads from the API. Airflow 3.3's UI draws a button only
    for an http(s) link (the S3 console in AWS), so the local file:// links show no button."""
    links = local_airflow.api(
        f"/api/v2/dags/events_daily/dagRuns/{RUN_ID}/taskInstances/quality_checks/links"
    )["extra_links"]
    assert links["Soda report"].endswith(f"/soda/event_date={DAY}/scan.md"), links
    assert links["Day report"].endswith(f"/days/{DAY}/index.html"), links
    page = Path(urllib.parse.urlparse(links["Day report"]).path)
    assert page.exists(), f"the Day report link points at no page: {page}"
    assert f"eventlake: day {DAY}" in page.read_text()


def test_cleared_run_reruns(local_airflow: LocalAirflow, finished_run: dict) -> None:
    local_airflow.api(
        f"/api/v2/dags/events_daily/dagRuns/{RUN_ID}/clear", {"dry_run": False}, method="POST"
    )
    rerun = wait_for_run(local_airflow, after=finished_run["end_date"])
    assert rerun["state"] == "success", rerun


def test_ctrl_c_stops_every_airflow_process(local_airflow: LocalAirflow) -> None:
    processes = local_airflow.descendants()
    assert len(processes) >= 4, "expected api-server, scheduler, dag-processor and triggerer"
    local_airflow.proc.send_signal(signal.SIGINT)
    assert local_airflow.proc.wait(timeout=60) == 0, local_airflow.log_tail()
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, f"still running after Ctrl-C: {[p.pid for p in alive]}"
    assert "Airflow stopped" in local_airflow.output.read_text()
