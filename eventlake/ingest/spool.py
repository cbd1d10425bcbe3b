"""The producer's spool: records that could not be sent yet, kept on disk until they are.

Durability is explicit (`Durability`): by default every append is fsynced before it
returns ("batch"); with an interval, appends are flushed at once and fsynced at most every
N ms. Either way a record is reported durable (`on_durable`) only after the fsync that
covers it, so whoever counts on the spool (the producer's stats, the shipper's checkpoint)
never counts a record that a power loss could still take away.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from eventlake.ingest.codec import from_base64, to_base64

# A record: (data, partition key).
Record = tuple[bytes, str]


@dataclass(frozen=True)
class Durability:
    """When spooled records are fsynced: after each append (interval_s None) or every N s."""

    interval_s: float | None = None

    @classmethod
    def parse(cls, text: str) -> Durability:
        """`batch` or `<N>ms`, as `eventlake produce --durability` takes it."""
        if text == "batch":
            return cls()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)ms", text.strip())
        if not match or float(match.group(1)) <= 0:
            raise ValueError(
                f"durability must be 'batch' or a positive interval like 100ms: {text!r}"
            )
        return cls(float(match.group(1)) / 1000.0)

    def __str__(self) -> str:
        return "batch" if self.interval_s is None else f"{self.interval_s * 1000:g}ms"


def fsync_dir(path: Path) -> None:
    """Make a created or renamed directory entry durable (the file's own fsync does not)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """Records that could not be sent yet (NDJSON: partition key + base64 data per line)."""

    def __init__(
        self,
        path: Path,
        durability: Durability | None = None,
        on_durable: Callable[[list[Record]], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.rejected_path = self.path.with_name(self.path.stem + ".rejected.ndjson")
        self.durability = durability or Durability()
        self.on_durable = on_durable
        self._lock = threading.Lock()
        self._handle: BinaryIO | None = None
        self._unsynced: list[Record] = []  # written and flushed, not yet fsynced
        self._synced_at = time.monotonic()
        self.appended = 0
        self.fsyncs = 0

    def append(self, records: Iterable[Record]) -> int:
        """Write records; they are reported durable once fsynced (now, or within the interval)."""
        batch = list(records)
        if not batch:
            return 0
        lines = b"".join(
            orjson.dumps({"pk": pk, "data_b64": to_base64(data)}) + b"\n" for data, pk in batch
        )
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                created = not self.path.exists()
                self._handle = open(self.path, "ab")  # noqa: SIM115 - kept open for the run
                if created:
                    fsync_dir(self.path.parent)
            self._handle.write(lines)
            self._handle.flush()  # in the page cache: survives a killed process
            self.appended += len(batch)
            self._unsynced.extend(batch)
            durable = self._sync_if_due()
        self._report(durable)
        return len(batch)

    def tick(self) -> None:
        """With an interval: fsync what waits once the interval has passed (called often)."""
        if not self._unsynced:
            return
        with self._lock:
            durable = self._sync_if_due()
        self._report(durable)

    def sync(self) -> None:
        """fsync whatever waits, now."""
        with self._lock:
            durable = self._sync()
        self._report(durable)

    def _sync_if_due(self) -> list[Record]:
        interval = self.durability.interval_s
        if interval is not None and time.monotonic() - self._synced_at < interval:
            return []
        return self._sync()

    def _sync(self) -> list[Record]:
        if self._handle is None or not self._unsynced:
            return []
        os.fsync(self._handle.fileno())
        self.fsyncs += 1
        self._synced_at = time.monotonic()
        durable, self._unsynced = self._unsynced, []
        return durable

    def _report(self, durable: list[Record]) -> None:
        # Outside the lock: the listener may take its own (the shipper's checkpoint).
        if durable and self.on_durable is not None:
            self.on_durable(durable)

    def reject(self, record: Record, reason: str) -> None:
        """Keep a record Kinesis can never take, durably (a checkpoint may skip past it)."""
        data, pk = record
        line = {"reason": reason, "bytes": len(data), "pk": pk, "data_b64": to_base64(data)}
        with self._lock:
            self.rejected_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.rejected_path, "ab") as handle:
                handle.write(orjson.dumps(line) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())

    def close(self) -> None:
        with self._lock:
            durable = self._sync()
            if self._handle is not None:
                self._handle.close()
                self._handle = None
        self._report(durable)

    def claim(self) -> list[Path]:
        """Move the current spool aside for replay; return every file waiting for replay."""
        self.close()
        with self._lock:
            if self.path.exists() and self.path.stat().st_size > 0:
                aside = self.path.with_name(f"{self.path.name}.replay-{time.time_ns()}")
                os.replace(self.path, aside)
                fsync_dir(self.path.parent)
        return sorted(self.path.parent.glob(f"{self.path.name}.replay-*"))

    def pending_files(self) -> list[Path]:
        files = sorted(self.path.parent.glob(f"{self.path.name}.replay-*"))
        if self.path.exists() and self.path.stat().st_size > 0:
            files.append(self.path)
        return files

    @staticmethod
    def decode_line(line: bytes) -> Record:
        entry = orjson.loads(line)
        return from_base64(entry["data_b64"]), entry["pk"]

    @staticmethod
    def read(path: Path) -> Iterator[Record]:
        with open(path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    yield Spool.decode_line(line)
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a torn last line from a killed process; its record was never acked
