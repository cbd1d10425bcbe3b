"""Benchmark: the Spark day job vs a DuckDB implementation of the same work, on generated days.

Both engines do the whole job on the same raw objects: read gzip lines, split `{..}{..}`,
decode error-prefix records, validate with the contract (the DuckDB form is SQL derived from
the same tables in eventlake.core.contract), apply the window ownership, dedupe by event_uuid
(earliest arrival; natural vs synthetic), anti-join the lake lookback, write partitioned
Parquet (staged, then published) and quarantine, and count everything in one aggregation.
Each engine runs in its own process on 2 cores; peak memory is the RSS of that process tree
(the JVM included). Both must produce the generator's truth counts, or the benchmark fails.

A third run measures the Spark floor: the least any Spark job does to make this day's typed
lake, one pass that reads, checks (RecordCheck) and writes the lake files, with the job's own
code, and nothing else (no dedupe, counts, quarantine, index or verify). The job's seconds
over the floor's is what the job's own structure costs.

    python benchmarks/bench_day_job.py            # 2M and 8M events (data cached in .local/bench)
    python benchmarks/bench_day_job.py --smoke    # a tiny day, for CI
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".local" / "bench"
DAY = date(2026, 11, 24)
CORES = 2
# The 8M day's cache is ~2 GB: a 6g heap holds it, and the process tree stays under 8 GB of RSS
# (an 8g heap grew to 9.2 GB at 8M and gained nothing, 2026-12-07).
SPARK_DRIVER_MEMORY = "6g"
SIZES = (2_000_000, 8_000_000)
SMOKE_SIZE = 20_000
TARGET_EVENTS_PER_S = 150_000
# Issue 14's targets for the 8M day replace issue 8's there (ratio, events/s, peak RSS MB).
TARGETS_8M = (2.0, 80_000, 8_000)
TARGET_RATIO = 4.0
ENGINES = ("spark", "duckdb", "spark_floor")
COMPARED_COUNTS = (
    "raw_records_in",
    "written",
    "invalid",
    "invalid_by_reason",
    "natural_duplicates",
    "synthetic_duplicates",
    "duplicates_in_lake",
    "synthetic_duplicates_in_lake",
    "deferred",
    "blank_lines",
)


# --- data ---


def ensure_day(events: int) -> tuple[Path, dict[str, Any]]:
    """A generated day of `events` records (default fault mix), made once and cached."""
    from eventlake.core.layout import local_path, normalize_uri
    from eventlake.tools.generator import DaySpec, truth_uri, write_firehose_day

    raw = CACHE / f"day-{events}"
    truth_file = local_path(truth_uri(normalize_uri(str(raw)), DAY))
    if truth_file.exists():
        return raw, json.loads(truth_file.read_text())
    shutil.rmtree(raw, ignore_errors=True)
    print(f"generating {events:,} events into {raw} (cached for later runs)", file=sys.stderr)
    return raw, write_firehose_day(DaySpec(day=DAY, events=events), str(raw), workers=CORES)


def day_params(raw: Path, out: Path, codec: str, run_date: date = DAY) -> Any:
    """The job's parameters for one run: lake, quarantine and reports in `out`."""
    from eventlake.core.job_params import DayJobParams

    where = {name: str(out / name) for name in ("lake", "quarantine", "reports")}
    return DayJobParams(
        run_date, str(raw), where["lake"], where["quarantine"], where["reports"],
        parquet_codec=codec,
    )  # fmt: skip


# --- the Spark engine (the real job) ---


def run_spark(
    raw: Path,
    out: Path,
    codec: str,
    driver_memory: str,
    run_date: date = DAY,
    untyped: bool = False,
) -> dict[str, Any]:
    started = time.perf_counter()
    from eventlake.dayjob.session import local_session

    spark = local_session(driver_memory=driver_memory, cores=CORES)
    session_s = time.perf_counter() - started
    result = run_night(spark, raw, out, codec, run_date, session_s, untyped=untyped)
    spark.stop()
    return result


