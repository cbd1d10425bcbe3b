"""Quarantine: every invalid record and every later synthetic duplicate, with its raw text."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from eventlake.core.contract import SYNTHETIC_DUPLICATE as SYNTHETIC_DUPLICATE_REASON
from eventlake.core.layout import RunLocations
from eventlake.dayjob.classify import INVALID, SYNTHETIC_DUPLICATE
from eventlake.dayjob.contract_columns import is_valid_utf8

QUARANTINE_FILE_COLUMNS: tuple[str, ...] = (
    "raw_record",
    "raw_record_base64",
    "reason_field",
    "source_key",
    "arrival_ts",
)


def quarantine_rows(classified: DataFrame) -> DataFrame:
    is_synthetic = F.col("outcome") == F.lit(SYNTHETIC_DUPLICATE)
    raw = F.col("raw_record")
    valid_utf8 = is_valid_utf8(raw)
    return classified.where(F.col("outcome").isin(INVALID, SYNTHETIC_DUPLICATE)).select(
        # Parquet strings must be valid UTF-8: bytes that are not keep their exact form in
        # raw_record_base64, and raw_record shows them with U+FFFD replacements.
        F.when(valid_utf8, raw)
        .otherwise(F.decode(F.encode(raw, "UTF-8"), "UTF-8"))
        .alias("raw_record"),
        F.when(~valid_utf8, F.base64(raw.cast("binary"))).alias("raw_record_base64"),
        F.when(is_synthetic, F.lit("event_uuid"))
        .otherwise(F.col("reason_field"))
        .alias("reason_field"),
        "source_key",
        "arrival_ts",
        F.when(is_synthetic, F.lit(SYNTHETIC_DUPLICATE_REASON))
        .otherwise(F.col("reason"))
        .alias("reason"),
    )


def write_quarantine(classified: DataFrame, where: RunLocations, codec: str) -> None:
    """One file per reason (each reason lands in one task); partitioned by reason for find-fix-replay."""
    rows = quarantine_rows(classified).repartition("reason")
    # {quarantine}/events/run_date=D: a rerun of D overwrites this folder and nothing else.
    rows.write.mode("overwrite").option("compression", codec).partitionBy("reason").parquet(
        where.quarantine_events
    )


def quarantined_row_counts(spark: SparkSession, where: RunLocations) -> dict[str, int]:
    """Rows per quarantine reason as the written files hold them."""
    written = spark.read.parquet(where.quarantine_events)
    if "reason" not in written.columns:
        return {}
    return {r.reason: r["count"] for r in written.groupBy("reason").count().collect()}
