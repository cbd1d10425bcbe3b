"""`eventlake produce`: send events to a Kinesis stream with PutRecords, losing none.

How nothing gets lost:
- The source (generated events or NDJSON) is admitted into a bounded in-memory buffer at the
  target rate. A sender thread drains it in PutRecords calls of at most 500 records and
  5 MiB, and retries only the records a call reports as failed (and whole calls that fail:
  throttling, 5xx, connection errors), with exponential backoff and full jitter.
- When the buffer stays full (an outage), admission writes records to an NDJSON spool file
  on disk instead of growing memory; a record counts as spooled only once fsynced (per
  append, or every N ms: `Durability`). Records spooled during a run are replayed once the
  stream accepts writes again; a spool left by a previous run is replayed first on start.
  A spool file is deleted only after all its records were sent or re-spooled.
- On SIGINT/SIGTERM admission stops, the buffer is flushed for up to --drain-timeout, and
  whatever is still unsent goes to the spool.
- A record over Kinesis' 1 MiB limit can never be sent: it goes to `<spool>.rejected.ndjson`
  with a reason, and is counted.
Delivery is at least once (a retried or replayed record may arrive twice); the nightly job
dedupes by event_uuid.
"""

from __future__ import annotations

import hashlib
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from eventlake.ingest.spool import Durability, Record, Spool

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
KINESIS_MAX_RECORD_BYTES = 1024 * 1024  # Kinesis' limit on data plus partition key
MAX_PARTITION_KEY_CHARS = 256
DEFAULT_RATE = 1_000_000 / 3600  # 1M events an hour
DEFAULT_SPOOL = Path(".local/producer/spool.ndjson")

# Whole-call errors worth retrying; anything else (missing stream, bad credentials) is
# permanent: the batch is spooled and the run stops with an error.
RETRYABLE_CALL_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "KMSThrottlingException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


# --- time, injectable so tests can compress a 30 s outage into a fraction of a second ---


class SystemClock:
    """Real time. `real(s)` converts a duration to real seconds for blocking waits."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def real(self, seconds: float) -> float:
        return seconds


class Pacer:
    """Smooth token-bucket pacing: one record every 1/rate s, with a small catch-up burst."""

    def __init__(self, rate: float, clock: SystemClock, burst_s: float = 0.05) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.burst_s = burst_s
        self.next_at: float | None = None

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock.now()
        # Tokens do not pile up beyond the burst: after a stall the rate resumes, it does
        # not spike to catch up.
        self.next_at = now if self.next_at is None else max(self.next_at, now - self.burst_s)
        if self.next_at > now:
            self.clock.sleep(self.next_at - now)
        self.next_at += self.interval


# --- records ---


def partition_key(data: bytes) -> str:
    """event_uuid when the record is a JSON object that has one, else the record's md5."""
    try:
        value = orjson.loads(data).get("event_uuid")
    except (orjson.JSONDecodeError, AttributeError):
        value = None
    if isinstance(value, str) and 0 < len(value) <= MAX_PARTITION_KEY_CHARS:
        return value
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def to_record(data: bytes) -> Record:
    return data, partition_key(data)


def record_size(record: Record) -> int:
    return len(record[0]) + len(record[1].encode())


def ndjson_lines(stream: BinaryIO, counter: Callable[[], None] | None = None) -> Iterator[bytes]:
    """Each non-blank line of an NDJSON byte stream, without its line ending."""
    for line in stream:
        data = line.rstrip(b"\r\n")
        if data.strip():
            yield data
        elif counter is not None:
            counter()


# --- stats ---


