"""Run D of the day job: list, read, classify and write, verify, publish, write the manifest."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from eventlake.core.job_params import DayJobParams
from eventlake.core.layout import is_s3, run_window
from eventlake.core.manifest import (
    Counts,
    Manifest,
    PartitionEntry,
    RawObjects,
    Reconciliation,
    UnreadableObject,
)
from eventlake.core.plan import TrackingPlan, tracking_plan
from eventlake.dayjob import lake, quarantine
from eventlake.dayjob.classify import classify, with_ownership
from eventlake.dayjob.contract_columns import with_partition_fields
from eventlake.dayjob.counts import (
    RunCounts,
    count_outcomes,
    count_schema_violations,
    object_entries,
    off_day_partitions,
    partition_rows,
    reconcile,
    record_totals,
    unknown_source_records,
)
from eventlake.dayjob.figures import day_figures
from eventlake.dayjob.hadoop_fs import HadoopFS
from eventlake.dayjob.plan_columns import VIOLATIONS, typed_columns
from eventlake.dayjob.record_check import with_checks
from eventlake.dayjob.sources import (
    OWNED,
    PEEKED,
    RawObject,
    find_unreadable,
    is_unreadable_input_error,
    list_raw_objects,
    raw_records,
    read_lines,
)

# SQL settings the job relies on; set per run so they hold in Glue and locally alike.
JOB_SQL_SETTINGS: dict[str, str] = {
    # Spark 4's default, set explicitly: an invalid cast or index is an error, never a silent
    # null. The contract's columns use try_* forms where a record may not fit.
    "spark.sql.ansi.enabled": "true",
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
    # A whole-stage method over 8000 bytes of bytecode (HotSpot's limit for compiling it) runs
    # each operator with its own, smaller code instead. The lake write's stage with the typed
    # columns is 12 kB; split, it took 35 s instead of 39 s at 2M (docs/day-job.md §8).
    "spark.sql.codegen.hugeMethodLimit": "8000",
}
DEFAULT_SHUFFLE_PARTITIONS = 8

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
    VIOLATIONS,
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


def run_day_job(
    spark: SparkSession,
    params: DayJobParams,
    *,
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
    on_stage: StageListener | None = None,
    plan: TrackingPlan | None = None,
) -> Manifest:
    """Process run date D end to end and return the manifest (also written to the reports).

    `plan` is the tracking plan to check the events against (the shipped one by default).
    Raises ReconciliationError (before the lake is touched) if the counts do not add up.
    """
    plan = plan or tracking_plan()
    apply_job_settings(spark, params, shuffle_partitions)
    fs = HadoopFS(spark)
    timer = StageTimer(on_stage)
    where = params.locations
    started = datetime.now(UTC)
    with timer.stage("list"):
        objects = list_raw_objects(fs, params)
        lookback = lake.lookback_lake(spark, fs, params)
    with timer.stage("read_validate"):
        records, count, readable, unreadable = read_readable(
            spark, fs, params, plan, objects, timer
        )
    with ExitStack() as cached:  # the cached records and dedupe decisions, freed at the end
        cached.callback(records.unpersist)
        with timer.stage("dedupe"):
            rows = cached.enter_context(classify(records, lookback, records_count=count))
        with timer.stage("count"):
            counts = count_outcomes(rows)
            violations = count_schema_violations(rows)
        with timer.stage("write_staging"):
            lake.write_staging(fs, rows, params, plan, counts.written_types(), shuffle_partitions)
        with timer.stage("write_quarantine"):
            quarantine.write_quarantine(rows, where, params.parquet_codec)
        with timer.stage("figures"):  # for the day report
            figures = day_figures(spark, rows, where)
    totals = record_totals(readable, counts, unreadable=len(unreadable))
    with timer.stage("verify"):
        reconciliation, lake_parts, quarantine_parts = verify(
            spark, fs, params, totals, counts, readable
        )
    with timer.stage("publish"):
        lake.publish(fs, where)
    late, early = off_day_partitions(counts, params.run_date)
    manifest = Manifest(
        run_date=params.run_date,
        started_at=started.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        window=window_of(params),
        config=params.to_arguments(),
        raw_objects=raw_objects_summary(readable, counts),
        counts=totals,
        late_events_by_partition=late,
        future_events_by_partition=early,
        lake_partitions=lake_parts,
        quarantine_partitions=quarantine_parts,
        reconciliation=reconciliation,
        lookback_directories_read=lookback.directories_read if lookback else 0,
        job_run_id=params.job_run_id,
        unreadable_objects=unreadable,
        timings_s=timer.seconds,
        figures=figures,
        schema_violations=violations,
    )
    with timer.stage("manifest"):
        fs.write_text(where.manifest, manifest.to_json())
    return manifest


def apply_job_settings(spark: SparkSession, params: DayJobParams, shuffle_partitions: int) -> None:
    for key, value in JOB_SQL_SETTINGS.items():
        spark.conf.set(key, value)
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    # Spark re-lists the object paths we pass; above this many paths it starts a distributed
    # listing job, which helps on S3 and only costs a second or more on a local folder.
    threshold = "32" if is_s3(params.raw_uri) else "1000000"
    spark.conf.set("spark.sql.sources.parallelPartitionDiscovery.threshold", threshold)


def validated_records(
    spark: SparkSession, objects: list[RawObject], params: DayJobParams, plan: TrackingPlan
) -> DataFrame:
    """One row per line piece: validated against the contract and the tracking plan, typed,
    partition fields derived, owned (or not) by run D.

    created_datetime and event_subtype are derived later, for the written rows only.
    """
    records = raw_records(read_lines(spark, objects))
    cfg = params.contract.for_object_arrival()
    checked = with_partition_fields(with_checks(records, cfg, plan))
    columns = (*VALIDATED_COLUMNS, *typed_columns(plan))
    return with_ownership(checked, params.run_date).select(*columns)


def read_readable(
    spark: SparkSession,
    fs: HadoopFS,
    params: DayJobParams,
    plan: TrackingPlan,
    objects: list[RawObject],
    timer: StageTimer,
) -> tuple[DataFrame, int, list[RawObject], list[UnreadableObject]]:
    """Read and validate the day into the cache, setting aside raw objects Spark cannot read.

    Returns the cached records, how many rows they are, the objects they come from and the
    objects set aside.

    A truncated gzip or a file that is not gzip must neither fail the day nor vanish: it is
    found by bisection, copied unchanged to the quarantine and named in the manifest (which
    fails the quality checks), and the day runs on the rest. Nothing is set aside on a day
    whose objects all read, and then the objects are read once.
    """
    records = validated_records(spark, objects, params, plan).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return records, records.count(), objects, []
    except Exception as exc:
        records.unpersist()
        if not is_unreadable_input_error(exc):
            raise
        with timer.stage("set_aside_unreadable"):
            found = find_unreadable(spark, objects)
            if not found:
                raise
            unreadable = []
            for obj, reason in found:
                copy = params.locations.unreadable_copy(obj.key)
                fs.copy_file(obj.path, copy)
                unreadable.append(UnreadableObject(**obj.to_dict(), reason=reason, copied_to=copy))
    bad = {obj.key for obj, _ in found}
    readable = [o for o in objects if o.key not in bad]
    records = validated_records(spark, readable, params, plan).persist(StorageLevel.MEMORY_AND_DISK)
    return records, records.count(), readable, unreadable


def verify(
    spark: SparkSession,
    fs: HadoopFS,
    params: DayJobParams,
    totals: Counts,
    counts: RunCounts,
    objects: list[RawObject],
) -> tuple[Reconciliation, list[PartitionEntry], list[PartitionEntry]]:
    """Count the written files independently and reconcile them with the outcome counts."""
    where = params.locations
    staged_rows = lake.staged_row_counts(spark, where) if totals.written else {}
    quarantined = quarantine.quarantined_row_counts(spark, where) if totals.quarantined else {}
    reconciliation = reconcile(
        totals,
        unknown_source_records(objects, counts),
        sum(staged_rows.values()),
        sum(quarantined.values()),
    )
    rows = partition_rows(counts)
    lake_parts = [
        PartitionEntry(
            p.name, p.files, p.bytes, rows.get(p.name, 0), run_dir=f"{p.name}/{where.run_dir}"
        )
        for p in lake.output_partitions(fs, where.staging)
    ]
    quarantine_parts = [
        PartitionEntry(p.name, p.files, p.bytes, quarantined.get(p.name.removeprefix("reason="), 0))
        for p in lake.output_partitions(fs, where.quarantine_events)
    ]
    return reconciliation, lake_parts, quarantine_parts


def window_of(params: DayJobParams) -> dict[str, list[str]]:
    start, owned_end, read_end = run_window(params.run_date, params.grace)
    return {
        "owned": [start.isoformat(), owned_end.isoformat()],
        "peeked": [owned_end.isoformat(), read_end.isoformat()],
    }


def raw_objects_summary(objects: list[RawObject], counts: RunCounts) -> RawObjects:
    return RawObjects(
        owned=sum(1 for o in objects if o.role == OWNED),
        peeked=sum(1 for o in objects if o.role == PEEKED),
        named_by_hour_prefix=sum(1 for o in objects if not o.named),
        bytes=sum(o.size for o in objects),
        objects=object_entries(objects, counts),
    )
