"""End to end: produce -> moto Kinesis -> firehose-local -> raw folder in Firehose's layout."""

from __future__ import annotations

import base64
import gzip
import re
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from eventlake.cli import main as eventlake
from eventlake.core import layout, storage
from eventlake.local import firehose
from eventlake.local.firehose import (
    DaySimulation,
    DeliveryConfig,
    FirehoseLocal,
    default_checkpoint_path,
)
from eventlake.local.kinesis import LocalKinesis

from .conftest import make_event, make_records, uuids_of
from .kinesis_resharding import like_kinesis

OBJECT_KEY = re.compile(
    r"^(events|errors/processing-failed)/(\d{4})/(\d{2})/(\d{2})/(\d{2})/"
    r"(?P<stream>[\w-]+)-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f-]{36}\.gz$"
)


def delivered(raw: Path, root: str = "events") -> dict[str, list[bytes]]:
    """Relative key -> lines, for every object under `root`, checked to be gzip."""
    out = {}
    for uri in storage.list_uris(layout.join_uri(str(raw), root)):
        body = storage.read_bytes(uri)
        assert body[:2] == b"\x1f\x8b", f"{uri} is not gzip"
        out[uri.split(str(raw) + "/", 1)[1]] = gzip.decompress(body).splitlines()
    return out


