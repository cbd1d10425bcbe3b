"""`eventlake airflow`: the Airflow UI on this machine (local target, no Docker), with the demo's runs.

It runs Airflow's four components (api-server, scheduler, dag-processor, triggerer) on the
demo's AIRFLOW_HOME and data folders, so every `make demo` run is listed and can be cleared
and rerun, and new days can be triggered. Local use only: the UI listens on 127.0.0.1 and
the SimpleAuthManager reads a fixed password file (admin/admin unless you edit it). The
scheduler makes no nightly runs and no catchup here (use_job_schedule=False): it runs
exactly the runs you trigger, clear or rerun. Ctrl-C stops every component.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventlake.core.errors import UsageError
from eventlake.local.demo import DemoPaths, airflow_env
from eventlake.orchestration import DAG_ID

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# The health endpoint reports these components by these names.
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")
HOST = "127.0.0.1"
USER = "admin"
DEFAULT_PASSWORD = "admin"
PASSWORD_FILE = "eventlake-ui-passwords.json"
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
STOP_GRACE_S = 20.0


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    file: Path


def ui_credentials(airflow_home: Path) -> Credentials:
    """The admin login: read from the password file, which is created as admin/admin once."""
    file = airflow_home / PASSWORD_FILE
    if not file.exists():
        airflow_home.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps({USER: DEFAULT_PASSWORD}) + "\n")
        file.chmod(0o600)
    try:
        password = json.loads(file.read_text())[USER]
    except (ValueError, KeyError, TypeError):
        raise UsageError(f'{file} must be JSON like {{"{USER}": "<password>"}}') from None
    return Credentials(USER, str(password), file)


def ui_env(paths: DemoPaths, airflow_home: Path, port: int, creds: Credentials) -> dict[str, str]:
    """The demo's Airflow environment plus what the long-running local UI needs."""
    env = airflow_env(paths, airflow_home)
    venv_bin = str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": os.pathsep.join(filter(None, [venv_bin, env.get("PATH")])),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # The DAG runs one task at a time; the default (32) starts 32 idle worker processes.
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{creds.user}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(creds.file),
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
            # Task workers reach the execution API on the loopback address the server binds.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{HOST}:{port}/execution/",
            # No nightly runs and no catchup from 2026-11-01: only what the user triggers.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        }
    )
    return env


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((HOST, port)) == 0


def _airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def start_components(
    env: dict[str, str], log_dir: Path, procs: dict[str, subprocess.Popen]
) -> None:
    """Start each component into `procs` (filled as it goes, so an interrupt orphans none),
    each in its own process group, so stopping one stops its workers too."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for name in COMPONENTS:
        with (log_dir / f"{name}.log").open("ab") as log:
            procs[name] = subprocess.Popen(
                [_airflow_bin(), name],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )


def stop_components(procs: dict[str, subprocess.Popen]) -> None:
    """SIGTERM every component's process group, then SIGKILL what is left after a grace."""
    for proc in procs.values():
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        _signal_group(proc, signal.SIGKILL)  # also reaps workers the component left behind
        proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _request(url: str, data: Any = None, token: str = "", method: str = "GET") -> tuple[int, Any]:
    body = None if data is None else json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def wait_until(
    ready: Callable[[], bool], procs: dict[str, subprocess.Popen], timeout: float, what: str
) -> None:
    """Poll `ready` until it holds; fail early if a component exits, or after `timeout`."""

    deadline = time.monotonic() + timeout
    while not ready():
        dead = [name for name, proc in procs.items() if proc.poll() is not None]
        if dead:
            raise UsageError(f"airflow {dead[0]} exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise UsageError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(1.0)


def all_healthy(base_url: str) -> bool:
    status, health = _request(f"{base_url}/api/v2/monitor/health")
    if status != 200 or not isinstance(health, dict):
        return False
    return all(health.get(c, {}).get("status") == "healthy" for c in HEALTH_COMPONENTS)


def api_token(base_url: str, creds: Credentials) -> str:

    status, body = _request(
        f"{base_url}/auth/token",
        {"username": creds.user, "password": creds.password},
        method="POST",
    )
    if status != 201 or not body:
        raise UsageError(f"the UI refused {creds.user}'s password from {creds.file} ({status})")
    return body["access_token"]


def unpause(base_url: str, token: str) -> bool:
    """Unpause the DAG (404 until the dag-processor has parsed it) so triggered runs start."""
    url = f"{base_url}/api/v2/dags/{DAG_ID}?update_mask=is_paused"
    status, _ = _request(url, {"is_paused": False}, token=token, method="PATCH")
    return status == 200


def migrate_db(env: dict[str, str]) -> None:

    result = subprocess.run(
        [_airflow_bin(), "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise UsageError(f"airflow db migrate failed:\n{tail}")


def print_banner(port: int, creds: Credentials, paths: DemoPaths, log_dir: Path) -> None:
    url = f"http://localhost:{port}"
    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    print(
        f"\n\033[1mAirflow is ready: {url}\033[0m   user: {creds.user}   password: {creds.password}\n"
        f"  DAG runs:   {url}/dags/{DAG_ID}/runs\n"
        f"  login file: {creds.file} (local only: the UI listens on {HOST})\n"
        f"  data:       {paths.root} (raw, lake, quarantine, reports, catalog.duckdb)\n"
        f"  logs:       {log_dir}\n"
        f"  {DAG_ID} is unpaused, but nothing runs on a schedule here. Trigger a day with the\n"
        f"  midnight after it as logical date ({today}T00:00Z runs {yesterday}) once its raw data\n"
        f"  exists (make demo, or: eventlake generate --date D --events N --out {paths.raw}),\n"
        f"  or clear a run to rerun it. Ctrl-C stops Airflow.",
        flush=True,
    )


def serve(procs: dict[str, subprocess.Popen]) -> int:
    """Block until Ctrl-C / SIGTERM (exit 0) or until a component dies (exit 1)."""
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"airflow {name} exited with code {proc.returncode}", file=sys.stderr)
                return 1
        time.sleep(1.0)


def raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
