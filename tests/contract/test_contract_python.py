"""The Python form of the contract: verdicts, derived fields, and that it never raises."""

from __future__ import annotations

import random

import pytest

from eventlake.core import contract as C
from tests.contract.corpus import ARRIVAL, CASES, GOOD


@pytest.mark.parametrize(("label", "raw", "reason", "field"), CASES, ids=[c[0] for c in CASES])
def test_verdict_on_corpus(label: str, raw: str, reason: str | None, field: str | None) -> None:
    verdict = C.validate_record(raw, ARRIVAL)
    assert (verdict.reason, verdict.field) == (reason, field), label


def test_derived_fields_split_name_and_format_utc() -> None:
    derived = C.derived_fields(
        {**GOOD, "event_name": "payment:order:completed", "created_at": 1_700_000_000.5}
    )
    assert derived == {
        "created_datetime": "2023-11-14T22:13:20.500Z",
        "event_type": "payment",
        "event_subtype": "order",
    }


def test_non_utf8_bytes_are_unparseable() -> None:
    assert C.validate_record(b'{"event_uuid": "\xff"}', ARRIVAL).reason == C.UNPARSEABLE_JSON


def test_never_raises_on_random_bytes() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        assert C.validate_record(blob, ARRIVAL).reason in C.CONTRACT_REASONS


def test_deeply_nested_json_does_not_crash() -> None:
    assert C.validate_record("[" * 100_000 + "]" * 100_000, ARRIVAL).reason in C.CONTRACT_REASONS


def test_config_rejects_negative_bounds() -> None:
    with pytest.raises(ValueError, match="max_future_skew_s"):
        C.ContractConfig(max_future_skew_s=-1)
