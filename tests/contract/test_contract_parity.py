"""The Spark form of the contract gives the same verdict and reason as the Python form."""

from __future__ import annotations

import pytest

from eventlake import contract as C
from tests.contract.corpus import ARRIVAL, CASES

pytestmark = pytest.mark.spark


def spark_verdicts(spark, raws: list[str], cfg: C.ContractConfig = C.DEFAULT_CONFIG) -> list[tuple]:
    from eventlake.spark.contract_columns import with_verdict

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


def test_config_bounds_reach_spark(spark) -> None:
    strict = C.ContractConfig(max_future_skew_s=0, max_event_age_s=60)
    raw = CASES[0][1]  # created 1000 s before arrival
    assert spark_verdicts(spark, [raw], strict)[0][0] == C.CREATED_AT_TOO_OLD
    assert C.validate_record(raw, ARRIVAL, strict).reason == C.CREATED_AT_TOO_OLD
