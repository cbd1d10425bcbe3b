"""The lake's uuid index: what the dedupe's lookback reads instead of the lake files.

For every row of the lake, the index keeps a 64-bit hash of its uuid (the probe key), the
uuid itself as two 64-bit halves, its payload_hash and its event_type, in
`{lake}/_uuid_index/event_date=X/run_date=R/`: one folder per lake (event_date, run) pair,
next to the lake's `event_date=X/event_type=*/run_date=R` folders.
A night scans four long columns of the index instead of a week of uuid strings in hundreds
of lake files, and the halves give each hit's uuid back exactly (a hash collision matches
no record).

Run D's index is built from run D's staged lake files, so it holds exactly their rows. The
publish moves it after the lake files and deletes it before them: an index folder exists only
while its lake rows are published. A lake pair without an index folder (written before the
index existed, or a publish stopped in between) is read from the lake files instead.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from eventlake.core.layout import RunLocations

INDEX_COLUMNS = (
    "uuid_key bigint, uuid_hi bigint, uuid_lo bigint, payload_hash bigint, event_type string"
)
# The 32 hex digits of a canonical uuid (8-4-4-4-12), as (position, length) runs per half.
_HI_RUNS = ((1, 8), (10, 4), (15, 4))
_LO_RUNS = ((20, 4), (25, 12))


def _hex_to_long(uuid: Column, runs: tuple[tuple[int, int], ...]) -> Column:
    digits = F.concat(*[F.substring(uuid, start, length) for start, length in runs])
    # A negative target base reads the 16 hex digits as a signed 64-bit value.
    return F.conv(digits, 16, -10).cast("bigint")


def uuid_key(uuid: Column) -> Column:
    """The probe key: a 64-bit hash of the whole uuid text (cheap to compute for a day, and
    spread even where uuids share their first bits)."""
    return F.xxhash64(uuid)


def uuid_hi(uuid: Column) -> Column:
    """The first 64 bits of a canonical (lowercase, dashed) uuid, as a signed long."""
    return _hex_to_long(uuid, _HI_RUNS)


def uuid_lo(uuid: Column) -> Column:
    """The last 64 bits of a canonical uuid, as a signed long."""
    return _hex_to_long(uuid, _LO_RUNS)


def uuid_text(hi: Column, lo: Column) -> Column:
    """The canonical uuid text of its two halves: uuid_text(uuid_hi(u), uuid_lo(u)) == u."""
    high = F.lpad(F.lower(F.hex(hi)), 16, "0")
    low = F.lpad(F.lower(F.hex(lo)), 16, "0")
    return F.concat_ws(
        "-",
        F.substring(high, 1, 8),
        F.substring(high, 9, 4),
        F.substring(high, 13, 4),
        F.substring(low, 1, 4),
        F.substring(low, 5, 12),
    )


def index_rows(lake_rows: DataFrame) -> DataFrame:
    """Lake rows with their uuid as (uuid_key, uuid_hi, uuid_lo) instead of text."""
    uuid = F.col("event_uuid")
    halves = [
        uuid_key(uuid).alias("uuid_key"),
        uuid_hi(uuid).alias("uuid_hi"),
        uuid_lo(uuid).alias("uuid_lo"),
    ]
    return lake_rows.select(*halves, *[c for c in lake_rows.columns if c != "event_uuid"])


def write_staged_index(spark: SparkSession, where: RunLocations, codec: str) -> None:
    """Index run D's staged lake files: one folder per event_date, one file each."""
    staged = (
        spark.read.schema(
            "event_uuid string, payload_hash bigint, event_date date, event_type string"
        )
        .option("basePath", where.staging)
        .parquet(where.staging)
    )
    (
        index_rows(staged)
        .select("uuid_key", "uuid_hi", "uuid_lo", "payload_hash", "event_type", "event_date")
        .repartition("event_date")
        .write.mode("overwrite")
        .option("compression", codec)
        .partitionBy("event_date")
        .parquet(where.staged_uuid_index)
    )
