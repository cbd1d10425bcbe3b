"""Ownership and dedupe: every record of run D gets exactly one outcome."""

from __future__ import annotations

from datetime import date

import pytest

from eventlake.dayjob.classify import (
    BLANK,
    DEFERRED,
    DUPLICATE_IN_LAKE,
    INVALID,
    NATURAL_DUPLICATE,
    SYNTHETIC_DUPLICATE,
    WRITTEN,
    classify,
    with_ownership,
)
from eventlake.dayjob.sources import OWNED, PEEKED
from tests.dayjob.helpers import at

pytestmark = pytest.mark.spark

D = date(2026, 11, 24)
SCHEMA = (
    "name string, role string, arrival_ts timestamp, source_key string, line_id long, piece int, "
    "is_blank boolean, raw_record string, event_uuid string, reason string, event_date date"
)
U1, U2, U3 = (f"00000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))


_line_ids = iter(range(1000, 10**6))  # (line_id, piece) identifies a record, as in the job


def row(
    name,
    uuid,
    raw,
    *,
    role=OWNED,
    arrival="2026-11-24T10:00:00",
    key="k1",
    line=None,
    piece=0,
    reason=None,
    event_date=D,
    blank=False,
):
    line = next(_line_ids) if line is None else line
    return (name, role, at(arrival), key, line, piece, blank, raw, uuid, reason, event_date)


def outcomes(spark, rows, lake_uuids=None) -> dict[str, str]:
    records = with_ownership(spark.createDataFrame(rows, SCHEMA), D)
    lake = (
        None
        if lake_uuids is None
        else spark.createDataFrame([(u,) for u in lake_uuids], "event_uuid string")
    )
    with classify(records, lake) as classified:
        return {r.name: r.outcome for r in classified.collect()}


def test_peeked_records_belong_to_d_only_when_valid_and_created_by_d(spark) -> None:
    rows = [
        row("owned_invalid", None, "x", reason="unparseable_json", event_date=None),
        row("peeked_yesterday", U1, "{1}", role=PEEKED, event_date=D),
        row("peeked_tomorrow", U2, "{2}", role=PEEKED, event_date=date(2026, 11, 25)),
        row("peeked_invalid", None, "y", role=PEEKED, reason="bad_uuid", event_date=None),
        row(
            "owned_tomorrow", U3, "{3}", event_date=date(2026, 11, 25)
        ),  # clock skew: run D writes it
    ]
    assert outcomes(spark, rows) == {
        "owned_invalid": INVALID,
        "peeked_yesterday": WRITTEN,
        "peeked_tomorrow": DEFERRED,
        "peeked_invalid": DEFERRED,
        "owned_tomorrow": WRITTEN,
    }


def test_earliest_arrival_wins_and_later_copies_are_natural_or_synthetic(spark) -> None:
    original = '{"event_uuid":"u1","n":1}'
    rows = [
        row("later_same", U1, original, arrival="2026-11-24T12:00:00"),
        row("first", U1, original, arrival="2026-11-24T09:00:00"),
        row("later_changed", U1, '{"event_uuid":"u1","n":2}', arrival="2026-11-24T11:00:00"),
        # The same event after the transform Lambda added its derived fields, keys reordered.
        row(
            "later_enriched",
            U1,
            '{"n":1,"event_uuid":"u1","event_type":"a","created_datetime":"t"}',
            arrival="2026-11-24T13:00:00",
        ),
    ]
    assert outcomes(spark, rows) == {
        "first": WRITTEN,
        "later_same": NATURAL_DUPLICATE,
        "later_changed": SYNTHETIC_DUPLICATE,
        "later_enriched": NATURAL_DUPLICATE,
    }


def test_ties_in_arrival_break_by_source_key_then_position(spark) -> None:
    rows = [
        row("b_first_line", U1, "{a}", key="b", line=1),
        row("a_second_line", U1, "{b}", key="a", line=9),
        row("a_first_line", U1, "{c}", key="a", line=5, piece=1),
        row("a_first_line_first_piece", U1, "{d}", key="a", line=5, piece=0),
    ]
    result = outcomes(spark, rows)
    assert result["a_first_line_first_piece"] == WRITTEN
    assert sorted(result.values()).count(SYNTHETIC_DUPLICATE) == 3


def test_uuids_already_in_the_lake_are_not_written_again(spark) -> None:
    rows = [
        row("in_lake", U1, "{1}"),
        row("in_lake_again", U1, "{1}", arrival="2026-11-24T11:00:00"),
        row("new", U2, "{2}"),
        row("invalid", None, "x", reason="bad_uuid", event_date=None),
    ]
    assert outcomes(spark, rows, lake_uuids=[U1, U1, U3]) == {
        "in_lake": DUPLICATE_IN_LAKE,
        "in_lake_again": NATURAL_DUPLICATE,
        "new": WRITTEN,
        "invalid": INVALID,
    }


def test_blank_lines_are_not_records_and_invalid_records_never_dedupe(spark) -> None:
    rows = [
        row("blank", None, "", blank=True, event_date=None),
        row("bad_a", None, "same text", reason="unparseable_json", event_date=None, line=1),
        row("bad_b", None, "same text", reason="unparseable_json", event_date=None, line=2),
    ]
    assert outcomes(spark, rows) == {"blank": BLANK, "bad_a": INVALID, "bad_b": INVALID}