def run_night(
    spark: Any,
    raw: Path,
    out: Path,
    codec: str,
    run_date: date,
    startup_s: float = 0.0,
    untyped: bool = False,
) -> dict[str, Any]:
    """One run of the real job in an open session, timed; lake, quarantine, reports in `out`.

    `untyped`: with an empty tracking plan, the job as it was before the plan (no per-type
    checks, no typed columns, one write for every type)."""
    import dataclasses

    from eventlake.core.plan import tracking_plan
    from eventlake.dayjob.job import run_day_job

    plan = dataclasses.replace(tracking_plan(), types=()) if untyped else None

    config = day_params(raw, out, codec, run_date)
    job_started = time.perf_counter()
    manifest = run_day_job(spark, config, plan=plan).to_dict()
    job_s = time.perf_counter() - job_started
    return _result(
        manifest["counts"], job_s, startup_s, manifest["timings_s"], manifest["lake_partitions"]
    )


def run_spark_floor(raw: Path, out: Path, codec: str, driver_memory: str) -> dict[str, Any]:
    """One pass: read the day, check every record, write the valid ones as the typed lake."""
    from pyspark.sql import functions as F

    from eventlake.core.plan import tracking_plan
    from eventlake.dayjob import job, lake
    from eventlake.dayjob.classify import WRITTEN
    from eventlake.dayjob.hadoop_fs import HadoopFS
    from eventlake.dayjob.session import local_session
    from eventlake.dayjob.sources import list_raw_objects

    started = time.perf_counter()
    spark = local_session(driver_memory=driver_memory, cores=CORES)
    startup_s = time.perf_counter() - started
    params = day_params(raw, out, codec, DAY)
    plan = tracking_plan()
    job_started = time.perf_counter()
    job.apply_job_settings(spark, params, job.DEFAULT_SHUFFLE_PARTITIONS)
    objects = list_raw_objects(HadoopFS(spark), params)
    records = job.validated_records(spark, objects, params, plan)
    valid = F.col("reason").isNull() & ~F.col("is_blank")
    rows = records.withColumn("outcome", F.when(valid, F.lit(WRITTEN)))
    for group in lake.write_groups(plan, list(plan.type_names)):
        lake.write_lake_files(
            lake.lake_rows(rows, plan, group), params.locations.staging, params,
            job.DEFAULT_SHUFFLE_PARTITIONS,
        )  # fmt: skip
    job_s = time.perf_counter() - job_started
    spark.stop()
    return {"job_s": round(job_s, 2), "startup_s": round(startup_s, 2)}


def _result(counts, job_s, startup_s, stages, partitions) -> dict[str, Any]:
    return {
        "counts": {k: counts[k] for k in COMPARED_COUNTS},
        "job_s": round(job_s, 2),
        "startup_s": round(startup_s, 2),
        "events_per_s": round(counts["raw_records_in"] / job_s),
        "stages_s": stages,
        "lake_files": sum(p["files"] for p in partitions),
        "lake_partitions": len(partitions),
        "lake_mb": round(sum(p["bytes"] for p in partitions) / 1e6, 1),
    }


# --- the DuckDB engine (the baseline) ---


