"""`eventlake run-day`: run the nightly day job for one date on local Spark."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Any

from eventlake.layout import is_s3, local_path, manifest_uri, normalize_uri


def add_command(subparsers: argparse._SubParsersAction) -> None:
    from eventlake.cli import iso_day

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
        "--grace", default="60m", help="peek past midnight, e.g. 60m or 1h (default 60m)"
    )
    p.add_argument("--lookback-days", type=int, default=7, help="dedupe lookback (default 7)")
    p.add_argument("--max-future-skew-s", type=float, default=300.0)
    p.add_argument("--max-event-age-days", type=float, default=7.0)
    p.add_argument("--driver-memory", default="4g", help="local Spark driver memory (default 4g)")
    p.add_argument("--cores", type=int, default=None, help="local Spark cores (default: all)")
    p.set_defaults(func=run_day_command)


def config_from_cli(args: argparse.Namespace) -> Any:
    from eventlake.cli import UsageError
    from eventlake.spark.config import config_from_arguments, parse_grace

    try:
        run_date = args.date
        grace = parse_grace(args.grace)
        locations = {
            name: normalize_uri(getattr(args, name))
            for name in ("raw", "lake", "quarantine", "reports")
        }
        if not is_s3(locations["raw"]) and not local_path(locations["raw"]).is_dir():
            raise UsageError(f"raw location is not a folder: {locations['raw']}")
        return config_from_arguments(
            {
                "run_date": run_date.isoformat(),
                "raw_uri": locations["raw"],
                "lake_uri": locations["lake"],
                "quarantine_uri": locations["quarantine"],
                "reports_uri": locations["reports"],
                "grace_minutes": str(grace.total_seconds() / 60),
                "lookback_days": str(args.lookback_days),
                "max_future_skew_s": str(args.max_future_skew_s),
                "max_event_age_days": str(args.max_event_age_days),
            }
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def run_day_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from eventlake.spark.manifest import ReconciliationError

    config = config_from_cli(args)
    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        with console.status(f"run-day {config.run_date}: starting Spark") as status:
            manifest = run_local(config, args.driver_memory, args.cores, status.update)
    except ReconciliationError as exc:
        console.print(f"[bold red]run-day {config.run_date} failed:[/] {exc}")
        return 1
    console.print(summary(manifest, time.perf_counter() - started))
    return 0


def run_local(
    config: Any, driver_memory: str = "4g", cores: int | None = None, on_status=None
) -> dict[str, Any]:
    """Run the day job in this process on a local SparkSession; returns the manifest."""
    from eventlake.spark.job import run_day_job
    from eventlake.spark.session import local_session

    spark = local_session(driver_memory=driver_memory, cores=cores)
    stage = (
        (lambda name: on_status(f"run-day {config.run_date}: {name.replace('_', ' ')}"))
        if on_status
        else None
    )
    return run_day_job(spark, config, on_stage=stage)


def summary(manifest: dict[str, Any], elapsed_s: float) -> str:
    from rich.markup import escape

    c = manifest["counts"]
    invalid = ", ".join(f"{k}={v:,}" for k, v in c["invalid_by_reason"].items()) or "none"
    late = sum(manifest["late_events_by_partition"].values())
    files = sum(p["files"] for p in manifest["lake_partitions"])
    mb = sum(p["bytes"] for p in manifest["lake_partitions"]) / 1e6
    rate = c["raw_records_in"] / elapsed_s if elapsed_s else 0.0
    where = manifest_uri(
        manifest["config"]["reports_uri"], date.fromisoformat(manifest["run_date"])
    )
    shown = str(local_path(where)) if where.startswith("file://") else where
    return (
        f"[bold]run-day {manifest['run_date']}[/] read {c['raw_records_in']:,} records from "
        f"{manifest['raw_objects']['owned']:,} owned + {manifest['raw_objects']['peeked']:,} peeked objects "
        f"in {elapsed_s:.1f}s ({rate:,.0f} records/s)\n"
        f"  written {c['written']:,} rows in {files} files ({mb:,.1f} MB), late {late:,}"
        f" | natural dups {c['natural_duplicates']:,} | synthetic dups {c['synthetic_duplicates']:,}"
        f" | already in lake {c['duplicates_in_lake']:,} | deferred {c['deferred']:,}\n"
        f"  invalid {c['invalid']:,}: {invalid}\n"
        f"  reconciled: {c['raw_records_in']:,} = {manifest['reconciliation']['accounted']:,}\n"
        + "".join(
            f"  [bold red]unreadable raw object[/] {o['key']}: {escape(o['reason'])}, "
            f"copied to {o['copied_to']}\n"
            for o in manifest.get("unreadable_objects", [])
        )
        + f"  manifest: {shown if Path(shown).name else where}"
    )
