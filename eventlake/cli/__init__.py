"""The `eventlake` command (laptop and CI only, never shipped): one module per subcommand.

A command module exposes `add_command(subparsers)`, which registers a parser whose
`func(args) -> int` does the work. Heavy imports (Spark, boto3, Airflow) stay inside
those functions, so `eventlake --help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from eventlake.core.errors import UsageError

COMMAND_MODULES: tuple[str, ...] = (
    "eventlake.cli.generate",
    "eventlake.cli.produce",
    "eventlake.cli.firehose_local",
    "eventlake.cli.kinesis_local",
    "eventlake.cli.run_day",
    "eventlake.cli.quarantine",
    "eventlake.cli.report",
    "eventlake.cli.demo",
    "eventlake.cli.airflow",
    "eventlake.cli.capacity",
    "eventlake.cli.schemas",
    "eventlake.cli.deploy",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eventlake",
        description="Event pipeline: generate, produce, deliver and process events.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"eventlake {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
