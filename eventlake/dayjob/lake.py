"""The lake side of run D: the lookback read for dedupe, the staged write and the publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from eventlake.core.job_params import DayJobParams
from eventlake.core.layout import UUID_INDEX_ROOT, RunLocations, join_uri, run_date_of
from eventlake.core.plan import EventTypeDecl, FieldDecl, TrackingPlan
from eventlake.core.tables import EVENTS as EVENTS_TABLE
from eventlake.core.tables import FileGroup, lake_file_groups, table
from eventlake.dayjob.classify import WRITTEN, payload_hash
from eventlake.dayjob.contract_columns import with_display_fields
from eventlake.dayjob.hadoop_fs import HadoopFS
from eventlake.dayjob.plan_columns import typed_column
from eventlake.dayjob.uuid_index import INDEX_COLUMNS, index_rows, uuid_text, write_staged_index

EVENTS = table(EVENTS_TABLE)
# Columns with a value per event, where Parquet's dictionary (tried first on every column) only
# costs: without it the 2M-event write took 12.7 s instead of 13.8 s warm, and 187 MB, not 192.
NO_DICTIONARY: tuple[str, ...] = (
    "event_uuid",
    "created_at",
    "created_datetime",
    "created_ts",
    "payload",
    "payload_hash",
)
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


def _earlier_runs(fs: HadoopFS, params: DayJobParams, root: str, levels: str) -> list[str]:
    """`root`'s directories of the lookback dates written by earlier runs (run_date < D)."""
    dates = ",".join(d.isoformat() for d in lookback_dates(params))
    pattern = join_uri(root, f"event_date={{{dates}}}/{levels}run_date=*")
    earlier = []
    for directory in fs.glob_dirs(pattern):
        written_by = run_date_of(directory)
        if written_by is not None and written_by < params.run_date:
            earlier.append(directory)
    return earlier


def lookback_dirs(fs: HadoopFS, params: DayJobParams) -> list[str]:
    """The lake directories written by earlier runs (run_date < D) for the lookback dates.

    Never run D's own earlier output (a rerun must not see itself) and never a later run's.
    """
    return _earlier_runs(fs, params, params.locations.lake_events, "event_type=*/")


def _pair(directory: str) -> tuple[str, str]:
    """(event_date=X, run_date=R) of a lake or index directory."""
    names = directory.rstrip("/").split("/")
    return names[-1], next(n for n in reversed(names) if n.startswith("event_date="))


# A hit's `part`: its partition values (event_date, event_type, run_date) joined by this.
_PART_SEP = "/"


@dataclass(frozen=True)
class LookbackLake:
    """What run D's dedupe looks back on: the uuid index of earlier runs' lake partitions,
    and the lake files themselves for the partitions that have no index."""

    spark: SparkSession
    root: str  # the events table's folder: the partition values are read from the paths
    directories: list[str]  # lake directories without an index: read from the lake files
    index_root: str = ""
    indexed: tuple[str, ...] = ()  # index directories

    @property
    def directories_read(self) -> int:
        """Index and lake directories the probe reads."""
        return len(self.indexed) + len(self.directories)

    def _read(self, root: str, columns: str, partitions: str, directories: list[str]) -> DataFrame:
        return (
            self.spark.read.schema(f"{columns}, {partitions}")
            .option("basePath", root)
            .parquet(*directories)
        )

    def _lake(self, columns: str) -> DataFrame:
        return self._read(self.root, columns, self._partitions(), self.directories)

    def _keys(self) -> DataFrame:
        """(uuid_key, uuid_hi, uuid_lo, payload_hash, event_date, event_type, run_date) of every lake
        row in the lookback, from the index where there is one."""
        keys = ("uuid_key", "uuid_hi", "uuid_lo", "payload_hash", *EVENTS.partition_names)
        sources = []
        if self.indexed:
            in_files = {column.split()[0] for column in INDEX_COLUMNS.split(",")}
            dated = self._partitions(exclude=in_files)  # event_type is an index column
            sources.append(self._read(self.index_root, INDEX_COLUMNS, dated, self.indexed))
        if self.directories:
            sources.append(index_rows(self._lake("event_uuid string, payload_hash bigint")))
        rows = sources[0].select(*keys)
        for more in sources[1:]:
            rows = rows.unionByName(more.select(*keys))
        return rows

    def hits(self, day_keys: DataFrame) -> DataFrame:
        """(event_uuid, payload_hash, part) of the lake rows whose uuid_key is among
        `day_keys`' (a uuid_key column). The text and the partition name are made for the
        hits alone, after the probe."""
        part = F.concat_ws(_PART_SEP, *[F.col(n).cast("string") for n in EVENTS.partition_names])
        return (
            self._keys()
            .join(day_keys, "uuid_key", "left_semi")
            .select(
                uuid_text(F.col("uuid_hi"), F.col("uuid_lo")).alias("event_uuid"),
                "payload_hash",
                part.alias("part"),
            )
        )

    def payloads(self, parts: list[str]) -> DataFrame:
        """(event_uuid, payload) of the rows in these partitions (`part` values of `hits`)
        only: just their folders are read."""
        names = EVENTS.partition_names
        directories = [
            join_uri(
                self.root, *(f"{n}={v}" for n, v in zip(names, p.split(_PART_SEP), strict=True))
            )
            for p in parts
        ]
        rows = self._read(
            self.root, "event_uuid string, payload string", self._partitions(), directories
        )
        return rows.select("event_uuid", "payload")

    @staticmethod
    def _partitions(exclude: frozenset[str] | set[str] = frozenset()) -> str:
        return ", ".join(
            f"{c.name} {c.type}" for c in EVENTS.partition_keys if c.name not in exclude
        )


