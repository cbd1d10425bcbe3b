"""Benchmark: the day job with the tracking plan (per-type checks, typed columns) vs without.

On the same cached day, each in its own process on 2 cores:
- typed: the job as it ships (every valid event checked against its type's declaration,
  each type written on its own with its typed columns);
- untyped: the same job with an empty plan, which is the job as it was before the plan
  (no per-type checks, common columns only, one write for every type).

Both must give the same counts (the default plan's policies are all `flag`).

    python benchmarks/bench_typed_columns.py            # 2M events (cached in .local/bench)
    python benchmarks/bench_typed_columns.py --smoke    # 2,000 events in one JVM, for CI
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import bench_day_job as day_job  # a sibling script: benchmarks/ is on sys.path

EVENTS = 2_000_000
SMOKE_EVENTS = 2_000
TARGET_TYPED_OVER_UNTYPED = 1.3


def smoke_runs(raw: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both runs in one local session (a JVM start is most of a tiny day's time)."""
    from eventlake.dayjob.session import local_session

    spark = local_session(driver_memory="2g", cores=day_job.CORES)
    try:
        with (
            tempfile.TemporaryDirectory(dir=day_job.CACHE) as a,
            tempfile.TemporaryDirectory(dir=day_job.CACHE) as b,
        ):
            untyped = day_job.run_night(spark, raw, Path(a), "zstd", day_job.DAY, untyped=True)
            typed = day_job.run_night(spark, raw, Path(b), "zstd", day_job.DAY)
    finally:
        spark.stop()
    return typed, untyped


def run(smoke: bool = False) -> dict[str, Any]:
    from figures import figure

    events = SMOKE_EVENTS if smoke else EVENTS
    day_job.CACHE.mkdir(parents=True, exist_ok=True)
    raw, truth = day_job.ensure_day(events)
    if smoke:
        typed, untyped = smoke_runs(raw)
    else:
        memory = day_job.SPARK_DRIVER_MEMORY
        untyped = day_job.measure("spark", raw, "zstd", memory, untyped=True)
        typed = day_job.measure("spark", raw, "zstd", memory)
    if typed["counts"] != untyped["counts"]:
        raise AssertionError(
            f"typed and untyped runs disagree: {typed['counts']} != {untyped['counts']}"
        )
    day_job._check_against_truth("spark", typed["counts"], truth)
    ratio = typed["job_s"] / untyped["job_s"]
    print(
        f"typed columns, {events:,} events: {typed['job_s']:.1f} s ({typed['events_per_s']:,} ev/s)"
        f" vs untyped {untyped['job_s']:.1f} s ({untyped['events_per_s']:,} ev/s): {ratio:.2f}x",
        flush=True,
    )
    size = f"{events / 1e6:g}M events" if events >= 1_000_000 else f"{events:,} events"
    return {
        "stage": "typed_columns",
        "events": events,
        "typed": typed,
        "untyped": untyped,
        "typed_over_untyped": round(ratio, 3),
        "figures": [
            figure(
                f"Day job with the tracking plan, {size}: seconds",
                typed["job_s"],
                "s",
                "the same job with an empty plan (no typed columns)",
                untyped["job_s"],
                at_most=TARGET_TYPED_OVER_UNTYPED,
            )
        ],
        "notes": (
            f"Stages typed (s): {typed['stages_s']}; untyped: {untyped['stages_s']}. "
            f"Lake {typed['lake_files']} files / {typed['lake_mb']} MB typed vs "
            f"{untyped['lake_files']} / {untyped['lake_mb']} MB untyped."
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    run(smoke=args.smoke)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
