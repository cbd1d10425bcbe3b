"""`eventlake produce --input FILE --follow --checkpoint PATH`: a file shipper, at least once.

Like the Kinesis Agent, Fluent Bit or Filebeat: the tailer reads lines (following rotation),
the producer sends them, and the checkpoint holds, per file, the offset before which every
line was acknowledged by PutRecords (or fsynced to the spool, which the next start replays
first, or durably rejected as too large). An offset is committed only when every record
before it is settled, in read order (`Watermark`), so a restart after any kill goes on from
the checkpoint and loses nothing.

Duplicates after a crash are bounded by the records in flight: before each PutRecords call
the checkpoint notes how many records were handed over beyond the committed offsets (at most
one call, 500 records, as the producer sends one call at a time). The next start reports it.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from eventlake.ingest.producer import Producer, partition_key
from eventlake.ingest.spool import Record
from eventlake.ingest.tailer import FileMark, OffsetCheckpoint, Read, Tailer, line_hash


class Line(tuple):
    """A record read from a file: (data, partition key), and `ticket`, its read position."""

    ticket: int


def line_record(data: bytes, ticket: int) -> Line:
    record = Line((data, partition_key(data)))
    record.ticket = ticket
    return record


class Watermark:
    """Read positions in read order; the committed one is the last before the first unsettled.

    Records settle out of order (a spooled record before a buffered one, a retried record
    after the rest of its call), so settled tickets wait in a set until all before them are.
    Not thread-safe: the shipper holds its lock around it.
    """

    def __init__(self) -> None:
        self._order: deque[tuple[int, Read]] = deque()
        self._settled: set[int] = set()
        self.next_ticket = 0
        self.committed_ticket = -1

    def add(self, read: Read) -> int:
        ticket = self.next_ticket
        self.next_ticket += 1
        self._order.append((ticket, read))
        return ticket

    def settle(self, tickets: Iterable[int]) -> dict[str, Read]:
        """Mark tickets settled; returns the newly committed position per file, if any."""
        self._settled.update(tickets)
        advanced: dict[str, Read] = {}
        order, settled = self._order, self._settled
        while order and order[0][0] in settled:
            ticket, read = order.popleft()
            settled.discard(ticket)
            advanced[read.key] = read
            self.committed_ticket = ticket
        return advanced

    @property
    def pending(self) -> int:
        return len(self._order)


class FileShipper:
    """Tails `pattern` into a Producer, committing offsets to `checkpoint_path`."""

    def __init__(
        self,
        pattern: str,
        checkpoint_path: Path,
        follow: bool = True,
        until_idle_s: float | None = None,
        stop: threading.Event | None = None,
        poll_s: float = 0.05,
    ) -> None:
        self.checkpoint = OffsetCheckpoint.load(checkpoint_path)
        # Reported: what the previous run had handed to PutRecords beyond its committed
        # offsets when it stopped (0 after a clean stop). At most that many lines after the
        # offsets may reach the stream twice.
        self.possible_duplicates = self.checkpoint.in_flight
        self._lock = threading.Lock()
        self._watermark = Watermark()
        self._last_sent = -1  # highest ticket handed to PutRecords
        self._dirty = False
        self.commits = 0
        self.tailer = Tailer(
            # Absolute, so the checkpoint's paths mean the same from any working directory.
            os.path.abspath(pattern),
            self.checkpoint.files.get,
            follow=follow,
            stop=stop,
            poll_s=poll_s,
            until_idle_s=until_idle_s,
            on_idle=self.flush,
        )

    def attach(self, producer: Producer) -> None:
        """Listen to the producer: what it sends, what Kinesis acknowledged, what it spooled."""
        self.tailer.stop = producer.stop_requested
        producer.before_send = self._before_send
        producer.on_sent = self._sent
        producer.on_spooled = self._spooled
        producer.on_rejected = self._rejected

    def records(self) -> Iterator[Record]:
        """Resume from the checkpoint, then every line of the files as a record."""
        marks = list(self.checkpoint.files.values())
        resumed = self.tailer.resume(marks)
        with self._lock:
            for key in self.tailer.dropped:
                self.checkpoint.files.pop(key, None)
            self.checkpoint.in_flight = 0
            self._save()
        yield from self._records(resumed)
        yield from self._records(self.tailer.reads())

    def _records(self, reads: Iterable[Read]) -> Iterator[Record]:
        lock, watermark = self._lock, self._watermark
        for read in reads:
            with lock:
                ticket = watermark.add(read)
            if read.data is None:
                self._settle([ticket], save=False)  # a blank line or a mark: nothing to send
            else:
                yield line_record(read.data, ticket)

    def close(self) -> None:
        self.tailer.close()
        self.flush()

    def flush(self) -> None:
        """Write the checkpoint if a settled blank line or mark moved it (called when idle)."""
        with self._lock:
            if self._dirty:
                self._save()

    # ---- the producer's events (sender thread, admission thread) ----

    def _before_send(self, records: list[Record]) -> None:
        last = max((r.ticket for r in records if type(r) is Line), default=-1)
        with self._lock:
            if last > self._last_sent:
                self._last_sent = last
                self._save()  # written before the call: a crash during it is counted

    def _sent(self, records: list[Record], results: list[dict[str, Any]]) -> None:
        self._settle(
            r.ticket
            for r, result in zip(records, results, strict=True)
            if type(r) is Line and not result.get("ErrorCode")
        )

    def _spooled(self, records: list[Record]) -> None:
        self._settle(r.ticket for r in records if type(r) is Line)

    def _rejected(self, record: Record) -> None:
        if type(record) is Line:
            self._settle([record.ticket])

    def _settle(self, tickets: Iterable[int], save: bool = True) -> None:
        with self._lock:
            advanced = self._watermark.settle(tickets)
            if not advanced:
                return
            files = self.checkpoint.files
            for key, read in advanced.items():
                files[key] = FileMark(key, read.path, read.end, read.head, line_hash(read.raw))
            if save:
                self._save()
            else:
                self._dirty = True

    def _save(self) -> None:
        """Under the lock: the committed offsets, and how many records are beyond them."""
        self.checkpoint.in_flight = max(0, self._last_sent - self._watermark.committed_ticket)
        self.checkpoint.save()
        self.commits += 1
        self._dirty = False

    # ---- reporting ----

    def committed(self) -> dict[str, FileMark]:
        with self._lock:
            return dict(self.checkpoint.files)
