"""The file shipper (`produce --input FILE --follow --checkpoint PATH`) against a moto stream."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from eventlake.cli import main as eventlake
from eventlake.ingest.producer import MAX_RECORDS_PER_CALL, Producer, ProducerConfig
from eventlake.ingest.shipper import FileShipper
from eventlake.ingest.tailer import OffsetCheckpoint
from eventlake.local.kinesis import LocalKinesis, read_all_records

from .conftest import make_records


def stream_counts(kinesis: LocalKinesis, stream: str) -> Counter:
    return Counter(
        orjson.loads(r["Data"])["event_uuid"] for r in read_all_records(kinesis.client(), stream)
    )


def uuid_list(records: list[bytes]) -> list[str]:
    return [orjson.loads(r)["event_uuid"] for r in records]


def append(path: Path, records: list[bytes]) -> None:
    with open(path, "ab") as handle:
        handle.write(b"".join(r + b"\n" for r in records))


class Shipping:
    """A shipper tailing `pattern` in a thread, into `stream`, until idle or stopped."""

    def __init__(
        self,
        client: Any,
        stream: str,
        pattern: Path | str,
        checkpoint: Path,
        until_idle_s: float | None = 1.0,
        **config: Any,
    ) -> None:
        spool = checkpoint.with_name("spool.ndjson")
        self.producer = Producer(
            client, ProducerConfig(stream=stream, rate=0, spool_path=spool, **config)
        )
        self.shipper = FileShipper(str(pattern), checkpoint, follow=True, until_idle_s=until_idle_s)
        self.shipper.attach(self.producer)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.producer.run_records(self.shipper.records())
        finally:
            self.shipper.close()

    def wait_until(self, condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert self.thread.is_alive(), f"the shipper stopped before {what}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    def join(self, timeout_s: float = 60) -> None:
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the shipper did not stop once idle"


def offsets(checkpoint: Path) -> dict[str, int]:
    return {m.path: m.offset for m in OffsetCheckpoint.load(checkpoint).files.values()}


@pytest.mark.parametrize("watch", ["app.log", "app.log*"])  # the rotated name matches or not
def test_rename_and_create_rotation_loses_nothing_and_reads_nothing_twice(
    watch: str, kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, rotated, checkpoint = tmp_path / "app.log", tmp_path / "app.log.1", tmp_path / "ck.json"
    first, late, second = make_records(500), make_records(100), make_records(300)
    append(log, first)
    run = Shipping(kinesis.client(), stream, tmp_path / watch, checkpoint)
    run.wait_until(lambda: run.producer.stats.sent == 500, "the first 500 records")
    writer = open(log, "ab")  # noqa: SIM115 - the application's handle, kept across the rename
    os.rename(log, rotated)
    writer.write(b"".join(r + b"\n" for r in late))  # written after the rename, before reopening
    writer.close()
    append(log, second)
    run.join()

    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(first + late + second)), "a line was lost in the rotation"
    assert max(counts.values()) == 1, "a line was read twice"
    assert offsets(checkpoint) == {
        str(rotated): rotated.stat().st_size,
        str(log): log.stat().st_size,
    }


class GatedKinesis:
    """Holds every PutRecords call until `gate` opens: the shipper falls behind its file."""

    def __init__(self, client: Any) -> None:
        self.client, self.exceptions = client, client.exceptions
        self.gate = threading.Event()

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        self.gate.wait(30)
        return self.client.put_records(**kwargs)


def test_copytruncate_while_behind_reads_the_unread_rest_from_the_copy(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, copy, checkpoint = tmp_path / "app.log", tmp_path / "app.log.1", tmp_path / "ck.json"
    before, unread, after = make_records(2000), make_records(300), make_records(200)
    append(log, before)
    gated = GatedKinesis(kinesis.client())
    run = Shipping(gated, stream, log, checkpoint, buffer_records=10, spool_after_s=3600)
    read = run.producer.stats
    run.wait_until(lambda: read.read > 0, "the shipper to start reading")
    time.sleep(0.3)  # the buffer is full: admission (and so the tailer) is blocked
    assert read.read < len(before)
    append(log, unread)  # only in the copy once the file is truncated
    shutil.copyfile(log, copy)
    os.truncate(log, 0)
    append(log, after)
    gated.gate.set()
    run.join()

    assert any("truncated" in note for note in run.shipper.tailer.notes)
    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(before + unread + after)), "copytruncate lost lines"
    assert max(counts.values()) == 1, "a line was read twice"
    assert offsets(checkpoint)[str(log)] == log.stat().st_size
    assert offsets(checkpoint)[str(copy)] == copy.stat().st_size


def test_copytruncate_into_a_watched_name_is_not_read_again(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, copy, checkpoint = tmp_path / "app.log", tmp_path / "app.log.1", tmp_path / "ck.json"
    before, after = make_records(400), make_records(150)
    append(log, before)
    run = Shipping(kinesis.client(), stream, f"{tmp_path}/app.log*", checkpoint)
    run.wait_until(lambda: run.producer.stats.sent == 400, "the first 400 records")
    shutil.copyfile(log, copy)  # the copy matches the glob: it must be known as a copy
    time.sleep(0.5)  # let a scan see the copy before the truncation
    os.truncate(log, 0)
    append(log, after)
    run.join()

    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(before + after))
    assert max(counts.values()) == 1, "the copy was read again from its start"


def test_restart_finds_a_file_renamed_while_stopped_and_goes_on_where_it_was(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, rotated, checkpoint = (
        tmp_path / "app.log",
        tmp_path / "app.log-20261201",
        tmp_path / "ck.json",
    )
    first, late, second = make_records(300), make_records(120), make_records(80)
    append(log, first)
    Shipping(kinesis.client(), stream, log, checkpoint, until_idle_s=0.3).join()
    append(log, late)
    os.rename(log, rotated)
    append(log, second)
    restart = Shipping(kinesis.client(), stream, log, checkpoint, until_idle_s=0.3)
    restart.join()

    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(first + late + second))
    assert max(counts.values()) == 1, "the restart read a line again"
    assert restart.producer.stats.read == len(late) + len(second)
    assert (
        str(rotated) not in offsets(checkpoint)
        or offsets(checkpoint)[str(rotated)] == rotated.stat().st_size
    )
    assert offsets(checkpoint)[str(log)] == log.stat().st_size


def test_restart_after_a_copytruncate_while_stopped_reads_the_rest_from_the_copy(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, copy, checkpoint = tmp_path / "app.log", tmp_path / "app.log.1", tmp_path / "ck.json"
    first, unread, after = make_records(300), make_records(100), make_records(50)
    append(log, first)
    Shipping(kinesis.client(), stream, log, checkpoint, until_idle_s=0.3).join()
    append(log, unread)
    shutil.copyfile(log, copy)
    os.truncate(log, 0)
    append(log, after)
    restart = Shipping(kinesis.client(), stream, log, checkpoint, until_idle_s=0.3)
    restart.join()

    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(first + unread + after))
    assert max(counts.values()) == 1
    assert restart.producer.stats.read == len(unread) + len(after)


def test_a_glob_ships_every_matching_file_and_files_created_later(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    batches = {name: make_records(150) for name in ("a.ndjson", "b.ndjson", "c.ndjson")}
    append(logs / "a.ndjson", batches["a.ndjson"])
    append(logs / "b.ndjson", batches["b.ndjson"])
    (logs / "ignored.txt").write_bytes(make_records(1)[0] + b"\n")
    checkpoint = tmp_path / "ck.json"
    run = Shipping(kinesis.client(), stream, f"{logs}/*.ndjson", checkpoint)
    run.wait_until(lambda: run.producer.stats.sent == 300, "the first two files")
    append(logs / "c.ndjson", batches["c.ndjson"])
    run.join()

    counts = stream_counts(kinesis, stream)
    assert set(counts) == {u for records in batches.values() for u in uuid_list(records)}
    assert max(counts.values()) == 1
    assert offsets(checkpoint) == {str(logs / n): (logs / n).stat().st_size for n in batches}


def test_a_line_written_in_two_parts_is_one_record(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, checkpoint = tmp_path / "app.log", tmp_path / "ck.json"
    [whole] = make_records(1)
    log.write_bytes(whole[:40])  # the application is mid-write
    run = Shipping(kinesis.client(), stream, log, checkpoint, until_idle_s=1.5)
    time.sleep(0.4)
    assert run.producer.stats.read == 0, "half a line must not be shipped while followed"
    append(log, [])
    with open(log, "ab") as handle:
        handle.write(whole[40:] + b"\n")
    run.join()
    assert [r["Data"] for r in read_all_records(kinesis.client(), stream)] == [whole]
    assert offsets(checkpoint)[str(log)] == log.stat().st_size


class DownKinesis:
    """An outage: every call fails as if the endpoint were unreachable."""

    def __init__(self, client: Any) -> None:
        self.exceptions = client.exceptions

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url="http://kinesis.outage")


def test_a_stop_during_an_outage_spools_and_the_checkpoint_passes_only_synced_lines(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, checkpoint = tmp_path / "app.log", tmp_path / "ck.json"
    records = make_records(2000)  # more than the call in flight (500) and the buffer hold
    append(log, records)
    outage = {
        "buffer_records": 20,
        "spool_after_s": 0.02,
        "drain_timeout_s": 0.3,
        "backoff_cap_s": 0.05,
    }
    run = Shipping(
        DownKinesis(kinesis.client()), stream, log, checkpoint, until_idle_s=None, **outage
    )
    run.wait_until(lambda: run.producer.stats.spooled > 500, "the outage to spool")
    assert offsets(checkpoint).get(str(log), 0) == 0, "lines before the unsent call were committed"
    run.producer.request_stop()
    run.join()
    read = run.producer.stats.read
    assert read > 500  # usually mid-file; the file may be read to its end on a slow machine
    assert run.producer.stats.spooled == read, "everything read must be spooled"
    through = sum(len(r) + 1 for r in records[:read])
    assert offsets(checkpoint)[str(log)] == through, "the spooled lines are settled, no more"

    restart = Shipping(kinesis.client(), stream, log, checkpoint, until_idle_s=0.3)
    restart.join()
    assert restart.producer.stats.replayed == read
    assert restart.producer.stats.read == len(records) - read, "spooled lines were read again"
    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(records))
    assert max(counts.values()) == 1


def test_an_unreadable_checkpoint_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "x.log").write_bytes(b"")
    (tmp_path / "ck.json").write_bytes(b"{torn")
    code = eventlake(["produce", "--stream", "s", "--input", str(tmp_path / "x.log"),
                      "--checkpoint", str(tmp_path / "ck.json")])  # fmt: skip
    assert code == 2
    assert "unreadable checkpoint" in capsys.readouterr().err


class AckWitness:
    """Fails a share of records (like Kinesis under load) and, before every call, checks the
    checkpoint on disk: every line before its offset must already have been acknowledged."""

    def __init__(self, client: Any, log: Path, checkpoint: Path, fail_rate: float) -> None:
        self.client, self.exceptions = client, client.exceptions
        self.log, self.checkpoint = log, checkpoint
        self.rng = random.Random(3)
        self.fail_rate = fail_rate
        self.acked: set[bytes] = set()
        self.failed = 0
        self.checks = 0

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        if self.checkpoint.exists():
            offset = offsets(self.checkpoint).get(str(self.log), 0)
            committed = self.log.read_bytes()[:offset].splitlines()
            assert set(committed) <= self.acked, "the checkpoint passed a line not yet acknowledged"
            self.checks += 1
        failing = [self.rng.random() < self.fail_rate for _ in Records]
        passing = [r for r, fail in zip(Records, failing, strict=True) if not fail]
        answers = iter(
            self.client.put_records(StreamName=StreamName, Records=passing)["Records"]
            if passing
            else []
        )
        results = []
        for record, fail in zip(Records, failing, strict=True):
            if fail:
                results.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "injected",
                    }
                )
            else:
                results.append(next(answers))
                self.acked.add(record["Data"])
        self.failed += sum(failing)
        return {"FailedRecordCount": sum(failing), "Records": results}


def test_an_offset_is_committed_only_after_every_line_before_it_was_acknowledged(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    log, checkpoint = tmp_path / "app.log", tmp_path / "ck.json"
    records = make_records(3000)
    append(log, records)
    witness = AckWitness(kinesis.client(), log, checkpoint, fail_rate=0.2)
    run = Shipping(
        witness, stream, log, checkpoint, until_idle_s=0.5, backoff_base_s=0.001, backoff_cap_s=0.01
    )
    run.join()

    assert witness.failed > 100, "no failures were injected"
    assert witness.checks > 5, "the checkpoint was never checked against the acknowledgements"
    assert set(stream_counts(kinesis, stream)) == set(uuid_list(records))
    assert offsets(checkpoint)[str(log)] == log.stat().st_size


def test_without_follow_a_checkpoint_resumes_and_counts_blank_and_unterminated_lines(
    kinesis: LocalKinesis, stream: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    log, checkpoint = tmp_path / "app.log", tmp_path / "ck.json"
    first, second = make_records(20), make_records(5)
    log.write_bytes(b"\n".join(first) + b"\n\n   \n")
    common = ["produce", "--stream", stream, "--endpoint-url", kinesis.endpoint_url, "--rate", "0",
              "--quiet", "--input", str(log), "--checkpoint", str(checkpoint),
              "--spool", str(tmp_path / "spool.ndjson"), "--summary-json", str(tmp_path / "s.json")]  # fmt: skip
    assert eventlake(common) == 0
    assert orjson.loads((tmp_path / "s.json").read_bytes())["blank_lines"] == 2
    with open(log, "ab") as handle:
        handle.write(b"\n".join(second))  # the last line has no newline: the file is complete
    assert eventlake(common) == 0

    summary = orjson.loads((tmp_path / "s.json").read_bytes())
    assert summary["read"] == len(second), "the second run must start at the checkpoint"
    assert summary["shipper"]["possible_duplicates_from_previous_run"] == 0
    assert offsets(checkpoint)[str(log)] == log.stat().st_size
    counts = stream_counts(kinesis, stream)
    assert set(counts) == set(uuid_list(first + second))
    assert max(counts.values()) == 1
    assert "checkpoint" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--follow", "--input", "x.log"], "--follow needs --checkpoint"),
        (["--follow", "--checkpoint", "c.json", "--input", "-"], "not stdin"),
        (["--checkpoint", "c.json"], "need --input"),
        (["--checkpoint", "c.json", "--input", "nothing-*.log"], "no such file"),
        (["--input", "x.log", "--checkpoint", "c.json", "--until-idle", "1"], "goes with --follow"),
        (["--durability", "often"], "durability must be"),
    ],
)
def test_bad_shipper_flags_are_usage_errors(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.log").write_bytes(b"")
    assert eventlake(["produce", "--stream", "s", *args]) == 2
    assert message in capsys.readouterr().err


# --- kill -9 ---

REPO = Path(__file__).resolve().parents[2]
CLI = "import sys; from eventlake.cli import main; sys.exit(main(sys.argv[1:]))"
KILL_LOOP_EVENTS = 50_000
KILLS = 10
WRITE_RATE = 2_500  # lines/s: the file grows for 20 s
RESUMING = re.compile(rb"resuming after an unclean stop: up to (\d+) records")


class GrowingLog:
    """An application writing NDJSON at a steady rate, rotating (rename + create) once."""

    def __init__(self, path: Path, records: list[bytes], rotate_at: int) -> None:
        self.path, self.records, self.rotate_at = path, records, rotate_at
        self.rotated = path.with_name(path.name + ".1")
        self.written = 0
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        chunk = WRITE_RATE // 20
        handle = open(self.path, "ab")  # noqa: SIM115 - the application's log handle
        started = time.monotonic()
        while self.written < len(self.records):
            if self.written == self.rotate_at:
                os.rename(self.path, self.rotated)
                handle.close()
                handle = open(self.path, "ab")  # noqa: SIM115
            limit = self.rotate_at if self.written < self.rotate_at else len(self.records)
            end = min(self.written + chunk, limit)
            handle.write(b"".join(r + b"\n" for r in self.records[self.written : end]))
            handle.flush()
            self.written = end
            time.sleep(max(0.0, started + self.written / WRITE_RATE - time.monotonic()))
        handle.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_kill_9_loop_loses_nothing_and_duplicates_at_most_one_call_per_kill(
    kinesis: LocalKinesis, stream: str, tmp_path: Path
) -> None:
    """The file grows to 50,000 events; the shipper is SIGKILLed 10 times and restarted each
    time; the file is rotated once in the middle."""
    records = make_records(KILL_LOOP_EVENTS)
    log, checkpoint = tmp_path / "app.log", tmp_path / "ship.json"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    env.pop("AWS_ENDPOINT_URL", None)
    command = [sys.executable, "-c", CLI, "produce", "--quiet", "--stream", stream,
               "--endpoint-url", kinesis.endpoint_url, "--input", str(log), "--follow",
               "--checkpoint", str(checkpoint), "--rate", "0", "--buffer-records", "1000",
               "--spool", str(tmp_path / "spool.ndjson")]  # fmt: skip

    def start(*extra: str) -> subprocess.Popen:
        return subprocess.Popen([*command, *extra], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)  # fmt: skip

    writer = GrowingLog(log, records, rotate_at=KILL_LOOP_EVENTS // 2)
    log.touch()
    rng = random.Random(16)
    outputs: list[bytes] = []
    proc = start()
    writer.thread.start()
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.6, 2.6))  # a random moment: starting, reading, sending, committing
        proc.kill()
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        outputs.append(out)
        proc = start()
    writer.thread.join(120)
    assert writer.written == KILL_LOOP_EVENTS
    proc.kill()  # the last of the running ones: a final restart ships the rest and stops idle
    out, _ = proc.communicate(timeout=30)
    outputs.append(out)
    final = start("--until-idle", "2")
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err.decode()[-2000:]
    outputs.append(out)

    counts = stream_counts(kinesis, stream)
    missing = set(uuid_list(records)) - set(counts)
    assert not missing, f"{len(missing)} events never reached the stream"
    duplicates = sum(counts.values()) - len(counts)
    reported = sum(int(m) for o in outputs for m in RESUMING.findall(o))
    kills = KILLS + 1
    print(f"\nkill -9 loop: {kills} kills, {duplicates} duplicates in the stream "
          f"(bound: {kills} x {MAX_RECORDS_PER_CALL} = {kills * MAX_RECORDS_PER_CALL}; "
          f"reported as possible by the restarts: {reported})")  # fmt: skip
    assert duplicates <= kills * MAX_RECORDS_PER_CALL, "more duplicates than one call per kill"
    assert duplicates <= reported, "the restarts under-reported the possible duplicates"
    final_offsets = offsets(checkpoint)
    assert final_offsets[str(log)] == log.stat().st_size
    # The rotated file is finished: a restart that found it at its end dropped it (it matches
    # no --input any more); otherwise its offset is its size.
    rotated_size = writer.rotated.stat().st_size
    assert final_offsets.get(str(writer.rotated), rotated_size) == rotated_size
