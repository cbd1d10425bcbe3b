"""A local SparkSession shaped like the Glue job's: used where `awsglue` is not installed."""

from __future__ import annotations

from typing import Any

LOCAL_SETTINGS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.eventLog.enabled": "false",  # event logging measurably slowed runs
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
}


def local_session(
    app_name: str = "eventlake-day-job",
    driver_memory: str = "4g",
    cores: int | None = None,
    extra: dict[str, str] | None = None,
) -> Any:
    """Get or create a local SparkSession (spark-submit's master wins if there is one), with
    the day job's jar (built on first use)."""
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    from eventlake.dayjob.jvm import local_jar

    builder = SparkSession.builder.appName(app_name)
    if not SparkConf().contains("spark.master"):
        builder = builder.master(f"local[{cores or '*'}]")
    settings = {
        **LOCAL_SETTINGS,
        "spark.driver.memory": driver_memory,
        "spark.jars": str(local_jar()),
        **(extra or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
