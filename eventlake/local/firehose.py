"""`eventlake firehose-local`: Firehose's delivery, locally: Kinesis -> transform -> gzip objects.

moto's Firehose neither reads Kinesis, nor calls a Lambda, nor buffers or gzips, so this
worker reproduces the parts the pipeline relies on:
- reads every shard of a Kinesis stream (GetShardIterator/GetRecords, following
  NextShardIterator). The shard list is refreshed each cycle; after a split or a merge a
  child is read only once its parents were read to their end, as the Kinesis Client
  Library does, so the records of one partition key stay in order across resharding;
- calls the transform handler in-process with Firehose-shaped events (recordId,
  approximateArrivalTimestamp, base64 data, kinesisRecordMetadata), in invocations of at most
  1 MiB like Firehose's Lambda processor buffer;
- buffers the transformed records by size and interval (Firehose's BufferingHints), gzips
  them and writes one object per flush under the Firehose prefix, named after the
  ApproximateArrivalTimestamp of the oldest record in it;
- writes ProcessingFailed records to the `processing-failed` error prefix in Firehose's
  error-record format;
- checkpoints the last delivered sequence number per shard only after the objects were
  written, so a restart resumes without loss (at least once, like Firehose).
"""

from __future__ import annotations

import gzip
import heapq
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from eventlake.core import layout, storage
from eventlake.ingest.codec import from_base64, to_base64
from eventlake.ingest.transform import CONFIG, PROCESSING_FAILED, transform_event

ERROR_OUTPUT_TYPE = "processing-failed"
PROCESSING_FAILED_CODE = "Lambda.ProcessingFailed"
PROCESSING_FAILED_MESSAGE = "The record was returned as ProcessingFailed by the transform function"
LOCAL_LAMBDA_ARN = "arn:aws:lambda:us-east-1:000000000000:function:eventlake-firehose-transform"
INVOCATION_MAX_BYTES = 1024 * 1024  # Firehose's Lambda processor buffer (default 1 MiB)
GET_RECORDS_LIMIT = 10_000
WRITE_ATTEMPTS = 5
MAX_CONSECUTIVE_READ_ERRORS = 20


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class DaySimulation:
    """Map real arrival times onto a past day, so a demo's events land in that day's window.

    simulated = day 00:00 UTC + offset_s + (real arrival - anchor) * speed, where the anchor
    is the real arrival of the first record this worker saw (kept in the checkpoint, so a
    restart maps the same way). Order is kept; the transform validates against, and object
    keys use, the simulated time.
    """

    day: date
    speed: float = 1.0
    offset_s: float = 0.0
    anchor_ms: int | None = None
    ledger: dict[tuple[str, str], float] | None = None  # from `produce --replay-ledger`

    def map_ms(self, real_ms: int, shard_id: str = "", sequence: str = "") -> int:
        if self.ledger and (shard_id, sequence) in self.ledger:
            return int(self.ledger[shard_id, sequence] * 1000)  # the record's intended arrival
        if self.anchor_ms is None:
            self.anchor_ms = real_ms
        start_ms = _ms(layout.day_start(self.day))
        return int(start_ms + self.offset_s * 1000 + (real_ms - self.anchor_ms) * self.speed)


@dataclass
class DeliveryConfig:
    stream: str
    raw_uri: str
    delivery_stream: str
    checkpoint_path: Path
    buffer_bytes: int = 5 * 1024 * 1024
    buffer_seconds: float = 60.0
    poll_interval_s: float = 1.0
    lambda_arn: str = LOCAL_LAMBDA_ARN
    simulation: DaySimulation | None = None


def default_checkpoint_path(raw_uri: str, delivery_stream: str) -> Path:
    """Beside a local raw folder (in `_firehose_local/`, which readers skip), else under .local/."""
    name = f"{delivery_stream}.checkpoint.json"
    if layout.is_s3(raw_uri):
        return Path(".local/firehose-local") / name
    return layout.local_path(raw_uri) / "_firehose_local" / name


