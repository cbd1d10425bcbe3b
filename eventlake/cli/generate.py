"""`eventlake generate`: one synthetic day in Firehose's S3 layout, plus its truth file."""

from __future__ import annotations

import argparse

from eventlake.cli.args import iso_day, positive_int
from eventlake.core import layout
from eventlake.core.errors import UsageError
from eventlake.core.layout import DEFAULT_STREAM
from eventlake.tools.generator import (
    STRAGGLER_CHUNK,
    DaySpec,
    FaultMix,
    truth_uri,
    write_firehose_day,
)


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    d = FaultMix()
    g = parser.add_argument_group("fault mix (fractions of all records)")
    g.add_argument("--natural-dup-rate", type=float, default=d.natural_duplicate_rate)
    g.add_argument("--synthetic-dup-rate", type=float, default=d.synthetic_duplicate_rate)
    g.add_argument("--late-rate", type=float, default=d.late_rate)
    g.add_argument("--near-midnight-rate", type=float, default=d.near_midnight_rate)
    g.add_argument("--invalid-rate", type=float, default=d.invalid_rate, help="per reason")
    g.add_argument("--too-large-rate", type=float, default=d.too_large_rate)
    g.add_argument("--concatenated-rate", type=float, default=d.concatenated_object_rate)
    g.add_argument("--schema-missing-field-rate", type=float, default=d.schema_missing_field_rate)
    g.add_argument("--schema-wrong-type-rate", type=float, default=d.schema_wrong_type_rate)
    g.add_argument(
        "--schema-undeclared-field-rate", type=float, default=d.schema_undeclared_field_rate
    )
    g.add_argument("--schema-unknown-name-rate", type=float, default=d.schema_unknown_name_rate)
    g.add_argument("--clean", action="store_true", help="no faults at all")


def fault_mix_from_args(args: argparse.Namespace) -> FaultMix:
    if args.clean:
        return FaultMix.clean()
    try:
        return FaultMix(
            natural_duplicate_rate=args.natural_dup_rate,
            synthetic_duplicate_rate=args.synthetic_dup_rate,
            late_rate=args.late_rate,
            near_midnight_rate=args.near_midnight_rate,
            invalid_rate=args.invalid_rate,
            too_large_rate=args.too_large_rate,
            concatenated_object_rate=args.concatenated_rate,
            schema_missing_field_rate=args.schema_missing_field_rate,
            schema_wrong_type_rate=args.schema_wrong_type_rate,
            schema_undeclared_field_rate=args.schema_undeclared_field_rate,
            schema_unknown_name_rate=args.schema_unknown_name_rate,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "generate",
        help="write one synthetic day in Firehose's S3 layout, plus a truth file",
        description="Write one day of gzip NDJSON objects under hour prefixes, named and "
        "sized like Firehose's, and truth/<date>.json with the expected counts.",
    )
    p.add_argument("--date", type=iso_day, required=True, help="the day, YYYY-MM-DD (UTC)")
    p.add_argument("--events", type=positive_int, required=True, help="records to write")
    p.add_argument("--out", required=True, help="raw location: folder, file:// or s3:// URI")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--stream-name", default=DEFAULT_STREAM)
    p.add_argument("--buffer-mb", type=float, default=5.0, help="Firehose buffer size")
    p.add_argument("--buffer-seconds", type=float, default=300.0, help="Firehose interval")
    p.add_argument("--workers", type=positive_int, default=2)
    add_fault_arguments(p)
    p.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console
    from rich.progress import Progress

    spec = DaySpec(
        day=args.date,
        events=args.events,
        seed=args.seed,
        faults=fault_mix_from_args(args),
        stream_name=args.stream_name,
        buffer_bytes=int(args.buffer_mb * 1024 * 1024),
        buffer_seconds=args.buffer_seconds,
    )
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"generating {spec.day}", total=STRAGGLER_CHUNK + 1)
        truth = write_firehose_day(
            spec, args.out, workers=args.workers, progress=lambda: bar.advance(task)
        )
    elapsed = time.perf_counter() - started
    invalid = ", ".join(f"{k}={v}" for k, v in truth["invalid_by_reason"].items()) or "none"
    schema = sum(n for by_reason in truth["schema_violations"].values() for n in by_reason.values())
    console.print(
        f"[bold]generated[/] {truth['raw_records']:,} records in {truth['objects']:,} objects "
        f"({truth['concatenated_objects']} without newlines) in {elapsed:.1f}s "
        f"({truth['raw_records'] / elapsed:,.0f} records/s)\n"
        f"  valid unique {truth['valid_unique']:,} | natural dups {truth['natural_duplicates']:,}"
        f" | synthetic dups {truth['synthetic_duplicates']:,} | deferred {truth['deferred']:,}\n"
        f"  invalid {truth['invalid_total']:,}: {invalid}\n"
        f"  tracking plan violations {schema:,} (blocking "
        f"{sum(truth['schema_blocking_by_type'].values()):,})\n"
        f"  truth: {truth_uri(layout.normalize_uri(args.out), spec.day)}"
    )
    return 0