def contract_verdict_sql(raw: str, arrival: str, cfg: Any) -> str:
    """The contract as one DuckDB CASE expression -> 'reason|field' or NULL (valid).

    Built from eventlake.core.contract's tables, in its precedence order. `parts` holds the
    required fields extracted in one parse (NULL when the text is not valid JSON).
    """
    from eventlake.core import contract as C

    def index(name: str) -> int:
        return C.REQUIRED_FIELD_NAMES.index(name) + 1

    def value_type(name: str) -> str:
        return f"coalesce(json_type(parts[{index(name)}]), 'NULL')"

    def text(name: str) -> str:
        return f"json_extract_string(parts[{index(name)}], '$')"

    arms = [
        (f"strlen({raw}) > {C.MAX_EVENT_BYTES}", f"{C.RECORD_TOO_LARGE}|"),
        ("parts IS NULL", f"{C.UNPARSEABLE_JSON}|"),
        (f"NOT starts_with(ltrim({raw}), '{{')", f"{C.NOT_A_JSON_OBJECT}|"),
    ]
    arms += [
        (f"{value_type(f.name)} = 'NULL'", f"{C.MISSING_FIELD}|{f.name}") for f in C.REQUIRED_FIELDS
    ]
    for f in C.REQUIRED_FIELDS:
        wanted = (
            "('VARCHAR')"
            if f.json_type == "string"
            else "('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')"
        )
        arms.append((f"{value_type(f.name)} NOT IN {wanted}", f"{C.WRONG_TYPE}|{f.name}"))
    for f in C.REQUIRED_FIELDS:
        if f.pattern:
            bad = f"length({text(f.name)}) > {f.max_length} OR NOT regexp_full_match({text(f.name)}, '{f.pattern}')"
            arms.append((bad, f"{f.format_reason}|{f.name}"))
    created = f"CAST({text('created_at')} AS DOUBLE)"
    earliest, latest = (
        f"({arrival} - {cfg.max_event_age_s})",
        f"({arrival} + {cfg.max_future_skew_s})",
    )
    arms += [
        (
            f"{created} >= {C.MILLIS_THRESHOLD} AND {created} / 1000.0 BETWEEN {earliest} AND {latest}",
            f"{C.CREATED_AT_IN_MILLIS}|created_at",
        ),
        (f"{created} > {latest}", f"{C.CREATED_AT_IN_FUTURE}|created_at"),
        (f"{created} < {earliest}", f"{C.CREATED_AT_TOO_OLD}|created_at"),
    ]
    return "CASE " + " ".join(f"WHEN {cond} THEN '{label}'" for cond, label in arms) + " END"


def run_duckdb(raw: Path, out: Path, codec: str) -> dict[str, Any]:
    started = time.perf_counter()
    import duckdb

    from eventlake.core import contract as C

    con = duckdb.connect()
    con.execute(f"SET threads = {CORES}; SET TimeZone = 'UTC'; SET preserve_insertion_order = true")
    startup_s = time.perf_counter() - started
    job_started = time.perf_counter()
    config = day_params(raw, out, codec, DAY)
    stages: dict[str, float] = {}
    tick = time.perf_counter()
    objects = list_objects_locally(config)
    con.register("objects", _objects_table(objects))
    stages["list"] = round(time.perf_counter() - tick, 3)

    tick = time.perf_counter()
    paths = [o["path"] for o in objects]
    lookback = lookback_paths_locally(config)
    con.execute(_classify_sql(paths, lookback, config, C))
    counts_rows = con.execute(_COUNT_SQL).fetchall()
    stages["read_validate_dedupe_count"] = round(time.perf_counter() - tick, 3)

    tick = time.perf_counter()
    staging = out / "lake" / "_staging" / f"run_date={DAY}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT event_uuid, event_name, created_at, created_datetime, event_subtype, raw_record AS payload, "
        f"source_key, arrival_ts, event_date, event_type FROM classified WHERE outcome = 'written') "
        f"TO '{staging}' (FORMAT parquet, COMPRESSION {codec}, PARTITION_BY (event_date, event_type), OVERWRITE_OR_IGNORE)"
    )
    stages["write_staging"] = round(time.perf_counter() - tick, 3)
    tick = time.perf_counter()
    quarantine = out / "quarantine" / "events" / f"run_date={DAY}"
    shutil.rmtree(quarantine, ignore_errors=True)
    quarantine.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "COPY (SELECT raw_record, CASE WHEN outcome IN ('synthetic_duplicate', 'synthetic_duplicate_in_lake') THEN 'event_uuid' ELSE reason_field END "
        "AS reason_field, source_key, arrival_ts, CASE WHEN outcome IN ('synthetic_duplicate', 'synthetic_duplicate_in_lake') THEN "
        f"'{C.SYNTHETIC_DUPLICATE}' ELSE reason END AS reason FROM classified "
        f"WHERE outcome IN ('invalid', 'synthetic_duplicate', 'synthetic_duplicate_in_lake')) TO '{quarantine}' "
        f"(FORMAT parquet, COMPRESSION {codec}, PARTITION_BY (reason))"
    )
    stages["write_quarantine"] = round(time.perf_counter() - tick, 3)
    tick = time.perf_counter()
    counts = _counts_from_rows(counts_rows)
    staged_rows = con.execute(
        f"SELECT count(*) FROM read_parquet('{staging}/**/*.parquet')"
    ).fetchone()[0]
    if staged_rows != counts["written"]:
        raise AssertionError(f"duckdb staged {staged_rows} rows, counts say {counts['written']}")
    partitions = _publish_locally(staging, out / "lake" / "events", DAY)
    stages["verify_publish"] = round(time.perf_counter() - tick, 3)
    job_s = time.perf_counter() - job_started
    return _result(counts, job_s, startup_s, stages, partitions)