@dataclass
class Checkpoint:
    """Per shard: the last sequence number whose record is in a written object."""

    path: Path
    sequences: dict[str, str] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    anchor_ms: int | None = None

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        if not path.exists():
            return cls(path)
        data = orjson.loads(path.read_bytes())
        return cls(
            path,
            dict(data.get("shards", {})),
            set(data.get("closed", [])),
            data.get("simulation_anchor_ms"),
        )

    def save(self) -> None:
        data = {
            "shards": self.sequences,
            "closed": sorted(self.closed),
            "simulation_anchor_ms": self.anchor_ms,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        tmp.replace(self.path)


@dataclass
class DeliveryBuffer:
    """Transformed records waiting for the next flush, and what they cover per shard."""

    ok_lines: list[bytes] = field(default_factory=list)
    ok_bytes: int = 0
    oldest_ok_ms: int | None = None
    error_lines: list[bytes] = field(default_factory=list)
    oldest_error_ms: int | None = None
    last_sequence: dict[str, str] = field(default_factory=dict)
    opened_at: float | None = None

    @property
    def empty(self) -> bool:
        return not self.ok_lines and not self.error_lines and not self.last_sequence

    newest_ms: int | None = None

    @property
    def oldest_ms(self) -> int | None:
        known = [t for t in (self.oldest_ok_ms, self.oldest_error_ms) if t is not None]
        return min(known) if known else None

    def _saw(self, arrival_ms: int) -> None:
        self.newest_ms = arrival_ms if self.newest_ms is None else max(self.newest_ms, arrival_ms)

    def add_ok(self, line: bytes, arrival_ms: int) -> None:
        self.ok_lines.append(line)
        self.ok_bytes += len(line)
        self.oldest_ok_ms = (
            arrival_ms if self.oldest_ok_ms is None else min(self.oldest_ok_ms, arrival_ms)
        )
        self._saw(arrival_ms)

    def add_error(self, line: bytes, arrival_ms: int) -> None:
        self.error_lines.append(line)
        self.oldest_error_ms = (
            arrival_ms if self.oldest_error_ms is None else min(self.oldest_error_ms, arrival_ms)
        )
        self._saw(arrival_ms)


@dataclass
class DeliveryStats:
    records_in: int = 0
    delivered: int = 0
    processing_failed: int = 0
    objects: int = 0
    error_objects: int = 0
    bytes_written: int = 0
    read_errors: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    started_at: float = field(default_factory=time.monotonic)
    ended_at: float | None = None

    @property
    def elapsed_s(self) -> float:
        return (self.ended_at or time.monotonic()) - self.started_at

    def line(self) -> str:
        rate = self.records_in / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (
            f"read {self.records_in:,}  delivered {self.delivered:,}  "
            f"processing-failed {self.processing_failed:,}  objects {self.objects:,}"
            f"+{self.error_objects:,} errors  {self.bytes_written / 1e6:,.1f} MB gz  {rate:,.0f} rec/s"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "records_in": self.records_in,
            "delivered": self.delivered,
            "processing_failed": self.processing_failed,
            "objects": self.objects,
            "error_objects": self.error_objects,
            "bytes_written": self.bytes_written,
            "read_errors": self.read_errors,
            "reasons": dict(self.reasons),
            "elapsed_s": round(self.elapsed_s, 3),
        }


class FirehoseLocal:
    """One delivery stream reading one Kinesis stream."""

    def __init__(self, client: Any, config: DeliveryConfig) -> None:
        self.client = client
        self.config = config
        self.checkpoint = Checkpoint.load(config.checkpoint_path)
        if config.simulation is not None and config.simulation.anchor_ms is None:
            config.simulation.anchor_ms = self.checkpoint.anchor_ms
        self.buffer = DeliveryBuffer()
        self.stats = DeliveryStats()
        self.stop = threading.Event()
        self._iterators: dict[str, str | None] = {}
        self._read_position: dict[str, str] = {}  # last sequence read (may be ahead of checkpoint)
        self._exhausted: set[str] = set()  # closed shards read to their end

    # ---- the loop ----

    def run(
        self, until_idle_s: float | None = None, max_seconds: float | None = None
    ) -> DeliveryStats:
        started = time.monotonic()
        idle_since: float | None = None
        failures = 0
        while not self.stop.is_set():
            try:
                got = self.poll_once()
                failures = 0
            except Exception as exc:  # Kinesis unreachable or throttled: back off, keep the buffer
                failures += 1
                self.stats.read_errors += 1
                if failures >= MAX_CONSECUTIVE_READ_ERRORS:
                    self.flush()
                    raise RuntimeError(
                        f"reading {self.config.stream} failed {failures} times: {exc}"
                    ) from exc
                self.stop.wait(min(0.1 * 2**failures, 5.0))
                got = None  # unknown, not idle: a failed read says nothing about the stream
            now = time.monotonic()
            idle_since = None if got is None or got else (idle_since or now)
            if self._buffer_due(now):
                self.flush()
            if (
                until_idle_s is not None
                and idle_since is not None
                and now - idle_since >= until_idle_s
            ):
                break
            if max_seconds is not None and now - started >= max_seconds:
                break
            if not got:
                self.stop.wait(self.config.poll_interval_s)
        self.flush()
        self.stats.ended_at = time.monotonic()
        return self.stats

    def _buffer_due(self, now: float) -> bool:
        if self.buffer.empty:
            return False
        if self.buffer.ok_bytes >= self.config.buffer_bytes:
            return True
        opened = self.buffer.opened_at or now
        return now - opened >= self.config.buffer_seconds

    def poll_once(self) -> int:
        """One GetRecords per open shard; returns how many records were read."""
        batches: list[tuple[str, list[dict[str, Any]]]] = []
        for shard_id in self._shard_ids():
            iterator = self._iterator(shard_id)
            if iterator is None:
                continue
            try:
                response = self.client.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            except self.client.exceptions.ExpiredIteratorException:
                self._iterators.pop(shard_id, None)
                continue
            self._iterators[shard_id] = response.get("NextShardIterator")
            if response.get("NextShardIterator") is None:
                self._exhausted.add(shard_id)
            batches.append((shard_id, response.get("Records", [])))
        simulation = self.config.simulation
        if simulation is not None and simulation.anchor_ms is None:
            # Anchor on the earliest arrival over all shards, not on the first shard read.
            arrivals = [_ms(r["ApproximateArrivalTimestamp"]) for _, rs in batches for r in rs]
            simulation.anchor_ms = min(arrivals) if arrivals else None
        # Firehose reads shards in parallel; handle this cycle's records in arrival order. A
        # merge of the per-shard lists never reorders records within a shard, even if two
        # of them carry arrival times out of order.
        merged = list(
            heapq.merge(
                *([(shard_id, r) for r in records] for shard_id, records in batches),
                key=lambda item: item[1]["ApproximateArrivalTimestamp"],
            )
        )
        if merged:
            self._ingest(merged)
        for shard_id, records in batches:
            if records:
                self._read_position[shard_id] = records[-1]["SequenceNumber"]
            elif shard_id in self._exhausted:
                self.buffer.last_sequence.setdefault(shard_id, self._position(shard_id) or "")
                # A buffer holding only this end mark is due after the interval like any
                # other, so the closed parent reaches the checkpoint without new records.
                self.buffer.opened_at = self.buffer.opened_at or time.monotonic()
        return len(merged)

    def _shard_ids(self) -> list[str]:
        """The shards to read now: open or not yet finished, and whose parents are finished.

        A parent is finished once read to its end (in this run, or closed in the checkpoint);
        a parent no longer listed has expired with the stream's retention.
        """
        shards, token = [], None
        while True:
            kwargs = {"NextToken": token} if token else {"StreamName": self.config.stream}
            response = self.client.list_shards(**kwargs)
            shards.extend(response["Shards"])
            token = response.get("NextToken")
            if not token:
                break
        listed = {s["ShardId"] for s in shards}
        finished = self.checkpoint.closed | self._exhausted
        ready = []
        for shard in shards:
            if shard["ShardId"] in self.checkpoint.closed:
                continue
            parents = (shard.get("ParentShardId"), shard.get("AdjacentParentShardId"))
            if all(p is None or p not in listed or p in finished for p in parents):
                ready.append(shard["ShardId"])
        return ready

    def _position(self, shard_id: str) -> str | None:
        return self._read_position.get(shard_id) or self.checkpoint.sequences.get(shard_id)

    def _iterator(self, shard_id: str) -> str | None:
        if shard_id in self._iterators:
            return self._iterators[shard_id]
        position = self._position(shard_id)
        kwargs: dict[str, Any] = {"StreamName": self.config.stream, "ShardId": shard_id}
        if position:
            kwargs.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position
            )
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        iterator = self.client.get_shard_iterator(**kwargs)["ShardIterator"]
        self._iterators[shard_id] = iterator
        return iterator

    # ---- transform ----

    def _ingest(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        self.stats.records_in += len(records)
        for invocation in self._invocations(records):
            self._apply(invocation)

    def _arrival_ms(self, shard_id: str, record: dict[str, Any]) -> int:
        real_ms = _ms(record["ApproximateArrivalTimestamp"])
        simulation = self.config.simulation
        if simulation is None:
            return real_ms
        mapped = simulation.map_ms(real_ms, shard_id, record["SequenceNumber"])
        self.checkpoint.anchor_ms = simulation.anchor_ms
        return mapped

    def _invocations(self, records: list[tuple[str, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """Firehose-shaped transformation events of at most INVOCATION_MAX_BYTES of data."""
        batch: list[dict[str, Any]] = []
        size = 0
        for shard_id, record in records:
            data: bytes = record["Data"]
            if batch and size + len(data) > INVOCATION_MAX_BYTES:
                yield self._event(batch)
                batch, size = [], 0
            arrival_ms = self._arrival_ms(shard_id, record)
            batch.append(
                {
                    "recordId": f"{record['SequenceNumber']}-{shard_id}",
                    "approximateArrivalTimestamp": arrival_ms,
                    "data": to_base64(data),
                    "kinesisRecordMetadata": {
                        "shardId": shard_id,
                        "partitionKey": record.get("PartitionKey", ""),
                        "approximateArrivalTimestamp": arrival_ms,
                        "sequenceNumber": record["SequenceNumber"],
                        "subsequenceNumber": 0,
                    },
                }
            )
            size += len(data)
        if batch:
            yield self._event(batch)

    def _event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": f"arn:aws:firehose:us-east-1:000000000000:deliverystream/{self.config.delivery_stream}",
            "sourceKinesisStreamArn": f"arn:aws:kinesis:us-east-1:000000000000:stream/{self.config.stream}",
            "region": "us-east-1",
            "records": records,
        }

    def _apply(self, event: dict[str, Any]) -> None:
        result = transform_event(event, CONFIG)
        sources = {r["recordId"]: r["kinesisRecordMetadata"] for r in event["records"]}
        ended_ms = int(time.time() * 1000)
        for answer in result.records:
            source = sources[answer["recordId"]]
            arrival_ms = source["approximateArrivalTimestamp"]
            if self._spans_too_long(arrival_ms):
                self.flush()  # an object never spans more than the buffer interval of arrivals
            if self.buffer.opened_at is None:
                self.buffer.opened_at = time.monotonic()
            self.buffer.last_sequence[source["shardId"]] = source["sequenceNumber"]
            if answer["result"] == PROCESSING_FAILED:
                self.stats.processing_failed += 1
                self.stats.reasons[result.failure_reasons.get(answer["recordId"], "")] += 1
                self.buffer.add_error(
                    self._error_line(answer["data"], arrival_ms, ended_ms), arrival_ms
                )
            else:
                self.stats.delivered += 1
                self.buffer.add_ok(from_base64(answer["data"]), arrival_ms)
            if self.buffer.ok_bytes >= self.config.buffer_bytes:
                self.flush()  # like Firehose: a full buffer is delivered at once

    def _spans_too_long(self, arrival_ms: int) -> bool:
        """Would this arrival stretch the buffer past one interval (either way: shards can
        deliver slightly out of order)? An object's name carries its oldest arrival, and the
        nightly job trusts every record in it to have arrived within one interval of that."""
        buffer = self.buffer
        if buffer.oldest_ms is None or buffer.newest_ms is None:
            return False
        span = max(buffer.newest_ms, arrival_ms) - min(buffer.oldest_ms, arrival_ms)
        return span >= self.config.buffer_seconds * 1000

    def _error_line(self, raw_b64: str, arrival_ms: int, ended_ms: int) -> bytes:
        return (
            orjson.dumps(
                {
                    "attemptsMade": 1,
                    "arrivalTimestamp": arrival_ms,
                    "errorCode": PROCESSING_FAILED_CODE,
                    "errorMessage": PROCESSING_FAILED_MESSAGE,
                    "attemptEndingTimestamp": ended_ms,
                    "rawData": raw_b64,
                    "lambdaArn": self.config.lambda_arn,
                }
            )
            + b"\n"
        )

    # ---- delivery ----

    def flush(self) -> None:
        """Write the buffer's objects, then (only then) advance the checkpoint."""
        buffer = self.buffer
        if buffer.empty:
            return
        if buffer.ok_lines:
            key = layout.raw_object_key(self.config.delivery_stream, _dt(buffer.oldest_ok_ms))
            self._write(key, buffer.ok_lines)
            self.stats.objects += 1
        if buffer.error_lines:
            key = layout.error_object_key(
                self.config.delivery_stream, _dt(buffer.oldest_error_ms), ERROR_OUTPUT_TYPE
            )
            self._write(key, buffer.error_lines)
            self.stats.error_objects += 1
        for shard_id, sequence in buffer.last_sequence.items():
            if sequence:
                self.checkpoint.sequences[shard_id] = sequence
            if shard_id in self._exhausted:
                self.checkpoint.closed.add(shard_id)
        self.checkpoint.save()
        self.buffer = DeliveryBuffer()

    def _write(self, key: str, lines: list[bytes]) -> None:
        body = gzip.compress(b"".join(lines), compresslevel=6, mtime=0)
        uri = layout.join_uri(self.config.raw_uri, key)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                storage.write_bytes(uri, body)
                break
            except Exception:
                if attempt == WRITE_ATTEMPTS:
                    raise  # nothing was checkpointed: a restart re-reads these records
                time.sleep(min(2.0**attempt * 0.1, 5.0))
        self.stats.bytes_written += len(body)


def _dt(epoch_ms: int | None) -> datetime:
    return datetime.fromtimestamp((epoch_ms or 0) / 1000.0, UTC)
