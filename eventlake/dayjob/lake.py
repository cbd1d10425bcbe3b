"""The lake side of run D: the lookback read for dedupe, the staged write and the publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from eventlake.core.job_params import DayJobParams
from eventlake.core.layout import RunLocations, join_uri, run_date_of
from eventlake.core.plan import WRONG_TYPE, EventTypeDecl, FieldDecl, TrackingPlan
from eventlake.core.tables import EVENTS as EVENTS_TABLE
from eventlake.core.tables import FileGroup, lake_file_groups, table
from eventlake.dayjob.classify import WRITTEN, payload_hash
from eventlake.dayjob.contract_columns import with_display_fields
from eventlake.dayjob.hadoop_fs import HadoopFS
from eventlake.dayjob.plan_columns import VIOLATIONS, typed_column

EVENTS = table(EVENTS_TABLE)
# Directory levels the Spark writer makes; the last key, run_date, is added by the publish step.
LAKE_PARTITION_COLUMNS: tuple[str, ...] = EVENTS.partition_names[:-1]
assert EVENTS.partition_names[-1] == "run_date", "run D owns the last partition level"


@dataclass(frozen=True)
class OutputPartition:
    """One directory written by the run, with what the files in it hold."""

    name: str  # e.g. event_date=2026-11-24/event_type=payment
    files: int
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"partition": self.name, "files": self.files, "bytes": self.bytes}


def lookback_dates(params: DayJobParams) -> list[date]:
    first = params.run_date - timedelta(days=params.lookback_days)
    return [first + timedelta(days=i) for i in range(params.lookback_days + 2)]  # ... D, D+1


def lookback_dirs(fs: HadoopFS, params: DayJobParams) -> list[str]:
    """The lake directories written by earlier runs (run_date < D) for the lookback dates.

    Never run D's own earlier output (a rerun must not see itself) and never a later run's.
    """
    dates = ",".join(d.isoformat() for d in lookback_dates(params))
    pattern = join_uri(
        params.locations.lake_events, f"event_date={{{dates}}}/event_type=*/run_date=*"
    )
    earlier = []
    for directory in fs.glob_dirs(pattern):
        written_by = run_date_of(directory)
        if written_by is not None and written_by < params.run_date:
            earlier.append(directory)
    return earlier


@dataclass(frozen=True)
class LookbackLake:
    """The lake directories of earlier runs that run D's dedupe looks back on."""

    spark: SparkSession
    root: str  # the events table's folder: the partition values are read from the paths
    directories: list[str]

    def _read(self, columns: str) -> DataFrame:
        partitions = ", ".join(f"{c.name} {c.type}" for c in EVENTS.partition_keys)
        return (
            self.spark.read.schema(f"{columns}, {partitions}")
            .option("basePath", self.root)
            .parquet(*self.directories)
        )

    @staticmethod
    def _part() -> Column:
        return F.concat_ws("/", *[F.col(name).cast("string") for name in EVENTS.partition_names])

    def uuids(self) -> DataFrame:
        rows = self._read("event_uuid string, payload_hash bigint")
        return rows.select("event_uuid", "payload_hash", self._part().alias("part"))

    def payloads(self, parts: list[str]) -> DataFrame:
        # A filter on the partition columns alone: Spark lists and reads only those folders.
        rows = self._read("event_uuid string, payload string")
        return rows.where(self._part().isin(*parts)).select("event_uuid", "payload")


def lookback_lake(spark: SparkSession, fs: HadoopFS, params: DayJobParams) -> LookbackLake | None:
    """The lookback of run D, or None when no earlier run wrote to it."""
    directories = lookback_dirs(fs, params)
    if not directories:
        return None
    return LookbackLake(spark, params.locations.lake_events, directories)


def _typed_value(decl: EventTypeDecl, field: FieldDecl) -> Column:
    """The field's typed value; null where it did not fit (the payload keeps the original).

    Only a string or a shapeless container can hold a value of another JSON type (as its
    text); every other type already parsed to null. The violations are searched only where
    there is a value: in the group's one write, another type's rows hold none."""
    value = F.col(typed_column(decl.name))[field.name]
    if field.type == "string" or not field.has_shape:
        misfit = F.array_contains(F.col(VIOLATIONS), f"{field.name}:{WRONG_TYPE}")
        value = F.when(value.isNotNull() & ~misfit, value)
    return value