def list_objects_locally(config: Any) -> list[dict[str, Any]]:
    """The same window rules as the Spark job's listing (eventlake.dayjob.sources), on a folder."""
    from eventlake.core.layout import (
        firehose_error_prefix,
        firehose_prefix,
        local_path,
        render_prefix,
        run_window,
    )
    from eventlake.dayjob.sources import OWNED, PEEKED, PROCESSING_FAILED, object_arrival

    start, owned_end, read_end = run_window(config.run_date, config.grace)
    root = local_path(config.raw_uri)
    objects, hour = [], start
    while hour < read_end:
        for origin, expression, kind in (
            ("firehose", firehose_prefix(), ""),
            (PROCESSING_FAILED, firehose_error_prefix(), PROCESSING_FAILED),
        ):
            prefix = render_prefix(expression, hour, kind)
            folder = root / prefix
            for path in sorted(folder.rglob("*")) if folder.exists() else []:
                if not path.is_file() or path.name.startswith((".", "_")):
                    continue
                key = prefix + str(path.relative_to(folder))
                arrival, _ = object_arrival(key, hour)
                if arrival < read_end:
                    role = OWNED if arrival < owned_end else PEEKED
                    objects.append(
                        {
                            "path": str(path),
                            "key": key,
                            "arrival": arrival,
                            "role": role,
                            "origin": origin,
                        }
                    )
        hour += timedelta(hours=1)
    return objects


def _objects_table(objects: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "path": [o["path"] for o in objects],
            "source_key": [o["key"] for o in objects],
            "arrival_ts": pa.array([o["arrival"] for o in objects], pa.timestamp("us", tz="UTC")),
            "role": [o["role"] for o in objects],
            "origin": [o["origin"] for o in objects],
        }
    )


def lookback_paths_locally(config: Any) -> list[str]:
    from eventlake.core.layout import lake_events_uri, local_path

    events = local_path(lake_events_uri(config.lake_uri))
    first = config.run_date - timedelta(days=config.lookback_days)
    paths = []
    for i in range(config.lookback_days + 2):
        day = first + timedelta(days=i)
        for run_dir in sorted(events.glob(f"event_date={day}/event_type=*/run_date=*")):
            if run_dir.name.removeprefix("run_date=") < config.run_date.isoformat():
                paths.append(str(run_dir / "*.parquet"))
    return paths


