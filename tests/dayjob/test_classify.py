"""Ownership and dedupe: every record of run D gets exactly one outcome."""

from __future__ import annotations

from datetime import date

import pytest
from pyspark.sql import functions as F

from eventlake.dayjob import classify as classify_module
from eventlake.dayjob.classify import (
    BLANK,
    DEFERRED,
    DUPLICATE_IN_LAKE,
    INVALID,
    NATURAL_DUPLICATE,
    SYNTHETIC_DUPLICATE,
    SYNTHETIC_DUPLICATE_IN_LAKE,
    WRITTEN,
    classify,
    lake_copies,
    payload_hash,
    with_ownership,
)
from eventlake.dayjob.lake import LookbackLake
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


def written_lake(spark, root, rows, hashed: bool = False) -> LookbackLake:
    """A real lake folder of earlier runs: rows are (event_uuid, payload, event_date, run_date).

    Without `hashed`, the files have no payload_hash (as files written before it existed)."""
    frame = spark.createDataFrame(
        [(u, p, d, "account", r) for u, p, d, r in rows],
        "event_uuid string, payload string, event_date date, event_type string, run_date date",
    )
    if hashed:
        frame = frame.withColumn("payload_hash", payload_hash(F.col("payload")))
    frame.write.partitionBy("event_date", "event_type", "run_date").parquet(str(root))
    dirs = sorted(str(p) for p in root.glob("event_date=*/event_type=*/run_date=*"))
    return LookbackLake(spark, str(root), dirs)


def outcomes(spark, rows, lake=None) -> dict[str, str]:
    records = with_ownership(spark.createDataFrame(rows, SCHEMA), D)
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


@pytest.mark.parametrize("probe", ["broadcast", "shuffle"])
def test_copies_of_uuids_in_the_lake_are_judged_against_the_lakes_payload(
    spark, tmp_path, monkeypatch, probe
) -> None:
    if probe == "shuffle":  # a day too big to broadcast its uuid hashes
        monkeypatch.setattr(classify_module, "BROADCAST_MAX_DAY_KEYS", 0)
    earlier = date(2026, 11, 18)
    lake = written_lake(
        spark,
        tmp_path / "events",
        [(U1, '{"n":1}', earlier, earlier), (U3, '{"n":3}', D, date(2026, 11, 23))],
    )
    rows = [
        row("in_lake", U1, '{"n":1}'),
        # The same event after the transform Lambda added a derived field.
        row("in_lake_enriched", U1, '{"event_type":"a","n":1}', arrival="2026-11-24T11:00:00"),
        row("in_lake_changed", U1, '{"n":2}', arrival="2026-11-24T12:00:00"),
        row("changed_of_yesterdays_run", U3, '{"n":4}'),
        row("new", U2, '{"n":2}'),
        row("invalid", None, "x", reason="bad_uuid", event_date=None),
    ]
    assert outcomes(spark, rows, lake) == {
        "in_lake": DUPLICATE_IN_LAKE,
        "in_lake_enriched": DUPLICATE_IN_LAKE,
        "in_lake_changed": SYNTHETIC_DUPLICATE_IN_LAKE,
        "changed_of_yesterdays_run": SYNTHETIC_DUPLICATE_IN_LAKE,
        "new": WRITTEN,
        "invalid": INVALID,
    }


def payload_reads(lake: LookbackLake) -> list[str]:
    """Record the partitions whose payloads the lake probe reads."""
    read: list[str] = []
    original = lake.payloads

    def recording(parts):
        read.extend(parts)
        return original(parts)

    object.__setattr__(lake, "payloads", recording)
    return read


def test_the_lake_probe_reads_payloads_only_of_partitions_with_a_hit(spark, tmp_path) -> None:
    earlier = date(2026, 11, 20)
    lake = written_lake(
        spark,
        tmp_path / "events",
        [(U1, '{"n":1}', earlier, earlier), (U3, '{"n":3}', D, date(2026, 11, 23))],
    )
    candidates = spark.createDataFrame(
        [(U1, '{"n":1}'), (U2, "{}")], "event_uuid string, raw_record string"
    )
    read = payload_reads(lake)
    with lake_copies(candidates, lake) as found:
        assert [(r.event_uuid, r.lake_hash, r.lake_payload) for r in found.collect()] == [
            (U1, None, '{"n":1}')
        ]
    assert read == ["2026-11-20/account/2026-11-20"], "a file without hashes: payloads read"


def test_a_copy_with_the_lakes_text_needs_no_payload_read(spark, tmp_path) -> None:
    earlier, yesterday = date(2026, 11, 20), date(2026, 11, 23)
    rows = [(U1, '{"n":1}', earlier, earlier), (U3, '{"n":3}', D, yesterday)]
    lake = written_lake(spark, tmp_path / "events", rows, hashed=True)
    read = payload_reads(lake)
    same = spark.createDataFrame([(U1, '{"n":1}')], "event_uuid string, raw_record string")
    with lake_copies(same, lake) as found:
        assert [(r.event_uuid, r.lake_payload) for r in found.collect()] == [(U1, None)]
    assert read == []
    changed = spark.createDataFrame(
        [(U1, '{"n":1}'), (U3, '{"n":4}')], "event_uuid string, raw_record string"
    )
    with lake_copies(changed, lake) as found:
        got = {r.event_uuid: r.lake_payload for r in found.collect()}
    assert got == {U1: None, U3: '{"n":3}'}
    assert read == [f"{D}/account/{yesterday}"], "only the partition of the changed copy"
    records = [
        row("same", U1, '{"n":1}'),
        row("enriched", U1, '{"event_type":"a","n":1}', arrival="2026-11-24T11:00:00"),
        row("changed", U3, '{"n":4}'),
    ]
    assert outcomes(spark, records, lake) == {
        "same": DUPLICATE_IN_LAKE,
        "enriched": DUPLICATE_IN_LAKE,
        "changed": SYNTHETIC_DUPLICATE_IN_LAKE,
    }


def test_blank_lines_are_not_records_and_invalid_records_never_dedupe(spark) -> None:
    rows = [
        row("blank", None, "", blank=True, event_date=None),
        row("bad_a", None, "same text", reason="unparseable_json", event_date=None, line=1),
        row("bad_b", None, "same text", reason="unparseable_json", event_date=None, line=2),
    ]
    assert outcomes(spark, rows) == {"blank": BLANK, "bad_a": INVALID, "bad_b": INVALID}
