"""`eventlake run-day`: run the nightly day job for one date on local Spark."""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from eventlake.cli.args import iso_day
from eventlake.core.errors import UsageError
from eventlake.core.job_params import DayJobParams, default
from eventlake.core.layout import is_s3, local_path, normalize_uri


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run-day",
        help="run the nightly day job for one date on local Spark",
        description="Validate, quarantine, dedupe and write one day of raw Firehose objects "
        "to the Parquet lake (the same code the Glue job runs), then print the manifest summary.",
    )
    p.add_argument("--date", type=iso_day, required=True, help="the run date D, YYYY-MM-DD (UTC)")
    p.add_argument("--raw", required=True, help="raw location: folder or file:// URI")
    p.add_argument("--lake", required=True, help="lake location")
    p.add_argument("--quarantine", required=True, help="quarantine location")
    p.add_argument("--reports", required=True, help="reports location (manifests)")
    p.add_argument(
        "--grace",
        default=f"{default('grace_minutes'):g}m",
        help="peek past midnight, e.g. 60m or 1h (default %(default)s)",
    )
    p.add_argument(
        "--lookback-days",
        type=int,
        default=default("lookback_days"),
        help="dedupe lookback (default %(default)s)",
    )
    p.add_argument("--max-future-skew-s", type=float, default=default("max_future_skew_s"))
    p.add_argument("--max-event-age-days", type=float, default=default("max_event_age_days"))
    p.add_argument("--driver-memory", default="4g", help="local Spark driver memory (default 4g)")
    p.add_argument("--cores", type=int, default=None, help="local Spark cores (default: all)")
    p.set_defaults(func=run_day_command)


def parse_grace(text: str) -> float:
    """`60m`, `1h`, `90` (minutes), `0` -> minutes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mh]?)\s*", text)
    if not match:
        raise ValueError(f"bad grace {text!r}: use minutes like 60m or hours like 1h")
    value, unit = float(match.group(1)), match.group(2)
    return value * 60 if unit == "h" else value


def params_from_cli(args: argparse.Namespace) -> DayJobParams:
    try:
        locations = {
            name: normalize_uri(getattr(args, name))
            for name in ("raw", "lake", "quarantine", "reports")
        }
        if not is_s3(locations["raw"]) and not local_path(locations["raw"]).is_dir():
            raise UsageError(f"raw location is not a folder: {locations['raw']}")
        return DayJobParams(
            run_date=args.date,
            raw_uri=locations["raw"],
            lake_uri=locations["lake"],
            quarantine_uri=locations["quarantine"],
            reports_uri=locations["reports"],
            grace_minutes=parse_grace(args.grace),
            lookback_days=args.lookback_days,
            max_future_skew_s=args.max_future_skew_s,
            max_event_age_days=args.max_event_age_days,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def run_day_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from eventlake.dayjob.counts import ReconciliationError

    params = params_from_cli(args)
    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        with console.status(f"run-day {params.run_date}: starting Spark") as status:
            manifest = run_local(params, args.driver_memory, args.cores, status.update)
    except ReconciliationError as exc:
        console.print(f"[bold red]run-day {params.run_date} failed:[/] {exc}")
        return 1
    console.print(summary(manifest, params, time.perf_counter() - started))
    return 0


def run_local(
    params: DayJobParams, driver_memory: str = "4g", cores: int | None = None, on_status=None
) -> Any:
    """Run the day job in this process on a local SparkSession; returns the manifest."""
    from eventlake.dayjob.job import run_day_job
    from eventlake.dayjob.session import local_session

    spark = local_session(driver_memory=driver_memory, cores=cores)
    stage = (
        (lambda name: on_status(f"run-day {params.run_date}: {name.replace('_', ' ')}"))
        if on_status
        else None
    )
    return run_day_job(spark, params, on_stage=stage)


def summary(manifest: Any, params: DayJobParams, elapsed_s: float) -> str:
    from rich.markup import escape

    c = manifest.counts
    invalid = ", ".join(f"{k}={v:,}" for k, v in c.invalid_by_reason.items()) or "none"
    files = sum(p.files for p in manifest.lake_partitions)
    mb = sum(p.bytes for p in manifest.lake_partitions) / 1e6
    rate = c.raw_records_in / elapsed_s if elapsed_s else 0.0
    where = params.locations.manifest
    shown = str(local_path(where)) if where.startswith("file://") else where
    return (
        f"[bold]run-day {manifest.run_date}[/] read {c.raw_records_in:,} records from "
        f"{manifest.raw_objects.owned:,} owned + {manifest.raw_objects.peeked:,} peeked objects "
        f"in {elapsed_s:.1f}s ({rate:,.0f} records/s)\n"
        f"  written {c.written:,} rows in {files} files ({mb:,.1f} MB), late {manifest.late_events:,}"
        f" | natural dups {c.natural_duplicates:,} | synthetic dups {c.synthetic_duplicates:,}"
        f" | already in lake {c.duplicates_in_lake:,} (synthetic {c.synthetic_duplicates_in_lake:,})"
        f" | deferred {c.deferred:,}\n"
        f"  invalid {c.invalid:,}: {invalid}\n"
        f"  reconciled: {c.raw_records_in:,} = {manifest.reconciliation.accounted:,}\n"
        + "".join(
            f"  [bold red]unreadable raw object[/] {o.key}: {escape(o.reason)}, "
            f"copied to {o.copied_to}\n"
            for o in manifest.unreadable_objects
        )
        + f"  manifest: {shown}"
    )
