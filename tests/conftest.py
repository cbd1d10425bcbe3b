"""Fixtures shared by every test area: one local SparkSession for the whole run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """A small local[2] SparkSession in UTC, shared by all Spark tests."""
    from pyspark.sql import SparkSession

    from eventlake.dayjob.job import JOB_SQL_SETTINGS
    from eventlake.dayjob.jvm import local_jar

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("eventlake-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.log.structuredLogging.enabled", "false")
        .config("spark.jars", str(local_jar()))
    )
    # Every Spark test runs with the SQL settings the job sets (UTC and ANSI mode included).
    for key, value in JOB_SQL_SETTINGS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