def _classify_sql(paths: list[str], lookback: list[str], config: Any, C: Any) -> str:
    cfg = config.contract.for_object_arrival()
    files = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    fields = "[" + ", ".join(f"'$.{n}'" for n in C.REQUIRED_FIELD_NAMES) + "]"
    derived = "{" + ", ".join(f'"{n}": null' for n in C.DERIVED_FIELDS) + "}"
    lake_rows = (
        f"SELECT event_uuid, payload FROM read_parquet([{', '.join(repr(p) for p in lookback)}])"
        if lookback
        else "SELECT NULL::VARCHAR AS event_uuid, NULL::VARCHAR AS payload WHERE false"
    )
    run_date = config.run_date.isoformat()

    def same_as(other: str) -> str:
        return (
            f"raw_record = {other} OR json_merge_patch(raw_record, '{derived}')"
            f" = json_merge_patch({other}, '{derived}')"
        )

    source = (
        f"read_csv({files}, columns={{'line': 'VARCHAR'}}, header=false, delim=E'\\x1f\\x1d', quote='', "
        f"escape='', auto_detect=false, filename=true, compression='gzip', max_line_size=8000000)"
    )
    return f"""
CREATE OR REPLACE TEMP TABLE classified AS
WITH lines AS (
  SELECT coalesce(line, '') AS line, filename, row_number() OVER () AS line_id FROM {source}
), decoded AS (
  SELECT l.line_id, o.source_key, o.arrival_ts, o.role,
         CASE WHEN o.origin = 'processing-failed' AND try(from_base64(json_extract_string(l.line, '$.rawData'))) IS NOT NULL
              THEN rtrim(decode(from_base64(json_extract_string(l.line, '$.rawData'))), E' \\n\\r\\t') ELSE l.line END AS line
  FROM lines l JOIN objects o ON l.filename = o.path
), split AS (
  SELECT *, trim(line) = '' AS is_blank,
         CASE WHEN regexp_matches(line, '\\}}\\s*\\{{') THEN
           (SELECT CASE WHEN list_bool_and(list_transform(p, lambda x: json_valid(x) AND starts_with(trim(x), '{{') AND ends_with(trim(x), '}}')))
                        THEN p ELSE [line] END
            FROM (SELECT string_split(regexp_replace(line, '\\}}\\s*\\{{', '}}' || chr(30) || '{{', 'g'), chr(30)) AS p))
         ELSE [line] END AS pieces
  FROM decoded
), records AS (
  SELECT line_id, source_key, arrival_ts, role, is_blank, r.raw_record, r.piece
  FROM (SELECT *, unnest(list_transform(pieces, lambda x, i: {{'raw_record': x, 'piece': i}})) AS r FROM split)
), parsed AS (
  SELECT *, try(json_extract(raw_record, {fields})) AS parts, epoch(arrival_ts) AS arrival_epoch_s FROM records
), verdict AS (
  SELECT *, CASE WHEN is_blank THEN NULL ELSE {contract_verdict_sql("raw_record", "arrival_epoch_s", cfg)} END AS label
  FROM parsed
), validated AS (
  SELECT line_id, piece, source_key, arrival_ts, role, is_blank, raw_record,
         split_part(label, '|', 1) AS reason, nullif(split_part(label, '|', 2), '') AS reason_field,
         CASE WHEN label IS NULL AND NOT is_blank THEN json_extract_string(parts[1], '$') END AS event_uuid,
         CASE WHEN label IS NULL AND NOT is_blank THEN json_extract_string(parts[2], '$') END AS event_name,
         CASE WHEN label IS NULL AND NOT is_blank THEN CAST(json_extract_string(parts[3], '$') AS DOUBLE) END AS created_at
  FROM verdict
), derived AS (
  SELECT *, strftime(to_timestamp(created_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS created_datetime,
         split_part(event_name, ':', 1) AS event_type, split_part(event_name, ':', 2) AS event_subtype,
         CAST(to_timestamp(created_at) AS DATE) AS event_date
  FROM validated
), owned AS (
  SELECT *, role = 'owned' OR coalesce(reason IS NULL AND event_date <= DATE '{run_date}', false) AS belongs FROM derived
), keyed AS (
  SELECT *, NOT is_blank AND belongs AND reason IS NULL AS candidate FROM owned
), in_lake AS (
  SELECT event_uuid, min(payload) AS lake_payload FROM ({lake_rows})
  WHERE event_uuid IN (SELECT event_uuid FROM keyed WHERE candidate) GROUP BY event_uuid
), ranked AS (
  SELECT keyed.*, in_lake.lake_payload,
    CASE WHEN candidate THEN row_number() OVER w END AS day_rank,
    CASE WHEN candidate THEN first_value(raw_record) OVER w END AS first_raw
  FROM keyed LEFT JOIN in_lake ON keyed.candidate AND keyed.event_uuid = in_lake.event_uuid
  WINDOW w AS (PARTITION BY CASE WHEN candidate THEN keyed.event_uuid ELSE '#' || line_id || '.' || piece END
               ORDER BY arrival_ts, source_key, line_id, piece)
)
SELECT source_key, arrival_ts, is_blank, raw_record, event_uuid, event_name, created_at, created_datetime,
       event_type, event_subtype, event_date, reason, reason_field,
       CASE WHEN is_blank THEN 'blank'
            WHEN NOT belongs THEN 'deferred'
            WHEN reason IS NOT NULL THEN 'invalid'
            WHEN lake_payload IS NOT NULL THEN CASE WHEN {same_as("lake_payload")}
                 THEN 'duplicate_in_lake' ELSE 'synthetic_duplicate_in_lake' END
            WHEN day_rank > 1 THEN CASE WHEN {same_as("first_raw")}
                 THEN 'natural_duplicate' ELSE 'synthetic_duplicate' END
            ELSE 'written' END AS outcome
FROM ranked
"""


