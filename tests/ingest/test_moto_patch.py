"""The local Kinesis' moto patch: the same first and last sequence numbers, in constant time."""

from __future__ import annotations

import time

from moto.kinesis.models import Shard

from eventlake.local.moto_server import (
    _first_sequence_number,
    _last_sequence_number,
    patch_kinesis_shards,
)


def moto_first(shard: Shard) -> int:  # moto 5.2.5's own bodies, for comparison
    return list(shard.records.keys())[0] if shard.records else 0  # noqa: RUF015


def moto_last(shard: Shard) -> int:
    return list(shard.records.keys())[-1] if shard.records else 0


def test_the_patch_answers_as_moto_does_on_empty_and_filled_shards() -> None:
    shard = Shard(0, 0, 2**128)
    assert (_first_sequence_number(shard), _last_sequence_number(shard)) == (0, 0)
    for i in range(50):
        shard.put_record(f"k{i}", "ZGF0YQ==", "1")
    assert _first_sequence_number(shard) == moto_first(shard) == 1
    assert _last_sequence_number(shard) == moto_last(shard) == 50


def test_a_patched_shard_fills_in_linear_time() -> None:
    patch_kinesis_shards()
    patch_kinesis_shards()  # idempotent
    shard = Shard(0, 0, 2**128)
    started = time.perf_counter()
    for i in range(60_000):
        shard.put_record(f"k{i}", "ZGF0YQ==", "1")
    elapsed = time.perf_counter() - started
    assert shard.get_max_sequence_number() == 60_000
    # unpatched, this is ~60,000²/2 key copies (~40 s); patched, well under one
    assert elapsed < 10, f"60,000 puts took {elapsed:.1f} s: the O(n) lookup is back"
