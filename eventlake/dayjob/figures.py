"""What the day report draws that the counts do not hold: written rows per created_at hour
(one aggregation over the cached records) and a few quarantined records per reason (read
back from the quarantine files just written, which hold only the rejects)."""

from __future__ import annotations

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from eventlake.core.layout import RunLocations
from eventlake.core.manifest import DayFigures
from eventlake.dayjob.classify import WRITTEN
from eventlake.dayjob.quarantine import REASON

EXAMPLES_PER_REASON = 3
EXAMPLE_CHARS = 400  # a raw record can be up to 1 MB; the report needs only its start


def day_figures(spark: SparkSession, classified: DataFrame, where: RunLocations) -> DayFigures:
    return DayFigures(
        written_by_created_hour=written_by_created_hour(classified),
        quarantine_examples=quarantine_examples(spark, where),
    )


def written_by_created_hour(classified: DataFrame) -> dict[str, int]:
    """Written rows per "YYYY-MM-DDTHH" of created_at (UTC)."""
    written = classified.where(F.col("outcome") == F.lit(WRITTEN))
    hour = F.date_format(F.timestamp_seconds(F.col("created_at")), "yyyy-MM-dd'T'HH")
    rows = written.groupBy(hour.alias("hour")).count().collect()
    return dict(sorted((r.hour, r["count"]) for r in rows))


def quarantine_examples(spark: SparkSession, where: RunLocations) -> dict[str, list[str]]:
    """The first records of each reason in raw text order: the same examples on every rerun."""
    try:
        quarantined = spark.read.parquet(where.quarantine_events)
    except AnalysisException:  # nothing quarantined: the folder holds no Parquet file
        return {}
    if REASON not in quarantined.columns:
        return {}
    first = Window.partitionBy(REASON).orderBy("raw_record")
    rows = (
        quarantined.withColumn("n", F.row_number().over(first))
        .where(F.col("n") <= EXAMPLES_PER_REASON)
        .select(REASON, F.substring("raw_record", 1, EXAMPLE_CHARS).alias("raw"), "n")
        .collect()
    )
    examples: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: (r[REASON], r.n)):
        examples.setdefault(row[REASON], []).append(row.raw)
    return examples