_COUNT_SQL = """
SELECT source_key, outcome, reason, count(*) AS n, grouping(source_key) AS g_src
FROM classified GROUP BY GROUPING SETS ((source_key, outcome), (outcome, reason))
"""


def _counts_from_rows(rows: list[tuple]) -> dict[str, Any]:
    by_outcome: dict[str, int] = {}
    invalid_by_reason: dict[str, int] = {}
    for _source, outcome, reason, n, g_src in rows:
        if g_src == 0:
            continue
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        if outcome == "invalid":
            invalid_by_reason[reason] = n
    records = sum(n for o, n in by_outcome.items() if o != "blank")
    return {
        "raw_records_in": records,
        "written": by_outcome.get("written", 0),
        "invalid": by_outcome.get("invalid", 0),
        "invalid_by_reason": dict(sorted(invalid_by_reason.items())),
        "natural_duplicates": by_outcome.get("natural_duplicate", 0),
        "synthetic_duplicates": by_outcome.get("synthetic_duplicate", 0),
        "duplicates_in_lake": by_outcome.get("duplicate_in_lake", 0),
        "synthetic_duplicates_in_lake": by_outcome.get("synthetic_duplicate_in_lake", 0),
        "deferred": by_outcome.get("deferred", 0),
        "blank_lines": by_outcome.get("blank", 0),
    }


def _publish_locally(staging: Path, events: Path, run_date: date) -> list[dict[str, Any]]:
    """The same protocol as eventlake.dayjob.lake.publish, with local renames."""
    run_dir = f"run_date={run_date}"
    for old in events.glob(f"event_date=*/event_type=*/{run_dir}"):
        shutil.rmtree(old)
    partitions = []
    for partition in sorted(staging.glob("event_date=*/event_type=*")):
        sizes = [f.stat().st_size for f in partition.glob("*.parquet")]
        target = events / partition.parent.name / partition.name / run_dir
        target.parent.mkdir(parents=True, exist_ok=True)
        partition.rename(target)
        partitions.append({"files": len(sizes), "bytes": sum(sizes)})
    shutil.rmtree(staging.parent)
    return partitions


# --- measuring ---


def measure(
    engine: str,
    raw: Path,
    codec: str,
    driver_memory: str,
    run_date: date = DAY,
    lake_from: Path | None = None,
    untyped: bool = False,
) -> dict[str, Any]:
    """Run one engine in a child process; sample the RSS of its whole process tree.

    `lake_from`: a lake that earlier runs wrote, linked (not copied) into the run's folder
    first. The run only adds and removes run_date=D folders, so the original stays as it is.
    """
    import psutil

    with tempfile.TemporaryDirectory(prefix=f"bench-{engine}-", dir=CACHE) as tmp:
        out, result_file = Path(tmp), Path(tmp) / "result.json"
        if lake_from is not None:
            shutil.copytree(lake_from, out / "lake", copy_function=os.link)
        command = [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--raw",
            str(raw),
            "--out",
            str(out),
        ]
        command += [
            "--run-date",
            run_date.isoformat(),
            "--codec",
            codec,
            "--driver-memory",
            driver_memory,
            "--result",
            str(result_file),
            *(["--untyped"] if untyped else []),
        ]
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO)
        peak = _sample_peak_rss(psutil.Process(child.pid), child)
        if child.wait() != 0:
            raise RuntimeError(f"{engine} benchmark run failed (exit {child.returncode})")
        result = json.loads(result_file.read_text())
    result["process_s"] = round(time.perf_counter() - started, 2)
    result.update(peak.to_dict())
    return result


class PeakMemory(NamedTuple):
    """The peak RSS of a process tree, and the peak of its anonymous part (heap, native
    buffers): the rest is file-backed pages, such as memory-mapped spill and shuffle blocks."""

    rss: int
    anon: int

    def to_dict(self) -> dict[str, int]:
        return {"peak_rss_mb": round(self.rss / 2**20), "peak_anon_mb": round(self.anon / 2**20)}


