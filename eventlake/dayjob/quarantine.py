"""Quarantine: every invalid record and every synthetic duplicate (of a record of the day or of
the lake), with its raw text."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from eventlake.core.contract import SYNTHETIC_DUPLICATE as SYNTHETIC_DUPLICATE_REASON
from eventlake.core.layout import RunLocations
from eventlake.core.tables import QUARANTINE as QUARANTINE_TABLE
from eventlake.core.tables import table
from eventlake.dayjob.classify import INVALID, SYNTHETIC_DUPLICATE, SYNTHETIC_DUPLICATE_IN_LAKE
from eventlake.dayjob.contract_columns import is_valid_utf8

QUARANTINE = table(QUARANTINE_TABLE)
REASON = QUARANTINE.partition_names[-1]
SYNTHETIC = (
    SYNTHETIC_DUPLICATE,
    SYNTHETIC_DUPLICATE_IN_LAKE,
)  # both quarantined as one reason  # the directory level the writer makes


def quarantine_rows(classified: DataFrame) -> DataFrame:
    """The quarantine table's columns (types and order) plus `reason`, for run D's rejects."""
    is_synthetic = F.col("outcome").isin(*SYNTHETIC)
    raw = F.col("raw_record")
    valid_utf8 = is_valid_utf8(raw)
    sources = {
        # Parquet strings must be valid UTF-8: bytes that are not keep their exact form in
        # raw_record_base64, and raw_record shows them with U+FFFD replacements.
        "raw_record": F.when(valid_utf8, raw).otherwise(F.decode(F.encode(raw, "UTF-8"), "UTF-8")),
        "raw_record_base64": F.when(~valid_utf8, F.base64(raw.cast("binary"))),
        # An invalid record's uuid is whatever its event_uuid field holds, if it has one.
        "event_uuid": F.coalesce(F.col("event_uuid"), F.get_json_object(raw, "$.event_uuid")),
        "reason_field": F.when(is_synthetic, F.lit("event_uuid")).otherwise(F.col("reason_field")),
    }
    reason = F.when(is_synthetic, F.lit(SYNTHETIC_DUPLICATE_REASON)).otherwise(F.col("reason"))
    return classified.where(F.col("outcome").isin(INVALID, *SYNTHETIC)).select(
        *[
            sources.get(c.name, F.col(c.name)).cast(c.type).alias(c.name)
            for c in QUARANTINE.columns
        ],
        reason.alias(REASON),
    )


def write_quarantine(classified: DataFrame, where: RunLocations, codec: str) -> None:
    """One file per reason (each reason lands in one task); partitioned by reason for find-fix-replay."""
    rows = quarantine_rows(classified).repartition(REASON)
    # {quarantine}/events/run_date=D: a rerun of D overwrites this folder and nothing else.
    rows.write.mode("overwrite").option("compression", codec).partitionBy(REASON).parquet(
        where.quarantine_events
    )


def quarantined_row_counts(spark: SparkSession, where: RunLocations) -> dict[str, int]:
    """Rows per quarantine reason as the written files hold them."""
    written = spark.read.parquet(where.quarantine_events)
    if "reason" not in written.columns:
        return {}
    return {r.reason: r["count"] for r in written.groupBy("reason").count().collect()}