@dataclass
class ProducerStats:
    read: int = 0
    sent: int = 0
    retried: int = 0  # record attempts that failed and were retried
    call_errors: int = 0  # whole PutRecords calls that failed
    calls: int = 0
    spooled: int = 0
    replayed: int = 0
    rejected: int = 0
    blank_lines: int = 0
    started_at: float = field(default_factory=time.monotonic)
    ended_at: float | None = None

    @property
    def elapsed_s(self) -> float:
        return (self.ended_at or time.monotonic()) - self.started_at

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(elapsed_s=round(self.elapsed_s, 3), rate=round(self.rate, 1))
        return data

    def line(self) -> str:
        return (
            f"read {self.read:,}  sent {self.sent:,}  retried {self.retried:,}  "
            f"spooled {self.spooled:,}  replayed {self.replayed:,}  rejected {self.rejected:,}  "
            f"{self.rate:,.0f} rec/s"
        )


# --- the producer ---


@dataclass
class ProducerConfig:
    stream: str
    rate: float = DEFAULT_RATE  # events per second; 0 = as fast as possible
    spool_path: Path = DEFAULT_SPOOL
    buffer_records: int = 10_000
    linger_s: float = 0.1  # how long a partial batch may wait for more records
    spool_after_s: float = 5.0  # how long admission waits for buffer room before spooling
    drain_timeout_s: float = 10.0  # on stop, how long without progress before spooling
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 5.0
    durability: Durability = field(default_factory=Durability)  # when spooled records are fsynced


class PermanentError(Exception):
    """The stream cannot accept writes and retrying will not help (e.g. it does not exist)."""


