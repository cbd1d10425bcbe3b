"""`eventlake demo`: the whole pipeline locally, checked against the generator's truth."""

from __future__ import annotations

import argparse
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from eventlake.cli.args import iso_day, positive_int
from eventlake.local import demo
from eventlake.local.demo import (
    LOCAL,
    DemoPaths,
    check_day,
    check_environment,
    deliver_day,
    latest_closed_day,
    print_summary,
    run_dag,
    start_db_migration,
)
from eventlake.local.stages import Screen, StepFailed


def add_command(subparsers: argparse._SubParsersAction) -> None:
    latest = latest_closed_day(datetime.now(UTC))
    p = subparsers.add_parser(
        "demo",
        help="run the whole pipeline locally (no AWS, no Docker) and print a summary",
        description=demo.__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--date",
        type=iso_day,
        default=latest,
        help="the day to simulate (default: the latest whose raw window has closed)",
    )
    p.add_argument("--events", type=positive_int, default=50_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--rate", type=float, default=5000.0, help="real events/s to send (sets the clock speed)"
    )
    p.add_argument("--workdir", type=Path, default=LOCAL / "demo")
    p.add_argument("--airflow-home", type=Path, default=LOCAL / "airflow")
    p.add_argument(
        "--kinesis-port", type=int, default=0, help="the moto server's port (0: any free one)"
    )
    p.add_argument(
        "--verbose", action="store_true", help="also show every command's output (it is logged)"
    )
    p.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    paths = DemoPaths(args.workdir.resolve())
    airflow_home = args.airflow_home.resolve()
    check_day(args.date, datetime.now(UTC))
    check_environment([paths.root.parent, airflow_home], args.kinesis_port)
    shutil.rmtree(paths.root, ignore_errors=True)
    paths.work.mkdir(parents=True)
    log_path = paths.root / "demo.log"
    speed = 86400.0 * args.rate / args.events
    with Screen(log_path, verbose=args.verbose) as screen:
        screen.say(f"eventlake demo: {args.events:,} events for {args.date}; log: {log_path}")
        migration = start_db_migration(screen, paths, airflow_home)
        try:
            truth = deliver_day(
                screen, paths, args.date, args.events, args.seed, speed, args.kinesis_port
            )
            run_dag(screen, paths, args.date, airflow_home, migration)
        except StepFailed as exc:
            screen.say(f"eventlake demo: {exc}")
            return 1
        finally:
            migration.stop()
    ok = print_summary(args.date, paths, truth, time.perf_counter() - started)
    return 0 if ok else 1
