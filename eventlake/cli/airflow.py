"""`eventlake airflow`: the Airflow UI locally (no Docker), on the demo's runs."""

from __future__ import annotations

import argparse
import signal
import subprocess
import time
from pathlib import Path

from eventlake.core.errors import UsageError
from eventlake.local import airflow_ui
from eventlake.local.airflow_ui import (
    COMPONENTS,
    HOST,
    all_healthy,
    api_token,
    migrate_db,
    port_in_use,
    print_banner,
    serve,
    start_components,
    stop_components,
    ui_credentials,
    ui_env,
    unpause,
    wait_until,
)
from eventlake.local.demo import LOCAL, DemoPaths
from eventlake.orchestration import DAG_ID


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "airflow",
        help="start the Airflow UI locally (no Docker) with the demo's runs",
        description=airflow_ui.__doc__.split("\n\n")[0],
    )
    p.add_argument("--port", type=int, default=8080, help="UI port on 127.0.0.1 (default 8080)")
    p.add_argument("--workdir", type=Path, default=LOCAL / "demo", help="the demo's data folder")
    p.add_argument("--airflow-home", type=Path, default=LOCAL / "airflow")
    p.add_argument("--startup-timeout", type=float, default=240.0, help="seconds")
    p.set_defaults(func=run_airflow)


def run_airflow(args: argparse.Namespace) -> int:

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be 1..65535, got {args.port}")
    if port_in_use(args.port):
        raise UsageError(f"port {args.port} is already in use; pass --port (make: AIRFLOW_ARGS)")
    home = args.airflow_home.resolve()
    paths = DemoPaths(args.workdir.resolve())
    creds = ui_credentials(home)
    env = ui_env(paths, home, args.port, creds)
    log_dir = home / "logs" / "eventlake-ui"
    base_url = f"http://{HOST}:{args.port}"
    started = time.perf_counter()
    # Ctrl-C and `kill` stop cleanly, also where SIGINT arrives ignored (a background job).
    signal.signal(signal.SIGINT, airflow_ui.raise_interrupt)
    signal.signal(signal.SIGTERM, airflow_ui.raise_interrupt)
    print(f"preparing the metadata database in {home}", flush=True)
    migrate_db(env)
    procs: dict[str, subprocess.Popen] = {}
    try:
        start_components(env, log_dir, procs)
        print(f"starting {', '.join(COMPONENTS)} (logs in {log_dir})", flush=True)
        wait_until(lambda: all_healthy(base_url), procs, args.startup_timeout, "healthy components")
        token = api_token(base_url, creds)
        wait_until(lambda: unpause(base_url, token), procs, args.startup_timeout, f"DAG {DAG_ID}")
        print(f"ready in {time.perf_counter() - started:.0f} s", flush=True)
        print_banner(args.port, creds, paths, log_dir)
        return serve(procs)
    except KeyboardInterrupt:
        return 0
    finally:
        if procs:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan them
            print("\nstopping Airflow ...", flush=True)
            stop_components(procs)
            print("Airflow stopped", flush=True)
