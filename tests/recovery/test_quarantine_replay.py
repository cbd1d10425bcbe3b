"""`eventlake quarantine replay` without Spark: reading quarantine files, repairs, decisions."""

from __future__ import annotations

import base64
import time
from datetime import date
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventlake.cli import main as eventlake
from eventlake.core import contract as C
from eventlake.core.errors import UsageError
from eventlake.local.kinesis import LocalKinesis, read_all_records
from eventlake.tools import quarantine_replay as replay

RUN_DATE = date(2026, 11, 28)
NOW = time.time()
UUID = "3f2c8a9e-1b7d-4c5e-9f0a-2b3c4d5e6f70"


def event(**fields: object) -> dict:
    return {
        "event_uuid": UUID,
        "event_name": "payment:order:completed",
        "created_at": int(NOW) - 60,
        **fields,
    }


def write_quarantine(root: Path, reason: str, rows: list[dict], with_uuid_column: bool) -> None:
    """A quarantine file as the nightly job writes it (with or without event_uuid)."""
    folder = root / "events" / f"run_date={RUN_DATE}" / f"reason={reason}"
    folder.mkdir(parents=True, exist_ok=True)
    columns = {
        "raw_record": [r.get("raw_record") for r in rows],
        "raw_record_base64": [r.get("raw_record_base64") for r in rows],
        "reason_field": [r.get("reason_field") for r in rows],
        "source_key": ["events/2026/11/28/10/s-1-2026-11-28-10-00-00-x.gz"] * len(rows),
        "arrival_ts": [None] * len(rows),
    }
    if with_uuid_column:
        columns["event_uuid"] = [r.get("event_uuid") for r in rows]
    schema = pa.schema([(name, pa.string()) for name in columns])
    pq.write_table(pa.table(columns, schema=schema), folder / "part-00000.snappy.parquet")


def raw(value: dict | list) -> str:
    return orjson.dumps(value).decode()


@pytest.mark.parametrize("with_uuid_column", [False, True])
def test_quarantine_rows_are_read_with_or_without_an_event_uuid_column(
    tmp_path: Path, with_uuid_column: bool
) -> None:
    millis = raw(event(created_at=(int(NOW) - 60) * 1000))
    not_utf8 = b'{"event_uuid": "\xff"}'
    write_quarantine(
        tmp_path,
        C.CREATED_AT_IN_MILLIS,
        [{"raw_record": millis, "event_uuid": UUID}],
        with_uuid_column,
    )
    write_quarantine(
        tmp_path,
        C.UNPARSEABLE_JSON,
        [{"raw_record": "{\ufffd", "raw_record_base64": base64.b64encode(not_utf8).decode()}],
        with_uuid_column,
    )
    (tmp_path / "events" / f"run_date={RUN_DATE}" / "_SUCCESS").write_bytes(b"")

    rows = {r.reason: r for r in replay.read_quarantine(str(tmp_path), RUN_DATE)}

    assert rows.keys() == {C.CREATED_AT_IN_MILLIS, C.UNPARSEABLE_JSON}
    assert rows[C.CREATED_AT_IN_MILLIS].event_uuid == UUID
    assert rows[C.CREATED_AT_IN_MILLIS].raw == millis.encode()
    assert rows[C.UNPARSEABLE_JSON].raw == not_utf8, "the exact bytes come from raw_record_base64"
    assert rows[C.UNPARSEABLE_JSON].event_uuid is None
    only = replay.read_quarantine(str(tmp_path), RUN_DATE, C.UNPARSEABLE_JSON)
    assert [r.reason for r in only] == [C.UNPARSEABLE_JSON]


def record(reason: str, value: object) -> replay.QuarantinedRecord:
    data = value if isinstance(value, bytes) else orjson.dumps(value)
    return replay.QuarantinedRecord(reason, data, UUID, "key")


def test_built_in_repairs_make_the_event_valid_and_say_what_changed() -> None:
    seconds = int(NOW) - 60
    cases = {
        C.CREATED_AT_IN_MILLIS: (
            event(created_at=seconds * 1000),
            {"created_at": (seconds * 1000, seconds)},
        ),
        C.BAD_UUID: (event(event_uuid=UUID.upper()), {"event_uuid": (UUID.upper(), UUID)}),
        C.WRONG_TYPE: (event(created_at=str(seconds)), {"created_at": (str(seconds), seconds)}),
    }
    for reason, (before, changes) in cases.items():
        decision = replay.decide(record(reason, before), None, None, NOW)
        assert decision.send, (reason, decision.why)
        assert decision.why == f"repaired by {reason}"
        assert decision.changes == changes
        assert C.validate_record(decision.data, NOW).valid


