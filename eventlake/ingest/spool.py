"""The producer's spool: records that could not be sent yet, kept on disk until they are."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from eventlake.ingest.codec import from_base64, to_base64

# A record: (data, partition key).
Record = tuple[bytes, str]


class Spool:
    """Records that could not be sent yet (NDJSON: partition key + base64 data per line)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rejected_path = self.path.with_name(self.path.stem + ".rejected.ndjson")
        self._lock = threading.Lock()
        self._handle: BinaryIO | None = None
        self.appended = 0

    def append(self, records: Iterable[Record]) -> int:
        lines = [
            orjson.dumps({"pk": pk, "data_b64": to_base64(data)}) + b"\n" for data, pk in records
        ]
        if not lines:
            return 0
        with self._lock:
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.path, "ab")  # noqa: SIM115 - kept open for the run
            self._handle.write(b"".join(lines))
            self._handle.flush()  # survives a killed process; fsync happens on close
            self.appended += len(lines)
        return len(lines)

    def reject(self, record: Record, reason: str) -> None:
        data, pk = record
        line = {"reason": reason, "bytes": len(data), "pk": pk, "data_b64": to_base64(data)}
        with self._lock:
            self.rejected_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.rejected_path, "ab") as handle:
                handle.write(orjson.dumps(line) + b"\n")

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.flush()
                os.fsync(self._handle.fileno())
                self._handle.close()
                self._handle = None

    def claim(self) -> list[Path]:
        """Move the current spool aside for replay; return every file waiting for replay."""
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
            if self.path.exists() and self.path.stat().st_size > 0:
                aside = self.path.with_name(f"{self.path.name}.replay-{time.time_ns()}")
                os.replace(self.path, aside)
        return sorted(self.path.parent.glob(f"{self.path.name}.replay-*"))

    def pending_files(self) -> list[Path]:
        files = sorted(self.path.parent.glob(f"{self.path.name}.replay-*"))
        if self.path.exists() and self.path.stat().st_size > 0:
            files.append(self.path)
        return files

    @staticmethod
    def read(path: Path) -> Iterator[Record]:
        with open(path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    entry = orjson.loads(line)
                    yield from_base64(entry["data_b64"]), entry["pk"]
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a torn last line from a killed process; its record was never acked
