"""The `eventlake` command. Each subcommand lives beside the code it drives.

A command module exposes `add_command(subparsers)`, which registers a parser whose
`func(args) -> int` does the work. Heavy imports (Spark, boto3, Airflow) stay inside
those functions, so `eventlake --help` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from datetime import date

COMMAND_MODULES: tuple[str, ...] = (
    "eventlake.generator",
    "eventlake.producer",
    "eventlake.firehose_local",
    "eventlake.kinesis_local",
    "eventlake.spark.run_day",
    "eventlake.demo",
    "eventlake.airflow_local",
    "eventlake.capacity",
    "eventlake.deploy",
)


class UsageError(Exception):
    """A bad argument or input: printed as one clear line, exit code 2."""


# --- argument types shared by the commands ---


def iso_day(text: str) -> date:
    """A UTC day written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


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