# A child younger than this that still runs its parent's program is a fork that has not yet
# exec'd (the JVM forks to run chmod on local files): its pages are its parent's.
UNEXECED_FORK_S = 1.0


def _sample_peak_rss(process: Any, child: subprocess.Popen) -> PeakMemory:
    import psutil

    rss = anon = 0
    while child.poll() is None:
        try:
            children = process.children(recursive=True)
            sizes = [_memory(process), *(_memory(p) for p in children if not _unexeced_fork(p))]
        except psutil.NoSuchProcess:
            break
        rss = max(rss, sum(r for r, _ in sizes))
        anon = max(anon, sum(a for _, a in sizes))
        time.sleep(0.1)
    return PeakMemory(rss, anon)


def _unexeced_fork(process: Any) -> bool:
    """Counting such a fork would count its parent's memory twice: seen at 8M events, where a
    JVM of 7.0 GB RSS showed a 7.0 GB child for a tenth of a second and the sum read 14 GB."""
    try:
        young = time.time() - process.create_time() < UNEXECED_FORK_S
        return young and process.exe() == process.parent().exe()
    except Exception:  # gone, or not ours to inspect: count it
        return False


def _memory(process: Any) -> tuple[int, int]:
    """(RSS, its anonymous part) in bytes; psutil's `shared` is RssFile + RssShmem."""
    try:
        info = process.memory_info()
        return info.rss, info.rss - getattr(info, "shared", 0)
    except Exception:  # the process ended between listing and sampling
        return 0, 0


def run(
    smoke: bool = False, codec: str = "zstd", sizes: tuple[int, ...] | None = None
) -> dict[str, Any]:
    """Run the benchmark; returns per size the two engines' results and the ratio."""
    sizes = sizes or ((SMOKE_SIZE,) if smoke else SIZES)
    driver_memory = "2g" if smoke else SPARK_DRIVER_MEMORY
    CACHE.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "cores": CORES,
        "codec": codec,
        "spark_driver_memory": driver_memory,
        "sizes": {},
    }
    for events in sizes:
        raw, truth = ensure_day(events)
        spark = measure("spark", raw, codec, driver_memory)
        duck = measure("duckdb", raw, codec, driver_memory)
        floor = measure("spark_floor", raw, codec, driver_memory)
        _check_against_truth("spark", spark["counts"], truth)
        _check_against_truth("duckdb", duck["counts"], truth)
        ratio = spark["job_s"] / duck["job_s"]
        results["sizes"][str(events)] = {
            "spark": spark,
            "duckdb": duck,
            "spark_floor": floor,
            "spark_over_duckdb": round(ratio, 2),
            "spark_over_floor": round(spark["job_s"] / floor["job_s"], 2),
        }
        print(_report_line(events, spark, duck, ratio, floor), flush=True)
    results["stage"] = "day_job"
    results["figures"] = [f for events in sizes for f in _figures(events, results)]
    results["notes"] = _notes(results)
    return results


def _figures(events: int, results: dict[str, Any]) -> list[dict[str, Any]]:
    from figures import figure

    measured = results["sizes"][str(events)]
    spark, duck, floor = measured["spark"], measured["duckdb"], measured["spark_floor"]
    size = f"{events / 1e6:g}M events" if events >= 1_000_000 else f"{events:,} events"
    baseline = f"DuckDB, same work ({CORES} threads)"
    ratio_max, rate_min, rss_max = _targets(events)
    return [
        figure(
            f"Spark job, {size}: seconds",
            spark["job_s"],
            "s",
            baseline,
            duck["job_s"],
            at_most=ratio_max,
        ),
        figure(
            f"Spark job, {size}: events/s",
            spark["events_per_s"],
            "events/s",
            baseline,
            duck["events_per_s"],
            value_at_least=rate_min,
        ),
        figure(
            f"Spark job, {size}: seconds over the Spark floor",
            spark["job_s"],
            "s",
            "one Spark pass: read, check and write the typed lake (no dedupe, counts, quarantine)",
            floor["job_s"],
        ),
        figure(
            f"Spark floor, {size}: events/s",
            round(spark["counts"]["raw_records_in"] / floor["job_s"]),
            "events/s",
            "the Spark job, same run",
            spark["events_per_s"],
        ),
        figure(
            f"Spark job, {size}: peak RSS",
            spark["peak_rss_mb"],
            "MB",
            baseline,
            duck["peak_rss_mb"],
            value_at_most=rss_max,
        ),
    ]


