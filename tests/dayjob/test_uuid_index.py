"""The lake's uuid index: exact uuid halves, written by the job, read by the next nights."""

from __future__ import annotations

import shutil
import uuid as uuidlib
from datetime import timedelta

import pytest
from pyspark.sql import functions as F

from eventlake.dayjob import lake
from eventlake.dayjob.hadoop_fs import HadoopFS
from eventlake.dayjob.job import run_day_job
from eventlake.dayjob.uuid_index import uuid_hi, uuid_lo, uuid_text
from tests.dayjob.helpers import DAY, event, firehose_object, make_locations

pytestmark = pytest.mark.spark

EDGES = [
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "7fffffff-ffff-ffff-7fff-ffffffffffff",
    "80000000-0000-0000-8000-000000000000",
    "00000000-0000-4000-8000-000000000001",
]


def signed(hex_digits: str) -> int:
    value = int(hex_digits, 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def test_the_halves_are_the_uuids_bits_and_give_its_text_back(spark) -> None:
    uuids = EDGES + [str(uuidlib.uuid4()) for _ in range(200)]
    frame = spark.createDataFrame([(u,) for u in uuids], "u string")
    halves = frame.select(
        "u", uuid_hi(F.col("u")).alias("hi"), uuid_lo(F.col("u")).alias("lo")
    ).select("u", "hi", "lo", uuid_text(F.col("hi"), F.col("lo")).alias("back"))
    for row in halves.collect():
        digits = row.u.replace("-", "")
        assert (row.hi, row.lo) == (signed(digits[:16]), signed(digits[16:])), row.u
        assert row.back == row.u


def two_nights(spark, tmp_path):
    """Night D-1 writes a few events (and their index); day D holds a copy of one of them."""
    locations = make_locations(tmp_path)
    yesterday = (DAY - timedelta(days=1)).isoformat()
    kept = event(1, f"{yesterday}T10:00:00", amount=5)
    firehose_object(locations.raw, f"{yesterday}T11:30:00", [kept, event(2, f"{yesterday}T11:00")])
    first = run_day_job(spark, locations.config(DAY - timedelta(days=1)))
    today = DAY.isoformat()
    firehose_object(locations.raw, f"{today}T10:00:00", [kept, event(3, f"{today}T09:00:00")])
    return locations, first


def test_each_night_indexes_exactly_its_lake_rows(spark, tmp_path) -> None:
    locations, first = two_nights(spark, tmp_path)
    index_root = locations.lake / "_uuid_index"
    index = spark.read.parquet(str(index_root))
    lake_files = spark.read.parquet(str(locations.lake / "events"))
    from_index = {
        (r.event_uuid, r.payload_hash, r.event_type, str(r.event_date), str(r.run_date))
        for r in index.select(
            uuid_text(F.col("uuid_hi"), F.col("uuid_lo")).alias("event_uuid"),
            "payload_hash",
            "event_type",
            "event_date",
            "run_date",
        ).collect()
    }
    from_lake = {
        (r.event_uuid, r.payload_hash, r.event_type, str(r.event_date), str(r.run_date))
        for r in lake_files.collect()
    }
    assert len(from_lake) == first.counts.written == 2
    assert from_index == from_lake
    assert not (locations.lake / "_staging").exists(), "the staged index is moved, not left"


def test_the_next_night_reads_the_index_and_not_the_lake_files(spark, tmp_path) -> None:
    locations, _ = two_nights(spark, tmp_path)
    params = locations.config(DAY)
    lookback = lake.lookback_lake(spark, HadoopFS(spark), params)
    assert lookback is not None
    assert lookback.directories == [], "every earlier lake partition set has its index"
    assert [d.split("/_uuid_index/")[1] for d in lookback.indexed] == [
        "event_date=2026-11-23/run_date=2026-11-23"
    ]

    manifest = run_day_job(spark, params)
    assert manifest.counts.duplicates_in_lake == 1
    assert manifest.counts.written == 1
    assert manifest.reconciliation.balanced
    assert manifest.lookback_directories_read == 1


def test_a_lake_partition_set_without_index_is_read_from_the_lake_files(spark, tmp_path) -> None:
    """As for a lake written before the index existed, or a publish stopped between the lake
    files and the index: the copy is still caught."""
    locations, _ = two_nights(spark, tmp_path)
    shutil.rmtree(locations.lake / "_uuid_index")
    params = locations.config(DAY)
    lookback = lake.lookback_lake(spark, HadoopFS(spark), params)
    assert lookback is not None
    assert not lookback.indexed
    assert lookback.directories

    manifest = run_day_job(spark, params)
    assert manifest.counts.duplicates_in_lake == 1
    assert manifest.counts.written == 1


def test_an_index_whose_lake_files_were_removed_is_not_trusted(spark, tmp_path) -> None:
    """A lake folder removed by hand (its events gone) must not keep their uuids 'in the lake':
    the copy of day D is then written, not dropped."""
    locations, _ = two_nights(spark, tmp_path)
    shutil.rmtree(locations.lake / "events")
    params = locations.config(DAY)
    assert lake.lookback_lake(spark, HadoopFS(spark), params) is None

    manifest = run_day_job(spark, params)
    assert manifest.counts.duplicates_in_lake == 0
    assert manifest.counts.written == 2


def test_a_rerun_replaces_its_index_with_its_new_lake_rows(spark, tmp_path) -> None:
    locations, _ = two_nights(spark, tmp_path)
    params = locations.config(DAY)
    run_day_job(spark, params)
    run_dirs = sorted(p.name for p in (locations.lake / "_uuid_index").glob("*/run_date=*"))
    rerun = run_day_job(spark, params)
    index = spark.read.parquet(str(locations.lake / "_uuid_index"))
    assert rerun.counts.written == index.where(F.col("run_date") == DAY).count() == 1
    assert sorted(p.name for p in (locations.lake / "_uuid_index").glob("*/run_date=*")) == (
        run_dirs
    )