def lookback_lake(spark: SparkSession, fs: HadoopFS, params: DayJobParams) -> LookbackLake | None:
    """The lookback of run D, or None when no earlier run wrote to it.

    An index directory counts only where its lake partition set exists (a lake folder removed
    by hand takes its index entries with it)."""
    directories = lookback_dirs(fs, params)
    if not directories:
        return None
    where = params.locations
    lake_pairs = {_pair(d) for d in directories}
    indexed = [d for d in _earlier_runs(fs, params, where.uuid_index, "") if _pair(d) in lake_pairs]
    covered = {_pair(d) for d in indexed}
    unindexed = [d for d in directories if _pair(d) not in covered]
    return LookbackLake(spark, where.lake_events, unindexed, where.uuid_index, tuple(indexed))


def _typed_value(decl: EventTypeDecl, field: FieldDecl) -> Column:
    """The field's typed value: null where it did not fit (the payload keeps the original)."""
    return F.col(typed_column(decl.name))[field.name]


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
    """Write run D's lake rows under the staging folder, a few files per partition, then
    their uuid index (see uuid_index). One write per file group (one for today's plan)."""
    where = params.locations
    fs.delete(where.staging)
    fs.delete(where.staged_uuid_index)
    for group in write_groups(plan, event_types):
        write_lake_files(
            lake_rows(classified, plan, group), where.staging, params, shuffle_partitions
        )
    if output_partitions(fs, where.staging):
        write_staged_index(classified.sparkSession, where, params.parquet_codec)


def write_lake_files(
    rows: DataFrame, root: str, params: DayJobParams, shuffle_partitions: int
) -> None:
    """Append lake rows to `root` as Parquet, in event_date=X/event_type=T folders: one file
    per folder (more only above max_records_per_file), since repartitioning by the partition
    columns puts each folder's rows in one task."""
    (
        rows.repartition(shuffle_partitions, *LAKE_PARTITION_COLUMNS)
        .write.mode("append")
        .option("compression", params.parquet_codec)
        .option("maxRecordsPerFile", params.max_records_per_file)
        .options(**{f"parquet.enable.dictionary#{c}": "false" for c in NO_DICTIONARY})
        .partitionBy(*LAKE_PARTITION_COLUMNS)
        .parquet(root)
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
    """Replace exactly run D's file sets in the lake (and its uuid index) with the staged ones.

    1. delete every {index}/event_date=*/run_date=D directory, then every
       {events}/event_date=*/event_type=*/run_date=D directory;
    2. move each staged event_date=X/event_type=Y directory to .../run_date=D, then each
       staged index event_date=X directory to {index}/event_date=X/run_date=D;
    3. remove the staging folders.
    A crash anywhere in between is repaired by rerunning D: earlier runs' data is never
    touched, and run D's dedupe never reads run D's own directories. An index directory
    exists only while its lake files do, so a later night never trusts a stale index; where
    one is missing, that night reads the lake files instead.
    """
    for old in fs.glob_dirs(where.uuid_index_run_dirs):
        fs.delete(old)
        fs.delete_if_empty(old.rstrip("/").rsplit("/", 1)[0])
    for old in fs.glob_dirs(where.lake_run_dirs):
        fs.delete(old)
        _remove_empty_parents(fs, old)
    published = []
    for partition in output_partitions(fs, where.staging):
        target = where.lake_run_dir(partition.name)
        fs.move_dir(join_uri(where.staging, partition.name), target)
        published.append(target)
    for partition in output_partitions(fs, where.staged_uuid_index):
        target = join_uri(where.uuid_index, partition.name, where.run_dir)
        fs.move_dir(join_uri(where.staged_uuid_index, partition.name), target)
    fs.delete(where.staging)
    fs.delete(where.staged_uuid_index)
    fs.delete_if_empty(join_uri(where.staging_root, UUID_INDEX_ROOT))
    fs.delete_if_empty(where.staging_root)
    return published


def _remove_empty_parents(fs: HadoopFS, directory: str) -> None:
    type_dir = directory.rstrip("/").rsplit("/", 1)[0]
    if fs.delete_if_empty(type_dir):
        fs.delete_if_empty(type_dir.rsplit("/", 1)[0])
