"""The job's form of the contract (RecordCheck, in Spark) gives the same verdict and reason as the
Python form."""

from __future__ import annotations

import dataclasses

import pytest

from eventlake.core import contract as C
from eventlake.core.plan import tracking_plan
from tests.contract.corpus import ARRIVAL, CASES

NO_PLAN = dataclasses.replace(tracking_plan(), types=())

pytestmark = pytest.mark.spark


def with_verdict(df, cfg: C.ContractConfig = C.DEFAULT_CONFIG):
    """The job's check with no plan: the contract alone."""
    from eventlake.dayjob.record_check import with_checks

    return with_checks(df, cfg, NO_PLAN)


def spark_verdicts(spark, raws: list[str], cfg: C.ContractConfig = C.DEFAULT_CONFIG) -> list[tuple]:
    df = spark.createDataFrame(
        [(i, raw, ARRIVAL) for i, raw in enumerate(raws)],
        "i int, raw_record string, arrival_epoch_s double",
    )
    rows = with_verdict(df, cfg).orderBy("i").collect()
    return [(r.reason, r.reason_field, r.event_uuid, r.created_at) for r in rows]


def test_corpus_is_big_enough_and_covers_every_reason() -> None:
    assert len(CASES) >= 50
    assert {c[2] for c in CASES} - {None} == set(C.CONTRACT_REASONS)


def test_python_and_spark_agree_on_every_corpus_record(spark) -> None:
    raws = [raw for _, raw, _, _ in CASES]
    spark_results = spark_verdicts(spark, raws)
    disagreements = []
    for (label, raw, _, _), (reason, field, uuid, created_at) in zip(
        CASES, spark_results, strict=True
    ):
        py = C.validate_record(raw, ARRIVAL)
        if (py.reason, py.field) != (reason, field):
            disagreements.append(f"{label}: python={py.detail} spark={reason}:{field}")
        if py.valid:
            assert uuid == py.event["event_uuid"], label
            assert created_at == pytest.approx(float(py.event["created_at"])), label
    assert not disagreements, "\n".join(disagreements)


# Bytes no Python str can hold: Spark keeps a text line's bytes as read, whatever they are.
NOT_UTF8 = [
    b'{"event_uuid": "\xff\xfe"}',
    b'{"event_uuid": "\xed\xa0\x80"}',  # a UTF-8-encoded lone surrogate
    b'{"event_uuid": "\xc3"}',  # a truncated two-byte sequence
]


def test_records_that_are_not_utf8_are_unparseable_in_both_forms(spark) -> None:
    from pyspark.sql import functions as F

    raws = [*NOT_UTF8, CASES[0][1][:-1].encode() + b', "note": "\xe2\x98"}']
    df = spark.createDataFrame(
        [(i, raw, ARRIVAL) for i, raw in enumerate(raws)], "i int, b binary, arrival_epoch_s double"
    ).select("i", F.col("b").cast("string").alias("raw_record"), "arrival_epoch_s")
    reasons = [r.reason for r in with_verdict(df).orderBy("i").collect()]
    assert reasons == [C.UNPARSEABLE_JSON] * len(raws)
    assert [C.validate_record(raw, ARRIVAL).reason for raw in raws] == reasons


def test_config_bounds_reach_spark(spark) -> None:
    strict = C.ContractConfig(max_future_skew_s=0, max_event_age_s=60)
    raw = CASES[0][1]  # created 1000 s before arrival
    assert spark_verdicts(spark, [raw], strict)[0][0] == C.CREATED_AT_TOO_OLD
    assert C.validate_record(raw, ARRIVAL, strict).reason == C.CREATED_AT_TOO_OLD


def test_a_missing_record_is_unparseable_not_valid(spark) -> None:
    """No text is not an event: the job's form never lets a null record through as valid."""
    assert spark_verdicts(spark, [None]) == [(C.UNPARSEABLE_JSON, None, None, None)]