def _targets(events: int) -> tuple[float, float, float | None]:
    """(Spark/DuckDB at most, events/s at least, peak RSS MB at most) for a day size."""
    return TARGETS_8M if events == 8_000_000 else (TARGET_RATIO, TARGET_EVENTS_PER_S, None)


def _notes(results: dict[str, Any]) -> str:
    parts = []
    for events, both in results["sizes"].items():
        spark = both["spark"]
        stages = ", ".join(f"{k} {v:.1f}" for k, v in spark["stages_s"].items() if v >= 0.5)
        parts.append(f"{int(events):,} events: Spark stages (s) {stages}")
    return (
        f"Both engines match the generator's truth counts; local[{CORES}] Spark with "
        f"{results['spark_driver_memory']} driver memory, {results['codec']} Parquet. "
        + "; ".join(parts)
        + ". read_validate is gzip decompression, the JSON parse, the contract and the cache "
        "fill; dedupe is the uuid shuffle over the cache; "
        "docs/day-job.md explains what dominates and what was tried."
    )


def _check_against_truth(engine: str, counts: dict[str, Any], truth: dict[str, Any]) -> None:
    expected = {
        "raw_records_in": truth["raw_records"],
        "written": truth["valid_unique"],
        "invalid_by_reason": truth["invalid_by_reason"],
        "natural_duplicates": truth["natural_duplicates"],
        "synthetic_duplicates": truth["synthetic_duplicates"],
        "deferred": truth["deferred"],
    }
    actual = {k: counts[k] for k in expected}
    if actual != expected:  # dict equality ignores key order
        raise AssertionError(f"{engine} counts differ from the truth: {actual} != {expected}")


def _report_line(events: int, spark: dict, duck: dict, ratio: float, floor: dict) -> str:
    def line(name: str, r: dict) -> str:
        return (
            f"  {name:<7} {r['job_s']:>7.1f} s  {r['events_per_s']:>9,} ev/s  peak RSS {r['peak_rss_mb']:>6,} MB"
            f" (anon {r['peak_anon_mb']:>6,})"
            f"  files {r['lake_files']:>4}  lake {r['lake_mb']:>7,.1f} MB  stages {r['stages_s']}"
        )

    ratio_max, rate_min, _ = _targets(events)
    verdict = "meets" if spark["events_per_s"] >= rate_min and ratio <= ratio_max else "misses"
    return (
        f"{events:,} events ({CORES} cores):\n{line('spark', spark)}\n{line('duckdb', duck)}\n"
        f"  floor   {floor['job_s']:>7.1f} s  (one Spark pass: read, check, write the typed lake)\n"
        f"  spark/duckdb = {ratio:.2f}x  ({verdict} the target: >= {rate_min:,} ev/s and <= {ratio_max}x)"
    )


def _child(args: argparse.Namespace) -> int:
    raw, out = Path(args.raw), Path(args.out)
    if args.child == "spark":
        result = run_spark(
            raw, out, args.codec, args.driver_memory, args.run_date, untyped=args.untyped
        )
    elif args.child == "spark_floor":
        result = run_spark_floor(raw, out, args.codec, args.driver_memory)
    else:
        result = run_duckdb(raw, out, args.codec)
    Path(args.result).write_text(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--smoke", action="store_true", help=f"one tiny day ({SMOKE_SIZE:,} events)"
    )
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=None)
    parser.add_argument("--codec", choices=("zstd", "snappy"), default="zstd")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--raw", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--run-date", type=date.fromisoformat, default=DAY, help=argparse.SUPPRESS)
    parser.add_argument("--driver-memory", default=SPARK_DRIVER_MEMORY, help=argparse.SUPPRESS)
    parser.add_argument("--untyped", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)
    results = run(smoke=args.smoke, codec=args.codec, sizes=args.sizes)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sys.exit(main())