def worker(kinesis: LocalKinesis, stream: str, raw: Path, **overrides: object) -> FirehoseLocal:
    config = DeliveryConfig(
        stream=stream,
        raw_uri=layout.normalize_uri(str(raw)),
        delivery_stream="eventlake-delivery",
        checkpoint_path=default_checkpoint_path(str(raw), "eventlake-delivery"),
        buffer_seconds=60,
        poll_interval_s=0.02,
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return FirehoseLocal(kinesis.client(), config)


def test_produce_then_firehose_local_delivers_every_event_in_firehose_layout(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    good = make_records(400)
    bad = [
        b"not json",
        b"[1,2]",
        orjson.dumps({"event_uuid": "x", "event_name": "a:b", "created_at": 1}),
    ]
    source = tmp_path / "events.ndjson"
    source.write_bytes(b"\n".join(good[:200] + bad + good[200:]) + b"\n")
    raw = tmp_path / "raw"
    env_args = ["--stream", stream, "--endpoint-url", kinesis.endpoint_url]

    assert (
        eventlake(
            [
                "produce",
                *env_args,
                "--input",
                str(source),
                "--rate",
                "0",
                "--quiet",
                "--spool",
                str(tmp_path / "spool.ndjson"),
            ]
        )
        == 0
    )
    assert (
        eventlake(
            [
                "firehose-local",
                *env_args,
                "--raw",
                str(raw),
                "--until-idle",
                "0.3",
                "--poll-interval",
                "0.02",
                "--buffer-mb",
                "0.03",
                "--quiet",
            ]
        )
        == 0
    )

    events = delivered(raw, "events")
    assert len(events) > 1, "a 0.03 MB buffer must cut several objects"
    for key, lines in events.items():
        match = OBJECT_KEY.match(key)
        assert match, f"object key not in Firehose's layout: {key}"
        assert match["stream"] == stream, f"object not named after the delivery stream: {key}"
        assert all(line.endswith(b"}") for line in lines)
        stamp = layout.arrival_from_key(key)
        assert key.startswith(layout.render_prefix(layout.firehose_prefix(), stamp))
    lines = [line for body in events.values() for line in body]
    assert uuids_of(lines) == uuids_of(good), "every produced uuid must be delivered once"
    assert len(lines) == len(good), "a clean run must not double records"
    sample = orjson.loads(lines[0])
    assert {"created_datetime", "event_type", "event_subtype"} <= sample.keys()

    errors = delivered(raw, "errors")
    assert all(OBJECT_KEY.match(key) for key in errors)
    records = [orjson.loads(line) for body in errors.values() for line in body]
    assert {base64.b64decode(r["rawData"]) for r in records} == set(bad)
    assert {
        "attemptsMade",
        "arrivalTimestamp",
        "errorCode",
        "errorMessage",
        "attemptEndingTimestamp",
        "rawData",
        "lambdaArn",
    } == set(records[0])


def test_object_time_is_the_oldest_record_arrival(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    client = kinesis.client()
    client.put_records(
        StreamName=stream, Records=[{"Data": r, "PartitionKey": "k"} for r in make_records(5)]
    )
    arrivals = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
        arrivals += [
            r["ApproximateArrivalTimestamp"]
            for r in client.get_records(ShardIterator=it["ShardIterator"])["Records"]
        ]
    raw = tmp_path / "raw"
    worker(kinesis, stream, raw).run(until_idle_s=0.2)
    [key] = delivered(raw)
    assert layout.arrival_from_key(key) == min(arrivals).astimezone(UTC).replace(microsecond=0)


def test_restart_resumes_from_the_checkpoint_without_loss(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    client = kinesis.client()
    raw = tmp_path / "raw"
    first, second = make_records(150), make_records(150)
    for batch in (first,):
        client.put_records(
            StreamName=stream,
            Records=[{"Data": r, "PartitionKey": str(i)} for i, r in enumerate(batch)],
        )
    worker(kinesis, stream, raw).run(until_idle_s=0.2)
    client.put_records(
        StreamName=stream,
        Records=[{"Data": r, "PartitionKey": str(i)} for i, r in enumerate(second)],
    )
    stats = worker(kinesis, stream, raw).run(until_idle_s=0.2)
    assert stats.records_in == len(second), "a restart must resume after the checkpoint"
    lines = [line for body in delivered(raw).values() for line in body]
    assert uuids_of(lines) == uuids_of(first + second)


def test_unflushed_records_are_read_again_after_a_crash(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    client = kinesis.client()
    records = make_records(50)
    client.put_records(
        StreamName=stream,
        Records=[{"Data": r, "PartitionKey": str(i)} for i, r in enumerate(records)],
    )
    raw = tmp_path / "raw"
    crashed = worker(kinesis, stream, raw)
    assert crashed.poll_once() == 50  # read into the buffer, never flushed: as if killed
    worker(kinesis, stream, raw).run(until_idle_s=0.2)
    assert uuids_of([line for body in delivered(raw).values() for line in body]) == uuids_of(
        records
    )


def test_simulated_day_maps_arrivals_into_that_day(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    day = date(2026, 3, 14)
    noon = datetime(2026, 3, 14, 12, tzinfo=UTC).timestamp()
    records = [orjson.dumps(make_event(created_at=noon - 30)) for _ in range(20)]
    kinesis.client().put_records(
        StreamName=stream,
        Records=[{"Data": r, "PartitionKey": str(i)} for i, r in enumerate(records)],
    )
    raw = tmp_path / "raw"
    simulation = DaySimulation(day, speed=1.0, offset_s=12 * 3600)
    stats = worker(kinesis, stream, raw, simulation=simulation).run(until_idle_s=0.2)
    assert stats.processing_failed == 0, (
        f"validated against the real clock instead: {stats.reasons}"
    )
    [key] = delivered(raw)
    assert key.startswith("events/2026/03/14/12/"), key


@pytest.mark.parametrize("value", ["0", "-1"])
def test_bad_buffer_flags_are_usage_errors(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = eventlake(
        ["firehose-local", "--stream", "s", "--raw", str(tmp_path), "--buffer-mb", value]
    )
    assert code == 2
    assert "buffer" in capsys.readouterr().err


def test_missing_stream_is_a_clear_error(
    kinesis: LocalKinesis, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = eventlake(
        [
            "firehose-local",
            "--stream",
            "nope",
            "--raw",
            str(tmp_path),
            "--endpoint-url",
            kinesis.endpoint_url,
        ]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


# --- resharding ---

KEYS = [f"key-{i:02d}" for i in range(24)]


class RecordingWorker(FirehoseLocal):
    """firehose-local that also keeps the event lines in the order it wrote them."""

    written: list[bytes]

    def _write(self, key: str, lines: list[bytes]) -> None:
        super()._write(key, lines)
        if key.startswith("events/"):
            self.written = [*getattr(self, "written", []), *lines]


def recording_worker(
    kinesis: LocalKinesis, stream: str, raw: Path, **overrides: object
) -> RecordingWorker:
    plain = worker(kinesis, stream, raw, **overrides)
    return RecordingWorker(plain.client, plain.config)


def put_rounds(client: object, stream: str, rounds: int, start: int) -> list[bytes]:
    """`rounds` PutRecords calls, each with one event per key; `n` orders a key's events."""
    sent = []
    for n in range(start, start + rounds):
        batch = [orjson.dumps({**make_event(), "key": key, "n": n}) for key in KEYS]
        client.put_records(
            StreamName=stream,
            Records=[{"Data": d, "PartitionKey": k} for d, k in zip(batch, KEYS, strict=True)],
        )
        sent += batch
    return sent


def assert_each_key_in_order(lines: list[bytes]) -> None:
    order: dict[str, list[int]] = {}
    for line in lines:
        event = orjson.loads(line)
        order.setdefault(event["key"], []).append(event["n"])
    for key, ns in order.items():
        assert ns == sorted(ns), f"{key} was delivered out of order: {ns}"


def midpoint(shard: dict) -> str:
    low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    return str((low + high) // 2)


def test_a_split_and_a_merge_during_a_run_lose_nothing_and_keep_each_keys_order(
    kinesis: LocalKinesis, stream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    like_kinesis(monkeypatch)
    # A few records per GetRecords: a parent takes several cycles to read, so a child read
    # alongside it would deliver a key's later records before its earlier ones.
    monkeypatch.setattr(firehose, "GET_RECORDS_LIMIT", 15)
    client = kinesis.client()
    sent = put_rounds(client, stream, 10, 0)
    run = recording_worker(kinesis, stream, tmp_path / "raw", buffer_bytes=20_000)
    thread = threading.Thread(target=run.run, kwargs={"max_seconds": 60}, daemon=True)
    thread.start()
    first, second = client.list_shards(StreamName=stream)["Shards"]
    client.split_shard(
        StreamName=stream, ShardToSplit=first["ShardId"], NewStartingHashKey=midpoint(first)
    )
    sent += put_rounds(client, stream, 10, 10)
    upper_half = client.list_shards(StreamName=stream)["Shards"][-1]
    client.merge_shards(
        StreamName=stream,
        ShardToMerge=upper_half["ShardId"],
        AdjacentShardToMerge=second["ShardId"],
    )
    sent += put_rounds(client, stream, 10, 20)
    deadline = time.monotonic() + 30
    while run.stats.records_in < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    run.stop.set()
    thread.join(30)

    shards = client.list_shards(StreamName=stream)["Shards"]
    assert len(shards) == 5, "the stream was not split and merged"
    assert uuids_of(run.written) == uuids_of(sent), "resharding lost records"
    assert len(run.written) == len(sent), "a record was delivered twice in one run"
    assert_each_key_in_order(run.written)
    assert run.checkpoint.closed == {first["ShardId"], second["ShardId"], upper_half["ShardId"]}


def test_checkpoints_survive_a_split_and_a_merge_and_a_crash_in_between(
    kinesis: LocalKinesis, stream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    like_kinesis(monkeypatch)
    monkeypatch.setattr(firehose, "GET_RECORDS_LIMIT", 15)  # parents take several cycles
    client, raw = kinesis.client(), tmp_path / "raw"
    runs: list[RecordingWorker] = []

    def deliver() -> int:
        runs.append(recording_worker(kinesis, stream, raw))
        return runs[-1].run(until_idle_s=0.3).records_in

    before = put_rounds(client, stream, 5, 0)
    assert deliver() == len(before)
    unread = put_rounds(client, stream, 5, 5)  # still in the parents when they close
    client.update_shard_count(StreamName=stream, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    split = put_rounds(client, stream, 5, 10)
    crashed = recording_worker(kinesis, stream, raw)
    for _ in range(12):  # reads the parents to their end and the children: never flushed
        crashed.poll_once()
    assert crashed.stats.records_in == len(unread) + len(split)
    assert deliver() == len(unread) + len(split), "the restart must resume from the checkpoint"
    client.update_shard_count(StreamName=stream, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    merged = put_rounds(client, stream, 5, 15)
    assert deliver() == len(merged), "closed parents must not be read again after the merge"

    lines = [line for run in runs for line in getattr(run, "written", [])]
    assert uuids_of(lines) == uuids_of(before + unread + split + merged)
    assert len(lines) == len(before + unread + split + merged)
    assert_each_key_in_order(lines)
    open_shards = [s for s in client.list_shards(StreamName=stream)["Shards"]
                   if "EndingSequenceNumber" not in s["SequenceNumberRange"]]  # fmt: skip
    assert len(open_shards) == 2
    checkpoint = runs[-1].checkpoint
    assert {s["ShardId"] for s in open_shards} <= set(checkpoint.sequences)
    assert len(checkpoint.closed) == 2 + 4, "every parent must be closed in the checkpoint"
