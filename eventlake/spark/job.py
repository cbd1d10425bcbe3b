"""Run D of the day job: read, validate, classify, write, publish, and write the manifest last."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from eventlake.layout import is_s3, manifest_uri, quarantine_object_uri, run_window
from eventlake.spark import lake, quarantine
from eventlake.spark.classify import (
    contested_outcomes,
    contested_uuids,
    is_dedupe_candidate,
    with_outcome,
    with_ownership,
)
from eventlake.spark.config import DayJobConfig
from eventlake.spark.contract_columns import with_partition_fields, with_verdict
from eventlake.spark.hadoop_fs import HadoopFS
from eventlake.spark.manifest import (
    count_outcomes,
    object_entries,
    off_day_partitions,
    partition_rows,
    reconcile,
    record_totals,
)
from eventlake.spark.sources import (
    OWNED,
    PEEKED,
    RawObject,
    find_unreadable,
    is_unreadable_input_error,
    list_raw_objects,
    raw_records,
    read_lines,
)

MANIFEST_VERSION = 1
# SQL settings the job relies on; set per run so they hold in Glue and locally alike.
JOB_SQL_SETTINGS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # A JSON object with a repeated key must not fail the run; the last value wins, as in Python.
    "spark.sql.mapKeyDedupPolicy": "LAST_WIN",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # The validated records are cached once per run. Column compression saved under 10 % of
    # the cache's size (the raw text dominates) and cost ~10 CPU-s per 2M records.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
}
DEFAULT_SHUFFLE_PARTITIONS = 8

# Above this many contested copies (duplicates, or uuids already in the lake) the outcomes
# are joined back with a shuffle instead of a broadcast.
BROADCAST_MAX_DECISIONS = 1_000_000
VALIDATED_COLUMNS: tuple[str, ...] = (
    "line_id",
    "piece",
    "source_key",
    "arrival_ts",
    "is_blank",
    "belongs",
    "raw_record",
    "event_uuid",
    "event_name",
    "created_at",
    "event_type",
    "event_date",
    "reason",
    "reason_field",
)

StageListener = Callable[[str], None]


class StageTimer:
    """Wall-clock seconds per named stage; tells a listener when a stage starts."""

    def __init__(self, listener: StageListener | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self._listener = listener

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._listener:
            self._listener(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


def apply_job_settings(spark: SparkSession, config: DayJobConfig, shuffle_partitions: int) -> None:
    for key, value in JOB_SQL_SETTINGS.items():
        spark.conf.set(key, value)
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    # Spark re-lists the object paths we pass; above this many paths it starts a distributed
    # listing job, which helps on S3 and only costs a second or more on a local folder.
    threshold = "32" if is_s3(config.raw_uri) else "1000000"
    spark.conf.set("spark.sql.sources.parallelPartitionDiscovery.threshold", threshold)


def validated_records(
    spark: SparkSession, objects: list[RawObject], config: DayJobConfig
) -> DataFrame:
    """One row per line piece: validated, partition fields derived, owned (or not) by run D.

    created_datetime and event_subtype are derived later, for the written rows only.
    """
    records = raw_records(read_lines(spark, objects))
    validated = with_partition_fields(with_verdict(records, config.validation_contract()))
    return with_ownership(validated, config.run_date).select(*VALIDATED_COLUMNS)


def run_day_job(
    spark: SparkSession,
    config: DayJobConfig,
    *,
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
    on_stage: StageListener | None = None,
) -> dict[str, Any]:
    """Process run date D end to end and return the manifest (also written to the reports).

    Raises ReconciliationError (before the lake is touched) if the counts do not add up.
    """
    apply_job_settings(spark, config, shuffle_partitions)
    fs = HadoopFS(spark)
    timer = StageTimer(on_stage)
    started = datetime.now(UTC)
    with timer.stage("list"):
        objects = list_raw_objects(fs, config)
        lookback = lake.lookback_dirs(fs, config)
    unreadable: list[tuple[RawObject, str]] = []
    try:
        counts = classify_and_write(spark, config, objects, lookback, shuffle_partitions, timer)
    except Exception as exc:
        # A raw object Spark cannot read (a truncated gzip, a file that is not gzip) must
        # neither fail the day nor vanish: it is copied to the quarantine, named in the
        # manifest (which fails the quality checks), and the day runs without it.
        if not is_unreadable_input_error(exc):
            raise
        with timer.stage("find_unreadable"):
            unreadable = find_unreadable(spark, objects)
        if not unreadable:
            raise
        set_aside_unreadable(fs, config, unreadable)
        unreadable_keys = {o.key for o, _ in unreadable}
        objects = [o for o in objects if o.key not in unreadable_keys]
        counts = classify_and_write(spark, config, objects, lookback, shuffle_partitions, timer)
    totals = record_totals(objects, counts)
    with timer.stage("verify"):
        staged_rows = lake.staged_row_counts(spark, config) if totals["written"] else {}
        quarantined = (
            quarantine.quarantined_row_counts(spark, config) if totals["quarantined"] else {}
        )
        reconciliation = reconcile(totals, sum(staged_rows.values()), sum(quarantined.values()))
        staged = lake.output_partitions(fs, lake.staging_uri(config))
        quarantine_parts = lake.output_partitions(fs, quarantine.quarantine_uri(config))
    with timer.stage("publish"):
        lake.publish(fs, config)
    manifest = build_manifest(
        config,
        objects,
        counts,
        totals,
        reconciliation,
        staged,
        quarantine_parts,
        quarantined,
        started,
    )
    manifest["lookback_directories_read"] = len(lookback)
    manifest["counts"]["unreadable_objects"] = len(unreadable)
    manifest["unreadable_objects"] = [
        {
            **obj.to_dict(),
            "reason": reason,
            "copied_to": quarantine_object_uri(config.quarantine_uri, config.run_date, obj.key),
        }
        for obj, reason in unreadable
    ]
    manifest["timings_s"] = timer.seconds
    with timer.stage("manifest"):
        fs.write_text(
            manifest_uri(config.reports_uri, config.run_date), json.dumps(manifest, indent=2)
        )
    manifest["timings_s"] = timer.seconds
    return manifest


def classify_and_write(
    spark: SparkSession,
    config: DayJobConfig,
    objects: list[RawObject],
    lookback: list[str],
    shuffle_partitions: int,
    timer: StageTimer,
) -> Any:
    """Read, validate, dedupe and count the objects, then write the staging lake and the
    quarantine. Returns the outcome counts; nothing is published yet."""
    # The input is read, parsed and validated once, into the cache; everything after reads it.
    validated = validated_records(spark, objects, config).persist(StorageLevel.MEMORY_AND_DISK)
    candidates = validated.where(is_dedupe_candidate())
    contested = contested_uuids(candidates, lake.lake_uuids(spark, lookback))
    contested = contested.persist(StorageLevel.MEMORY_AND_DISK)
    decided = None
    try:
        with timer.stage("read_validate_dedupe"):
            # Fills the cache and shuffles uuids only. Knowing how many uuids are contested
            # lets the copies be picked with a broadcast instead of shuffling every record.
            few = contested.count() <= BROADCAST_MAX_DECISIONS
            decided = contested_outcomes(candidates, contested, broadcast=few)
            decided = decided.persist(StorageLevel.MEMORY_AND_DISK)
            decisions = decided.count()
            contested.unpersist()
        classified = with_outcome(
            validated, decided, broadcast=decisions <= BROADCAST_MAX_DECISIONS
        )
        with timer.stage("count"):
            counts = count_outcomes(classified)
        with timer.stage("write_staging"):
            lake.write_staging(classified, config, shuffle_partitions)
        with timer.stage("write_quarantine"):
            quarantine.write_quarantine(classified, config)
    finally:
        if decided is not None:
            decided.unpersist()
        contested.unpersist()
        validated.unpersist()
    return counts


def set_aside_unreadable(
    fs: HadoopFS, config: DayJobConfig, unreadable: list[tuple[RawObject, str]]
) -> None:
    """Copy each unreadable raw object, unchanged, into the quarantine under its raw key."""
    for obj, _ in unreadable:
        fs.copy_file(
            obj.path, quarantine_object_uri(config.quarantine_uri, config.run_date, obj.key)
        )


def build_manifest(
    config: DayJobConfig,
    objects: list[RawObject],
    counts: Any,
    totals: dict[str, Any],
    reconciliation: dict[str, Any],
    staged: list[lake.OutputPartition],
    quarantine_parts: list[lake.OutputPartition],
    quarantined: dict[str, int],
    started: datetime,
) -> dict[str, Any]:
    start, owned_end, read_end = run_window(config.run_date, config.grace)
    rows = partition_rows(counts)
    late, early = off_day_partitions(counts, config.run_date)
    run_dir = f"run_date={config.run_date.isoformat()}"
    return {
        "manifest_version": MANIFEST_VERSION,
        "run_date": config.run_date.isoformat(),
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "window": {
            "owned": [start.isoformat(), owned_end.isoformat()],
            "peeked": [owned_end.isoformat(), read_end.isoformat()],
        },
        "config": config.to_dict(),
        "raw_objects": {
            "owned": sum(1 for o in objects if o.role == OWNED),
            "peeked": sum(1 for o in objects if o.role == PEEKED),
            "named_by_hour_prefix": sum(1 for o in objects if not o.named),
            "bytes": sum(o.size for o in objects),
            "objects": object_entries(objects, counts),
        },
        "counts": {k: v for k, v in totals.items() if k != "unknown_source_records"},
        "late_events_by_partition": late,
        "future_events_by_partition": early,
        "lake_partitions": [
            {**p.to_dict(), "run_dir": f"{p.name}/{run_dir}", "rows": rows.get(p.name, 0)}
            for p in staged
        ],
        "quarantine_partitions": [
            {**p.to_dict(), "rows": quarantined.get(p.name.removeprefix("reason="), 0)}
            for p in quarantine_parts
        ],
        "reconciliation": reconciliation,
    }
