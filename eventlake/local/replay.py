"""Replaying a generated day in simulated time: the producer's pacing and its arrival ledger.

The demo sends each generated event at its intended arrival on a faster clock
(`paced_by_arrival`) and records, per accepted record, its shard, sequence number and
intended arrival (`ReplayLedger`). firehose-local reads that ledger (`load_replay_ledger`),
so every record lands at its intended arrival in the simulated day.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from eventlake.ingest.producer import Record, SystemClock


class ReplayLedger:
    """Which intended arrival each sent record had, for firehose-local's simulated day.

    For every record Kinesis accepted it writes `shard_id sequence_number intended_s`, so
    firehose-local can give each record exactly its intended arrival, however far this
    producer fell behind its replay schedule.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w")
        # id(record bytes) -> intended arrivals, oldest first: a natural duplicate is the
        # very same bytes object, sent twice
        self._intended: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def expect(self, data: bytes, intended_s: float) -> None:
        with self._lock:
            self._intended.setdefault(id(data), deque()).append(intended_s)

    def sent(self, records: list[Record], results: list[dict[str, Any]]) -> None:
        with self._lock:
            for (data, _), result in zip(records, results, strict=True):
                if result.get("ErrorCode"):
                    continue  # retried later: noted when it is accepted
                pending = self._intended.get(id(data))
                intended = pending.popleft() if pending else None
                if pending is not None and not pending:
                    del self._intended[id(data)]
                if intended is not None:
                    shard, sequence = result["ShardId"], result["SequenceNumber"]
                    self._file.write(f"{shard} {sequence} {intended:.6f}\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def paced_by_arrival(
    items: Iterable[tuple[float, bytes]],
    speed: float,
    clock: SystemClock,
    stop: threading.Event,
    on_first: Callable[[float], None] | None = None,
    start_at_epoch_s: float | None = None,
    replay_ledger: ReplayLedger | None = None,
) -> Iterator[bytes]:
    """Send each record when its intended arrival comes, on a clock `speed` times faster.

    The schedule starts when the first record is ready (not when the source was opened), or
    at `start_at_epoch_s` (wall clock) when given, so that a reader mapping arrivals back
    can anchor on the same instant: real arrival - start = (intended - first intended) / speed.
    """
    first: float | None = None
    started = 0.0
    for arrival, data in items:
        if first is None:
            first, started = arrival, clock.now()
            if start_at_epoch_s is not None:
                started += start_at_epoch_s - time.time()
            if on_first:
                on_first(arrival)
        delay = started + (arrival - first) / speed - clock.now()
        if delay > 0 and stop.wait(clock.real(delay)):
            return
        if replay_ledger is not None:
            replay_ledger.expect(data, arrival)
        yield data


def load_replay_ledger(path: Path) -> dict[tuple[str, str], float]:
    """`produce --replay-ledger`: (shard id, sequence number) -> intended arrival (s)."""
    ledger = {}
    for line in path.read_text().splitlines():
        shard_id, sequence, intended = line.split()
        ledger[shard_id, sequence] = float(intended)
    return ledger