class Producer:
    """Admission (the caller's thread) -> bounded buffer -> sender thread -> PutRecords."""

    def __init__(
        self,
        client: Any,
        config: ProducerConfig,
        clock: SystemClock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.stats = ProducerStats()
        self.spool = Spool(config.spool_path, config.durability, self._spooled_durably)
        self.stop_requested = threading.Event()  # stop admitting (signal or end of input)
        self._hard_stop = threading.Event()  # stop sending: spool what is left
        self._closing = threading.Event()
        self._buffer: queue.Queue[Record] = queue.Queue(maxsize=config.buffer_records)
        self._unfinished = 0  # admitted into the buffer, not yet sent or spooled
        self._finished = threading.Condition()
        self._overflowing = False  # the buffer stayed full: admission spools
        self._replay_below = max(1, config.buffer_records // 2)
        self._spooled_this_run = False
        self._claimed: list[Path] = []  # replayed spool files, deleted once all settled
        self.healthy = True
        self._last_progress = self.clock.now()  # last time the stream accepted a record
        self.fatal: BaseException | None = None
        self._sender = threading.Thread(target=self._send_loop, name="kinesis-sender", daemon=True)
        # Listeners (the replay ledger, the file shipper's checkpoint), all optional:
        # records about to be handed to PutRecords,
        self.before_send: Callable[[list[Record]], None] | None = None
        # every PutRecords call's records and results,
        self.on_sent: Callable[[list[Record], list[dict[str, Any]]], None] | None = None
        # records now fsynced in the spool, and a record rejected (durably) as too large.
        self.on_spooled: Callable[[list[Record]], None] | None = None
        self.on_rejected: Callable[[Record], None] | None = None

    # ---- public API ----

    def run(self, source: Iterable[bytes]) -> ProducerStats:
        """Replay the spool, send the source at the target rate, flush; spool what is left."""
        return self.run_records(to_record(data) for data in source)

    def run_records(self, records: Iterable[Record]) -> ProducerStats:
        """`run` for a source that makes its own records (the file shipper tags them)."""
        self._sender.start()
        try:
            self.replay_spool()
            self._admit_source(records)
            if self._spooled_this_run and self.healthy and not self.stop_requested.is_set():
                self.replay_spool()
        finally:
            self.close()
        return self.stats

    def request_stop(self) -> None:
        self.stop_requested.set()

    def replay_spool(self) -> int:
        """Feed every spooled record to the buffer (ahead of new records).

        A replayed file is deleted only once every record admitted so far has been sent or
        re-spooled, so a crash in between replays it again (a duplicate, never a loss).
        """
        replayed = 0
        for path in self.spool.claim():
            if path in self._claimed:
                continue
            records = Spool.read(path)
            for record in records:
                if self.stop_requested.is_set() or self.fatal:
                    self.spool.append(_chain([record], records))
                    break
                self._admit(record, count_read=False)
                replayed += 1
            self._claimed.append(path)
        self.stats.replayed += replayed
        self._release_claimed()
        return replayed

    def _release_claimed(self, settled: bool = False) -> None:
        if self._claimed and (settled or self._unfinished == 0):
            for path in self._claimed:
                path.unlink(missing_ok=True)
            self._claimed.clear()

    def wait_settled(self, timeout_s: float | None = None) -> bool:
        """Block until every admitted record was sent or spooled (or the timeout passed)."""
        deadline = None if timeout_s is None else time.monotonic() + self.clock.real(timeout_s)
        with self._finished:
            while self._unfinished > 0:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._finished.wait(0.05 if remaining is None else min(remaining, 0.05))
        return True

    def close(self) -> None:
        """Flush while the stream keeps accepting records; spool what is left once it has
        accepted nothing for drain_timeout (or at once if it is failing permanently)."""
        self.stop_requested.set()
        self._last_progress = max(self._last_progress, self.clock.now())
        while not self.wait_settled(0.1):
            stalled = self.clock.now() - self._last_progress
            if self.fatal or stalled >= self.config.drain_timeout_s:
                self._hard_stop.set()
                break
        self._closing.set()
        self._sender.join()
        self.spool.close()  # every admitted record is now sent or spooled
        self._release_claimed(settled=True)
        self.stats.ended_at = time.monotonic()

    # ---- admission ----

    def _admit_source(self, source: Iterable[Record]) -> None:
        pacer = Pacer(self.config.rate, self.clock)
        for record in source:
            if self.stop_requested.is_set() or self.fatal:
                return
            pacer.wait()
            self._admit(record)
            self.spool.tick()
            if self._claimed:
                self._release_claimed()
            # Back from an outage: replay what it spooled once the buffer has drained.
            if (
                self._spooled_this_run
                and self.healthy
                and self._buffer.qsize() < self._replay_below
            ):
                self._spooled_this_run = False
                self.replay_spool()

    def _admit(self, record: Record, count_read: bool = True) -> None:
        if count_read:
            self.stats.read += 1
        if record_size(record) > KINESIS_MAX_RECORD_BYTES:
            self.spool.reject(record, f"record_too_large: {record_size(record)} bytes > 1 MiB")
            self.stats.rejected += 1
            if self.on_rejected is not None:
                self.on_rejected(record)
            return
        with self._finished:
            self._unfinished += 1
        try:
            if self._overflowing or self.fatal:
                self._buffer.put_nowait(record)
            else:
                self._buffer.put(record, timeout=self.clock.real(self.config.spool_after_s))
        except queue.Full:
            self._overflowing = True
            self._to_spool([record])

    def _to_spool(self, records: list[Record]) -> None:
        self.spool.append(records)
        self._spooled_this_run = True
        self._settle(len(records))

    def _spooled_durably(self, records: list[Record]) -> None:
        """The spool fsynced these records: only now are they reported as spooled."""
        self.stats.spooled += len(records)
        if self.on_spooled is not None:
            self.on_spooled(records)

    def _settle(self, count: int) -> None:
        with self._finished:
            self._unfinished -= count
            self._finished.notify_all()

    # ---- sending ----

    def _send_loop(self) -> None:
        carry: Record | None = None
        while True:
            self.spool.tick()
            batch, carry = self._next_batch(carry)
            if batch:
                try:
                    self._deliver(batch)
                except BaseException as exc:  # a bug must not lose the batch
                    self.fatal = self.fatal or exc
                    self._to_spool(batch)
            elif self._closing.is_set() and self._buffer.empty() and carry is None:
                return

    def _next_batch(self, carry: Record | None) -> tuple[list[Record], Record | None]:
        """Up to 500 records / 5 MiB; a partial batch waits at most linger_s for more."""
        batch: list[Record] = [carry] if carry else []
        size = record_size(carry) if carry else 0
        deadline = None
        while len(batch) < MAX_RECORDS_PER_CALL:
            if batch and deadline is None:
                deadline = self.clock.now() + self.config.linger_s
            wait = 0.05 if deadline is None else self.clock.real(deadline - self.clock.now())
            try:
                record = (
                    self._buffer.get(timeout=max(wait, 0.0))
                    if wait > 0
                    else self._buffer.get_nowait()
                )
            except queue.Empty:
                if batch or self._closing.is_set():
                    break
                continue
            rsize = record_size(record)
            if size + rsize > MAX_BYTES_PER_CALL:
                return batch, record
            batch.append(record)
            size += rsize
        return batch, None

    def _deliver(self, batch: list[Record]) -> None:
        pending = batch
        attempt = 0
        while pending:
            if self._hard_stop.is_set() or self.fatal:
                self._to_spool(pending)
                return
            try:
                failed = self._put_records(pending)
            except PermanentError as exc:
                self.fatal = exc
                self._to_spool(pending)
                return
            except Exception:  # throttled, 5xx, connection refused: the whole call failed
                self.healthy = False
                self.stats.call_errors += 1
                attempt += 1
                self._backoff(attempt)
                continue
            self.healthy = True
            self._overflowing = False
            if len(failed) < len(pending):
                self._last_progress = self.clock.now()
            self._settle(len(pending) - len(failed))
            if failed:
                self.stats.retried += len(failed)
                attempt += 1
                self._backoff(attempt)
            pending = failed

    def _put_records(self, records: list[Record]) -> list[Record]:
        """One PutRecords call; returns the records it reports as failed."""
        from botocore.exceptions import ClientError

        self.stats.calls += 1
        if self.before_send is not None:
            self.before_send(records)
        entries = [{"Data": data, "PartitionKey": pk} for data, pk in records]
        try:
            response = self.client.put_records(StreamName=self.config.stream, Records=entries)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in RETRYABLE_CALL_ERRORS or status >= 500 or status == 429:
                raise
            raise PermanentError(f"PutRecords to {self.config.stream}: {code}: {exc}") from exc
        if not response.get("FailedRecordCount"):
            self.stats.sent += len(records)
            self._note_sent(records, response["Records"])
            return []
        failed = [
            rec
            for rec, res in zip(records, response["Records"], strict=True)
            if res.get("ErrorCode")
        ]
        self.stats.sent += len(records) - len(failed)
        self._note_sent(records, response["Records"])
        return failed

    def _note_sent(self, records: list[Record], results: list[dict[str, Any]]) -> None:
        if self.on_sent is not None:
            self.on_sent(records, results)

    def _backoff(self, attempt: int) -> None:
        """Exponential backoff with full jitter; cut short when the run must stop."""
        ceiling = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2 ** min(attempt, 30))
        self._hard_stop.wait(self.clock.real(self.rng.uniform(0, ceiling)))


def _chain(first: Iterable[Record], rest: Iterator[Record]) -> Iterator[Record]:
    yield from first
    yield from rest


# --- sources ---


def file_source(path: str, stats: ProducerStats) -> Iterator[bytes]:
    def count_blank() -> None:
        stats.blank_lines += 1

    if path == "-":
        yield from ndjson_lines(sys.stdin.buffer, count_blank)
        return
    with open(path, "rb") as handle:
        yield from ndjson_lines(handle, count_blank)


def limited(source: Iterable[bytes], total: int | None) -> Iterator[bytes]:
    for index, data in enumerate(source):
        if total is not None and index >= total:
            return
        yield data