def lake_rows(classified: DataFrame, plan: TrackingPlan, group: FileGroup) -> DataFrame:
    """Run D's written rows of the group's types: events' common columns, then the group's
    typed columns (each from its own type's typed parse, null in the other types' rows).

    created_datetime and event_subtype are derived here, for the written rows only.
    """
    mine = (F.col("outcome") == F.lit(WRITTEN)) & F.col("event_type").isin(*group.types)
    written = with_display_fields(classified.where(mine))
    sources = {
        "payload": F.col("raw_record"),
        "payload_hash": payload_hash(F.col("raw_record")),
        "created_ts": F.timestamp_seconds(F.col("created_at")),
    }
    by_name: dict[str, list[Column]] = {}
    for decl in filter(None, map(plan.type, group.types)):
        for field in decl.fields:
            by_name.setdefault(field.name, []).append(_typed_value(decl, field))
    sources.update({name: F.coalesce(*values) for name, values in by_name.items()})
    return written.select(
        *[sources.get(c.name, F.col(c.name)).cast(c.type).alias(c.name) for c in EVENTS.columns],
        *[sources[c.name].cast(c.type).alias(c.name) for c in group.typed],
        *LAKE_PARTITION_COLUMNS,
    )


def write_groups(plan: TrackingPlan, event_types: list[str]) -> list[FileGroup]:
    """The file groups of the day's written types; the unplanned ones join the first group
    (their files need only the common columns, which every group has)."""
    planned = [d for d in map(plan.type, event_types) if d is not None]
    unplanned = tuple(t for t in event_types if plan.type(t) is None)
    groups = lake_file_groups(planned) or [FileGroup((), ())]
    first = groups[0]
    groups[0] = FileGroup(first.types + unplanned, first.typed)
    return [g for g in groups if g.types]


def write_staging(
    fs: HadoopFS,
    classified: DataFrame,
    params: DayJobParams,
    plan: TrackingPlan,
    event_types: list[str],
    shuffle_partitions: int,
) -> None:
    """Write run D's lake rows under the staging folder, a few files per partition.

    One write per file group (one for today's plan). Repartitioning by the partition columns
    puts each (event_date, event_type) in one task, so it gets one file (more only above
    max_records_per_file).
    """
    fs.delete(params.locations.staging)
    for group in write_groups(plan, event_types):
        (
            lake_rows(classified, plan, group)
            .repartition(shuffle_partitions, *LAKE_PARTITION_COLUMNS)
            .write.mode("append")
            .option("compression", params.parquet_codec)
            .option("maxRecordsPerFile", params.max_records_per_file)
            .partitionBy(*LAKE_PARTITION_COLUMNS)
            .parquet(params.locations.staging)
        )


def output_partitions(fs: HadoopFS, root: str) -> list[OutputPartition]:
    """Files and bytes per partition directory below `root` (Parquet files only)."""
    totals: dict[str, list[int]] = {}
    for entry in fs.list_files(root):
        if not entry.relative.endswith(".parquet"):
            continue
        name = entry.relative.rsplit("/", 1)[0]
        files_bytes = totals.setdefault(name, [0, 0])
        files_bytes[0] += 1
        files_bytes[1] += entry.size
    return [OutputPartition(name, f, b) for name, (f, b) in sorted(totals.items())]


def staged_row_counts(spark: SparkSession, where: RunLocations) -> dict[str, int]:
    """Rows per staged partition, as the Parquet files hold them (an independent count)."""
    staged = spark.read.parquet(where.staging)
    if not set(LAKE_PARTITION_COLUMNS) <= set(staged.columns):
        return {}
    counts = staged.groupBy(*LAKE_PARTITION_COLUMNS).count().collect()
    return {f"event_date={r.event_date}/event_type={r.event_type}": r["count"] for r in counts}


def publish(fs: HadoopFS, where: RunLocations) -> list[str]:
    """Replace exactly run D's file sets in the lake with the staged ones.

    1. delete every {events}/event_date=*/event_type=*/run_date=D directory;
    2. move each staged event_date=X/event_type=Y directory to .../run_date=D;
    3. remove the staging folder.
    A crash anywhere in between is repaired by rerunning D: earlier runs' data is never
    touched, and run D's dedupe never reads run D's own directories.
    """
    for old in fs.glob_dirs(where.lake_run_dirs):
        fs.delete(old)
        _remove_empty_parents(fs, old)
    published = []
    for partition in output_partitions(fs, where.staging):
        target = where.lake_run_dir(partition.name)
        fs.move_dir(join_uri(where.staging, partition.name), target)
        published.append(target)
    fs.delete(where.staging)
    fs.delete_if_empty(where.staging_root)
    return published


def _remove_empty_parents(fs: HadoopFS, directory: str) -> None:
    type_dir = directory.rstrip("/").rsplit("/", 1)[0]
    if fs.delete_if_empty(type_dir):
        fs.delete_if_empty(type_dir.rsplit("/", 1)[0])
