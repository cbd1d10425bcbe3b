"""The producer against a real moto Kinesis, with failures injected (moto never fails itself)."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from eventlake.ingest.producer import (
    MAX_BYTES_PER_CALL,
    MAX_RECORDS_PER_CALL,
    Producer,
    ProducerConfig,
    partition_key,
)
from eventlake.ingest.spool import Durability, Spool
from eventlake.local.kinesis import LocalKinesis, free_port, read_all_records

from .conftest import CompressedClock, make_records, uuids_of

REPO = Path(__file__).resolve().parents[2]
CLI = "import sys; from eventlake.cli import main; sys.exit(main(sys.argv[1:]))"


class RecordingKinesis:
    """A real client that remembers the shape of every PutRecords call."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.exceptions = client.exceptions
        self.calls: list[list[dict[str, Any]]] = []

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Records)
        return self.client.put_records(StreamName=StreamName, Records=Records)


class FaultyKinesis(RecordingKinesis):
    """Injects what real Kinesis does under load: per-record failures, throttled calls, outages.

    Failed records are *not* written to the stream, so a producer that does not retry them
    loses them and the test sees it. The outage window is in the producer's clock.
    """

    RECORD_ERRORS = (
        "ProvisionedThroughputExceededException",
        "InternalFailure",
        "KMSThrottlingException",
    )

    def __init__(
        self,
        client: Any,
        clock: CompressedClock,
        partial_rate: float = 0.10,
        throttle_rate: float = 0.05,
        outage: tuple[float, float] = (10.0, 30.0),
        seed: int = 4,
    ) -> None:
        super().__init__(client)
        self.clock = clock
        self.partial_rate = partial_rate
        self.throttle_rate = throttle_rate
        self.outage_start, self.outage_end = outage[0], outage[0] + outage[1]
        self.rng = random.Random(seed)
        self.outage_calls: list[float] = []
        self.throttled = 0
        self.failed_records = 0

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        now = self.clock.now()
        if self.outage_start <= now < self.outage_end:
            self.outage_calls.append(now)
            raise EndpointConnectionError(endpoint_url="http://kinesis.outage")
        if self.rng.random() < self.throttle_rate:
            self.throttled += 1
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}
            raise ClientError(
                {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "PutRecords"
            )
        failing = [self.rng.random() < self.partial_rate for _ in Records]
        passing = [r for r, fail in zip(Records, failing, strict=True) if not fail]
        real = super().put_records(StreamName, passing)["Records"] if passing else []
        answers = iter(real)
        out = []
        for fail in failing:
            if fail:
                out.append(
                    {"ErrorCode": self.rng.choice(self.RECORD_ERRORS), "ErrorMessage": "injected"}
                )
            else:
                out.append(next(answers))
        self.failed_records += sum(failing)
        return {"FailedRecordCount": sum(failing), "Records": out}


def stream_uuids(kinesis: LocalKinesis, stream: str) -> set[str]:
    return uuids_of([r["Data"] for r in read_all_records(kinesis.client(), stream)])


def test_batches_respect_kinesis_limits_and_keys_are_event_uuids(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    small = make_records(1_200)
    big = [orjson.dumps({"event_uuid": f"big-{i}", "pad": "x" * 400_000}) for i in range(20)]
    client = RecordingKinesis(kinesis.client())
    config = ProducerConfig(stream=stream, rate=0, spool_path=tmp_path / "spool.ndjson")
    stats = Producer(client, config).run(small + big)
    assert stats.sent == len(small) + len(big)
    for call in client.calls:
        assert len(call) <= MAX_RECORDS_PER_CALL, "PutRecords takes at most 500 records"
        size = sum(len(r["Data"]) + len(r["PartitionKey"]) for r in call)
        assert size <= MAX_BYTES_PER_CALL, "PutRecords takes at most 5 MiB"
    keys = {r["PartitionKey"] for call in client.calls for r in call}
    assert uuids_of(small) <= keys


def test_partition_key_falls_back_to_md5_of_unparseable_records() -> None:
    assert partition_key(b'{"event_uuid": "abc"}') == "abc"
    for raw in (b"not json", b"[1]", b'{"event_uuid": 5}', b'{"event_uuid": ""}'):
        assert partition_key(raw) == hashlib.md5(raw).hexdigest()


def test_record_over_one_mib_is_rejected_to_a_file_not_dropped(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    huge = orjson.dumps({"event_uuid": "huge", "pad": "x" * (1024 * 1024)})
    records = [*make_records(10), huge]
    config = ProducerConfig(stream=stream, rate=0, spool_path=tmp_path / "spool.ndjson")
    producer = Producer(kinesis.client(), config)
    stats = producer.run(records)
    assert (stats.sent, stats.rejected) == (10, 1)
    [line] = producer.spool.rejected_path.read_bytes().splitlines()
    entry = orjson.loads(line)
    assert entry["reason"].startswith("record_too_large")
    assert entry["pk"] == "huge"
    assert "huge" not in {r["PartitionKey"] for r in read_all_records(kinesis.client(), stream)}


def test_zero_loss_under_partial_failures_throttling_and_a_30s_outage(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    """10 % of records fail, 5 % of calls are throttled, and Kinesis is down for 30 s.

    Time is compressed 20x: the producer's backoff, spool-after and pacing see the full
    30 simulated seconds of failures, which take 1.5 s of real time.
    """
    clock = CompressedClock(speed=20)
    faulty = FaultyKinesis(kinesis.client(), clock, outage=(10.0, 30.0))
    records = make_records(3_000)
    config = ProducerConfig(
        stream=stream,
        rate=50,  # 60 simulated seconds of traffic; the outage covers half of it
        spool_path=tmp_path / "spool.ndjson",
        buffer_records=300,  # smaller than the outage's 1,500 records: forces the spool
    )
    producer = Producer(faulty, config, clock=clock, rng=random.Random(1))
    stats = producer.run(records)

    assert faulty.failed_records > 100, "partial failures were not injected"
    assert faulty.throttled > 0, "throttling was not injected"
    span = faulty.outage_calls[-1] - faulty.outage_calls[0]
    assert span >= 20, f"producer stopped trying during the outage (tried for {span:.1f} s only)"
    assert stats.spooled > 0, "a 30 s outage with a 300-record buffer must spool to disk"
    missing = uuids_of(records) - stream_uuids(kinesis, stream)
    assert not missing, f"{len(missing)} events never reached the stream"
    assert producer.spool.pending_files() == [], "the spool must be empty after replay"
    assert stats.retried >= faulty.failed_records


def run_producer(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "produce", "--quiet", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def summary(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())


@pytest.mark.timeout(90)
def test_sigterm_mid_run_flushes_and_a_restart_delivers_the_rest(
    kinesis: LocalKinesis, stream: str, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    records = make_records(3_000)
    source = tmp_path / "events.ndjson"
    source.write_bytes(b"\n".join(records) + b"\n")
    spool, first = tmp_path / "spool.ndjson", tmp_path / "first.json"
    common = ["--stream", stream, "--endpoint-url", kinesis.endpoint_url, "--spool", str(spool)]

    proc = run_producer(
        [*common, "--input", str(source), "--rate", "1000", "--summary-json", str(first)], cli_env
    )
    wait_for(lambda: len(read_all_records(kinesis.client(), stream)) > 0, 30, "the first records")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, proc.stderr.read().decode()
    read = summary(first)["read"]
    assert 0 < read < len(records), "SIGTERM should have arrived mid-run"
    assert uuids_of(records[:read]) <= stream_uuids(kinesis, stream), "SIGTERM lost admitted events"

    rest = tmp_path / "rest.ndjson"
    rest.write_bytes(b"\n".join(records[read:]) + b"\n")
    second = run_producer([*common, "--input", str(rest), "--rate", "0"], cli_env)
    assert second.wait(timeout=60) == 0, second.stderr.read().decode()
    assert uuids_of(records) <= stream_uuids(kinesis, stream)
    assert Spool(spool).pending_files() == []


@pytest.mark.timeout(90)
def test_sigterm_during_an_outage_spools_and_the_next_start_replays_it(
    kinesis: LocalKinesis, stream: str, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    records = make_records(1_000)
    source = tmp_path / "events.ndjson"
    source.write_bytes(b"\n".join(records) + b"\n")
    spool, first = tmp_path / "spool.ndjson", tmp_path / "first.json"
    dead_endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens: every call fails
    outage_args = ["--buffer-records", "50", "--spool-after", "0.2", "--drain-timeout", "1"]

    proc = run_producer(
        [
            "--stream",
            stream,
            "--endpoint-url",
            dead_endpoint,
            "--spool",
            str(spool),
            "--input",
            str(source),
            "--rate",
            "200",
            "--summary-json",
            str(first),
            *outage_args,
        ],
        cli_env,
    )
    wait_for(lambda: spool.exists() and spool.stat().st_size > 0, 30, "the outage to spool")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, proc.stderr.read().decode()
    stats = summary(first)
    assert 0 < stats["read"] < len(records)
    assert stats["sent"] == 0
    assert stats["spooled"] == stats["read"], (
        "everything admitted during the outage must be spooled"
    )

    replay = run_producer(
        [
            "--stream",
            stream,
            "--endpoint-url",
            kinesis.endpoint_url,
            "--spool",
            str(spool),
            "--input",
            str(source),
            "--total",
            "0",
            "--rate",
            "0",
        ],
        cli_env,
    )
    assert replay.wait(timeout=60) == 0, replay.stderr.read().decode()
    assert uuids_of(records[: stats["read"]]) <= stream_uuids(kinesis, stream)
    assert Spool(spool).pending_files() == [], "the spool must be empty after replay"


class DownKinesis:
    """Every PutRecords call fails as if the endpoint were unreachable: an outage."""

    def __init__(self, client: Any) -> None:
        self.exceptions = client.exceptions

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        raise EndpointConnectionError(endpoint_url="http://kinesis.outage")


@pytest.mark.parametrize("durability", ["batch", "50ms"])
def test_spooled_records_are_on_disk_before_they_are_reported_spooled(
    durability: str, kinesis: LocalKinesis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Patch os.fsync to see what the spool file holds each time it is synced; every record
    reported as spooled (stats and the on_spooled listener) must be in a synced state first."""
    spool = tmp_path / "spool.ndjson"
    synced: list[bytes] = []  # the spool file's bytes at each fsync of it
    events: list[tuple[str, int]] = []  # ("fsync" | "reported", index into synced / count)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if os.readlink(f"/proc/self/fd/{fd}") == str(spool):
            synced.append(spool.read_bytes())
            events.append(("fsync", len(synced) - 1))

    monkeypatch.setattr(os, "fsync", fsync)
    records = make_records(400)
    config = ProducerConfig(
        stream="down",
        rate=2000,
        spool_path=spool,
        buffer_records=20,
        spool_after_s=0.01,
        drain_timeout_s=0.2,
        backoff_cap_s=0.05,
        durability=Durability.parse(durability),
    )
    producer = Producer(DownKinesis(kinesis.client()), config)
    reported: list[bytes] = []
    unsynced: list[bytes] = []  # reported before a sync held them (collected: the listener
    # runs on the producer's threads, where an assertion would not reach the test)

    def on_spooled(batch: list[tuple[bytes, str]]) -> None:
        events.append(("reported", len(batch)))
        last_sync = max((i for kind, i in events if kind == "fsync"), default=None)
        on_disk = set()
        if last_sync is not None:
            on_disk = {Spool.decode_line(line)[0] for line in synced[last_sync].splitlines()}
        unsynced.extend(data for data, _ in batch if data not in on_disk)
        reported.extend(data for data, _ in batch)

    producer.on_spooled = on_spooled
    stats = producer.run(records)

    assert not unsynced, f"{len(unsynced)} records were reported spooled before an fsync"
    assert stats.spooled == len(records) == len(reported), "every record must end up spooled"
    assert set(reported) == set(records)
    assert [kind for kind, _ in events].count("fsync") >= 1
    if durability == "batch":
        assert producer.spool.fsyncs >= producer.spool.appended / MAX_RECORDS_PER_CALL
    else:  # one fsync per 50 ms, not one per append
        assert producer.spool.fsyncs < producer.spool.appended / 4
