"""Fixtures for the ingestion tests: a real moto Kinesis server, events, a compressed clock."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from eventlake.local.kinesis import LocalKinesis, ensure_stream, start_threaded


@pytest.fixture(scope="session")
def kinesis() -> Iterator[LocalKinesis]:
    """One moto server (in a thread) for the session; each test makes its own stream."""
    local = start_threaded()
    yield local
    local.stop()


@pytest.fixture
def stream(kinesis: LocalKinesis) -> str:
    name = f"test-{uuid.uuid4().hex[:10]}"
    ensure_stream(kinesis.client(), name, shards=2)
    return name


def make_event(
    created_at: float | None = None, name: str = "payment:order:completed"
) -> dict[str, Any]:
    return {
        "event_uuid": str(uuid.uuid4()),
        "event_name": name,
        "created_at": time.time() - 5 if created_at is None else created_at,
        "user_id": "u-42",
        "amount": 12.5,
    }


def make_records(count: int) -> list[bytes]:
    return [orjson.dumps(make_event()) for _ in range(count)]


def uuids_of(records: list[bytes]) -> set[str]:
    return {orjson.loads(r)["event_uuid"] for r in records}


class CompressedClock:
    """Simulated time running `speed` times faster than real time, shared by all threads.

    A 30 s outage then takes 30/speed real seconds, while the producer's own logic (backoff,
    spool-after, linger, pacing) measures it in full simulated seconds.
    """

    def __init__(self, speed: float = 100.0) -> None:
        self.speed = speed
        self._real_start = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> float:
        return (time.monotonic() - self._real_start) * self.speed

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.speed)

    def real(self, seconds: float) -> float:
        return seconds / self.speed
