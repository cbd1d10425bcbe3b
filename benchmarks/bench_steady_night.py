"""Benchmark: the day job at steady state, night D after 7 earlier nights ran into the same lake.

Every other day-job figure starts from an empty lake, where the dedupe's lookback reads
nothing. Here one raw folder holds 8 generated days (D-7 .. D, each its own events), the
7 earlier nights are run into a lake once and cached (like the raw days), and then night D is
measured twice in the same run, each in its own process on 2 cores:

- night 1: D into an empty lake (the first-night figure);
- steady: D into the lake of the 7 earlier nights (the lake is linked, not copied).

Both must reconcile, and they must agree: the same records are invalid or deferred, and what
night 1 writes or drops as a duplicate, the steady night writes, drops, or finds already in
the lake (the stragglers run D-1 took from D's grace).

    python benchmarks/bench_steady_night.py            # 2M events a day (cached in .local/bench)
    python benchmarks/bench_steady_night.py --smoke    # 2 days of 2,000 events, for CI
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import bench_day_job as day_job  # a sibling script: benchmarks/ is on sys.path

HISTORY_NIGHTS = 7
EVENTS = 2_000_000
SMOKE_EVENTS = 2_000
SMOKE_HISTORY_NIGHTS = 1
TARGET_STEADY_OVER_FIRST = 1.10
DAY = day_job.DAY


def history_days(nights: int) -> list:
    return [DAY - timedelta(days=n) for n in range(nights, 0, -1)]


def ensure_raw_days(events: int, nights: int) -> Path:
    """Raw objects of D-nights .. D (each day its own events), made once and cached:
    .local/bench/steady-{events}-{nights}/raw."""
    from eventlake.tools.generator import DaySpec, write_firehose_day

    root = day_job.CACHE / f"steady-{events}-{nights}"
    if (root / "raw" / "_COMPLETE").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    print(f"generating {nights + 1} days of {events:,} events into {root}", file=sys.stderr)
    for day in [*history_days(nights), DAY]:
        write_firehose_day(DaySpec(day=day, events=events), str(root / "raw"), workers=2)
    (root / "raw" / "_COMPLETE").write_text("")
    return root


def ensure_week(events: int, nights: int) -> Path:
    """The raw days and the lake of the earlier nights, made once and cached:
    .local/bench/steady-{events}-{nights}/{raw,history}."""
    root = day_job.CACHE / f"steady-{events}-{nights}"
    done = root / "history" / "_COMPLETE"
    if done.exists():
        return root
    root = ensure_raw_days(events, nights)
    shutil.rmtree(root / "history", ignore_errors=True)
    print(f"running the {nights} earlier nights into {root / 'history'}", file=sys.stderr)
    command = [sys.executable, __file__, "--build-history", str(root), "--nights", str(nights)]
    subprocess.run(command, check=True, cwd=day_job.REPO)
    return root


def build_history(spark: Any, root: Path, nights: int) -> None:
    """The earlier nights, in order, in one Spark session (not measured)."""
    from eventlake.core.job_params import DayJobParams
    from eventlake.dayjob.job import run_day_job

    out = root / "history"
    for day in history_days(nights):
        params = DayJobParams(
            day, str(root / "raw"), str(out / "lake"), str(out / "quarantine"), str(out / "reports")
        )
        manifest = run_day_job(spark, params)
        print(f"  night {day}: {manifest.counts.written:,} written", file=sys.stderr)
    (out / "_COMPLETE").write_text("")


def local_spark(driver_memory: str) -> Any:
    from eventlake.dayjob.session import local_session

    return local_session(driver_memory=driver_memory, cores=day_job.CORES)


def nights_in_one_session(root: Path, nights: int, result_file: Path) -> None:
    """Smoke mode: the history, night 1 and the steady night in one JVM (start-up dominates
    tiny days); both nights' results go to `result_file`."""
    spark = local_spark("2g")
    if not (root / "history" / "_COMPLETE").exists():
        shutil.rmtree(root / "history", ignore_errors=True)
        build_history(spark, root, nights)
    results = {}
    for name, lake_from in (("first", None), ("steady", root / "history" / "lake")):
        with tempfile.TemporaryDirectory(prefix="steady-smoke-", dir=day_job.CACHE) as tmp:
            out = Path(tmp)
            if lake_from is not None:
                shutil.copytree(lake_from, out / "lake", copy_function=os.link)
            results[name] = day_job.run_night(spark, root / "raw", out, "zstd", DAY)
    spark.stop()
    result_file.write_text(json.dumps(results))


