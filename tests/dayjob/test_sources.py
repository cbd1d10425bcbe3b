"""Which objects run D reads, and how lines become raw records."""

from __future__ import annotations

import pytest

from eventlake.dayjob.hadoop_fs import HadoopFS
from eventlake.dayjob.sources import (
    FIREHOSE,
    OWNED,
    PEEKED,
    PROCESSING_FAILED,
    decoded_error_line,
    list_raw_objects,
    object_arrival,
    raw_records,
    read_lines,
    record_pieces,
)
from tests.dayjob.helpers import at, error_object, event, firehose_object, write_object

pytestmark = pytest.mark.spark


def test_arrival_comes_from_the_name_when_it_lies_in_its_hour_prefix() -> None:
    hour = at("2026-11-24T13:00:00")
    key = "events/2026/11/24/13/s-1-2026-11-24-13-05-09-abc-def.gz"
    assert object_arrival(key, hour) == (at("2026-11-24T13:05:09"), True)


def test_foreign_or_misfiled_names_take_the_hour_prefix_time() -> None:
    hour = at("2026-11-24T13:00:00")
    assert object_arrival("events/2026/11/24/13/upload.json.gz", hour) == (hour, False)
    misfiled = "events/2026/11/24/13/s-1-2026-11-25-02-00-00-abc.gz"
    assert object_arrival(misfiled, hour) == (hour, False)


def test_window_owns_the_day_peeks_into_the_grace_and_skips_the_rest(spark, locations) -> None:
    raw = locations.raw
    owned_first = firehose_object(raw, "2026-11-24T00:00:00", [event(1, "2026-11-24T00:00:00")])
    owned_last = firehose_object(raw, "2026-11-24T23:59:59", [event(2, "2026-11-24T23:59:59")])
    peeked = firehose_object(raw, "2026-11-25T00:29:59", [event(3, "2026-11-24T23:59:00")])
    firehose_object(raw, "2026-11-25T00:30:00", [event(4, "2026-11-25T00:30:00")])  # after grace
    firehose_object(raw, "2026-11-23T23:59:59", [event(5, "2026-11-23T23:59:59")])  # day before
    failed = error_object(raw, "2026-11-24T10:00:00", [event(6, "2026-11-24T10:00:00")])
    foreign = write_object(
        raw, "events/2026/11/24/07/manual-upload.gz", [event(7, "2026-11-24T07:00:00")]
    )
    config = locations.config(grace_minutes=30)

    objects = {o.key: o for o in list_raw_objects(HadoopFS(spark), config)}

    assert set(objects) == {owned_first, owned_last, peeked, failed, foreign}
    assert objects[peeked].role == PEEKED
    assert all(objects[k].role == OWNED for k in (owned_first, owned_last, failed, foreign))
    assert objects[failed].origin == PROCESSING_FAILED
    assert objects[owned_first].origin == FIREHOSE
    assert not objects[foreign].named
    assert objects[foreign].arrival == at("2026-11-24T07:00:00")


def pieces_of(spark, line: str) -> list[str]:
    df = spark.createDataFrame([(line,)], "line string")
    return df.select(record_pieces(df.line).alias("p")).first().p


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"a":1}', ['{"a":1}']),
        ('{"a":1}{"b":2}{"c":{"d":3}}', ['{"a":1}', '{"b":2}', '{"c":{"d":3}}']),
        ('{"a":1} \t{"b":2}', ['{"a":1}', '{"b":2}']),  # whitespace between is dropped
        ('{"a":"x}{y"}', ['{"a":"x}{y"}']),  # a brace pair inside a string is not a boundary
        ('{"a":"x}{y"}{"b":2}', ['{"a":"x}{y"}{"b":2}']),  # unsplittable: one record
        ('{"a":1}{"b":2', ['{"a":1}{"b":2']),  # a truncated piece keeps the line whole
        ('{"a":1}{"b":2}junk', ['{"a":1}{"b":2}junk']),
        ("[1]{}", ["[1]{}"]),
    ],
)
def test_concatenated_objects_split_only_when_every_piece_is_an_object(
    spark, line, expected
) -> None:
    assert pieces_of(spark, line) == expected


def test_a_concatenated_line_that_is_not_utf8_stays_whole_with_its_bytes(spark) -> None:
    from pyspark.sql import functions as F

    line = b'{"a":1}{"b":"\xff"}'
    df = spark.createDataFrame([(line,)], "b binary").select(F.col("b").cast("string").alias("l"))
    pieces = df.select(F.explode(record_pieces(F.col("l"))).alias("p"))
    [piece] = pieces.select(F.col("p").cast("binary").alias("p")).collect()
    assert bytes(piece.p) == line


def test_error_lines_decode_raw_data_and_keep_undecodable_lines_whole(spark) -> None:
    good = '{"rawData":"eyJhIjoxfQo=","errorCode":"x"}'  # base64 of {"a":1}\n
    no_data = '{"errorCode":"x"}'
    df = spark.createDataFrame([(good,), (no_data,), ("not json",)], "line string")
    decoded = [r.d for r in df.select(decoded_error_line(df.line).alias("d")).collect()]
    assert decoded == ['{"a":1}', no_data, "not json"]


def test_lines_become_records_with_blank_lines_flagged_and_file_order_kept(
    spark, locations
) -> None:
    raw = locations.raw
    e1, e2, e3 = (event(i, "2026-11-24T05:00:00") for i in (1, 2, 3))
    firehose_object(raw, "2026-11-24T05:00:00", f"{e1}\n\n   \n{e2}{e3}\n")
    error_object(raw, "2026-11-24T06:00:00", [e3])
    objects = list_raw_objects(HadoopFS(spark), locations.config())

    rows = (
        raw_records(read_lines(spark, objects)).orderBy("source_key", "line_id", "piece").collect()
    )

    records = [(r.raw_record, r.is_blank) for r in rows]  # errors/... sorts before events/...
    assert records == [
        (e3, False),
        (e1, False),
        ("", True),
        ("   ", True),
        (e2, False),
        (e3, False),
    ]
    assert rows[0].source_key.startswith("errors/processing-failed/2026/11/24/06/")
    assert rows[1].arrival_epoch_s == at("2026-11-24T05:00:00").timestamp()


def test_a_line_from_an_unlisted_file_is_kept_without_a_role(spark, locations) -> None:
    from dataclasses import replace

    firehose_object(locations.raw, "2026-11-24T05:00:00", [event(1, "2026-11-24T05:00:00")])
    (listed,) = list_raw_objects(HadoopFS(spark), locations.config())
    mismatched = replace(listed, input_name="s3://elsewhere/x.gz")

    (row,) = read_lines(spark, [mismatched]).collect()

    assert row.role is None  # the manifest's reconciliation fails on such records
    assert row.source_key == listed.input_name