def test_what_stays_in_quarantine_says_why() -> None:
    old = int(NOW) - 30 * 86400
    derived = event(created_at=(int(NOW) - 60) * 1000, created_datetime="x", event_type="payment")
    cases = [
        (record(C.BAD_EVENT_NAME, event(event_name="Payment Order")), None, "no built-in repair for bad_event_name"),
        (record(C.UNPARSEABLE_JSON, b'{"event_uuid":'), "bad_uuid", "not a JSON object"),
        (record(C.SYNTHETIC_DUPLICATE, event()), None, "kept for inspection"),
        (record(C.CREATED_AT_IN_MILLIS, event(created_at=old * 1000)), None,
         "still invalid after created_at_in_millis: created_at_too_old:created_at"),
    ]  # fmt: skip
    for rec, fix_name, why in cases:
        fix = replay.load_fix(fix_name) if fix_name else None
        decision = replay.decide(rec, fix, fix_name, NOW)
        assert not decision.send
        assert why in decision.why, decision.why
    kept = replay.decide(record(C.CREATED_AT_IN_MILLIS, derived), None, None, NOW)
    assert kept.send
    assert not C.DERIVED_FIELDS & orjson.loads(kept.data).keys(), "derived fields are derived again"


def test_a_user_repair_is_module_colon_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_repairs.py").write_text(
        "def rename(event):\n"
        "    event['event_name'] = event['event_name'].lower().replace(' ', ':')\n"
        "    return event\n\n"
        "def skip(event):\n"
        "    return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    bad_name = record(C.BAD_EVENT_NAME, event(event_name="Payment Order Completed"))
    fixed = replay.decide(bad_name, replay.load_fix("my_repairs:rename"), "my_repairs:rename", NOW)
    assert fixed.send
    assert orjson.loads(fixed.data)["event_name"] == "payment:order:completed"
    skipped = replay.decide(bad_name, replay.load_fix("my_repairs:skip"), "my_repairs:skip", NOW)
    assert not skipped.send
    assert "returned None" in skipped.why
    for name in ("nope", "my_repairs:missing", "no_such_module:f"):
        with pytest.raises(UsageError, match="--fix"):
            replay.load_fix(name)


def test_dry_run_prints_the_plan_and_sends_nothing(
    tmp_path: Path, kinesis: LocalKinesis, stream: str, capsys: pytest.CaptureFixture
) -> None:
    seconds = int(NOW) - 60
    write_quarantine(
        tmp_path,
        C.CREATED_AT_IN_MILLIS,
        [{"raw_record": raw(event(created_at=seconds * 1000))}],
        False,
    )
    write_quarantine(
        tmp_path, C.BAD_EVENT_NAME, [{"raw_record": raw(event(event_name="Bad Name"))}], False
    )
    other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    write_quarantine(
        tmp_path, C.BAD_UUID, [{"raw_record": raw(event(event_uuid=other.upper()))}], False
    )
    common = ["quarantine", "replay", "--run-date", RUN_DATE.isoformat(), "--quarantine", str(tmp_path),
              "--stream", stream, "--endpoint-url", kinesis.endpoint_url, "--rate", "0", "--quiet",
              "--spool", str(tmp_path / "spool.ndjson")]  # fmt: skip

    assert eventlake([*common, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 rows" in out
    assert "send       1  created_at_in_millis   repaired by created_at_in_millis" in out
    assert "stay       1  bad_event_name         no built-in repair for bad_event_name" in out
    assert f"created_at {seconds * 1000!r} -> {seconds!r}" in out
    assert "dry run: nothing sent" in out
    assert read_all_records(kinesis.client(), stream) == []

    assert eventlake([*common, "--summary-json", str(tmp_path / "s.json")]) == 0
    records = read_all_records(kinesis.client(), stream)
    sent = {r["PartitionKey"]: orjson.loads(r["Data"]) for r in records}
    assert sent.keys() == {UUID, other}
    assert sent[UUID]["created_at"] == seconds
    summary = orjson.loads((tmp_path / "s.json").read_bytes())
    assert sorted(summary["uuids"]) == sorted([UUID, other]), "the uuids as sent, repaired"


def test_replay_needs_a_stream_unless_dry_run(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = eventlake(
        ["quarantine", "replay", "--run-date", "2026-11-28", "--quarantine", str(tmp_path)]
    )
    assert code == 2
    assert "--stream is required unless --dry-run" in capsys.readouterr().err
