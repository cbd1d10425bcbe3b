"""Fixtures for the recovery tests: a moto Kinesis server for the module, a stream per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from eventlake.local.kinesis import LocalKinesis, ensure_stream, start_threaded


@pytest.fixture(scope="module")
def kinesis() -> Iterator[LocalKinesis]:
    local = start_threaded()
    yield local
    local.stop()


@pytest.fixture
def stream(kinesis: LocalKinesis) -> str:
    name = f"replay-{uuid.uuid4().hex[:10]}"
    ensure_stream(kinesis.client(), name, shards=2)
    return name