def smoke_nights(root: Path, nights: int) -> tuple[dict[str, Any], dict[str, Any]]:
    import psutil

    with tempfile.NamedTemporaryFile(suffix=".json", dir=day_job.CACHE) as result:
        command = [sys.executable, __file__, "--smoke-child", str(root), "--result", result.name]
        child = subprocess.Popen([*command, "--nights", str(nights)], cwd=day_job.REPO)
        peak = day_job._sample_peak_rss(psutil.Process(child.pid), child)
        if child.wait() != 0:
            raise RuntimeError(f"steady-night smoke run failed (exit {child.returncode})")
        both = json.loads(Path(result.name).read_text())
    for night in both.values():  # one process for both: the same peak
        night.update(peak.to_dict())
    return both["first"], both["steady"]


def run(smoke: bool = False) -> dict[str, Any]:
    events = SMOKE_EVENTS if smoke else EVENTS
    nights = SMOKE_HISTORY_NIGHTS if smoke else HISTORY_NIGHTS
    day_job.CACHE.mkdir(parents=True, exist_ok=True)
    if smoke:
        root = ensure_raw_days(events, nights)
        first, steady = smoke_nights(root, nights)
    else:
        root = ensure_week(events, nights)
        raw, history = root / "raw", root / "history" / "lake"
        memory = day_job.SPARK_DRIVER_MEMORY
        first = day_job.measure("spark", raw, "zstd", memory)
        steady = day_job.measure("spark", raw, "zstd", memory, lake_from=history)
    check_agreement(first["counts"], steady["counts"])
    ratio = steady["job_s"] / first["job_s"]
    print(
        f"steady night ({nights} nights of {events:,} events before): {steady['job_s']:.1f} s, "
        f"{steady['events_per_s']:,} ev/s; night 1: {first['job_s']:.1f} s, "
        f"{first['events_per_s']:,} ev/s; steady/first = {ratio:.2f}x",
        flush=True,
    )
    return {
        "stage": "steady_night",
        "events_per_day": events,
        "history_nights": nights,
        "first_night": first,
        "steady_night": steady,
        "steady_over_first": round(ratio, 3),
        "figures": figures(events, first, steady),
        "notes": (
            f"Night D of {events:,} events, into an empty lake and into the lake of the "
            f"{nights} nights before it (lookback {nights} days: every lake uuid of the week is "
            f"probed). Steady-night stages (s): {steady['stages_s']}."
        ),
    }


DUPLICATES = (
    "natural_duplicates",
    "synthetic_duplicates",
    "duplicates_in_lake",
    "synthetic_duplicates_in_lake",
)


def check_agreement(first: dict[str, Any], steady: dict[str, Any]) -> None:
    """The two nights read the same raw objects: only the valid records' outcomes may differ.

    A uuid run D-1 already wrote (a straddler D-1 took from D's grace) is written on night 1;
    on the steady night each of its copies is a duplicate in the lake instead.
    """
    for key in ("raw_records_in", "invalid", "invalid_by_reason", "deferred", "blank_lines"):
        if steady[key] != first[key]:
            raise AssertionError(f"{key}: steady {steady[key]} != night 1 {first[key]}")

    def valid(counts: dict[str, Any]) -> int:
        return counts["written"] + sum(counts[k] for k in DUPLICATES)

    if valid(steady) != valid(first) or first["duplicates_in_lake"]:
        raise AssertionError(f"steady night lost or doubled events: {steady} vs {first}")
    if steady["written"] > first["written"]:
        raise AssertionError(f"the steady night wrote more than night 1: {steady} vs {first}")


def figures(events: int, first: dict[str, Any], steady: dict[str, Any]) -> list[dict[str, Any]]:
    from figures import figure

    size = f"{events / 1e6:g}M events" if events >= 1_000_000 else f"{events:,} events"
    return [
        figure(
            f"Steady night, {size}: seconds",
            steady["job_s"],
            "s",
            "night 1, same day, empty lake",
            first["job_s"],
            at_most=TARGET_STEADY_OVER_FIRST,
        ),
        figure(
            f"Steady night, {size}: events/s",
            steady["events_per_s"],
            "events/s",
            "night 1",
            first["events_per_s"],
        ),
        figure(
            f"Steady night, {size}: peak RSS",
            steady["peak_rss_mb"],
            "MB",
            "night 1",
            first["peak_rss_mb"],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2 small days, for CI")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--build-history", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--smoke-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--nights", type=int, default=HISTORY_NIGHTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke_child:
        nights_in_one_session(args.smoke_child, args.nights, args.result)
        return 0
    if args.build_history:
        spark = local_spark(day_job.SPARK_DRIVER_MEMORY)
        build_history(spark, args.build_history, args.nights)
        spark.stop()
        return 0
    results = run(smoke=args.smoke)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    raise SystemExit(main())
