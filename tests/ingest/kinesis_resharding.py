"""moto 5.2.5's resharding, made to behave like Kinesis for the firehose-local tests.

moto implements SplitShard, MergeShards and UpdateShardCount, but (checked on 5.2.5):
- PutRecords picks the first shard whose hash range holds the key, open or closed, so after
  a split or a merge every record still goes to the closed parent and children get none;
- a split moves the parent's records back into the parent with new sequence numbers, and a
  merge copies both parents' records into the child (Kinesis leaves them in the parents);
- a closed shard never ends: GetRecords always returns a NextShardIterator.
`like_kinesis(monkeypatch)` patches the backend of the in-process moto server (the tests'
threaded one) so that they see what Kinesis does instead: puts go to open shards only,
parents keep their records, and a closed shard read to its end returns no next iterator.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from moto.kinesis import models
from moto.kinesis.exceptions import InvalidArgumentError
from moto.kinesis.utils import decompose_shard_iterator


def _shard_for_key(self: models.Stream, partition_key: str, explicit_hash_key: str) -> Any:
    if explicit_hash_key:
        key = int(explicit_hash_key)
    else:
        key = int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)
    for shard in self.shards.values():
        if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
            return shard
    return None


def _next_index(stream: models.Stream) -> int:
    return max(s._shard_id for s in stream.shards.values()) + 1


def _split_shard(self: models.Stream, shard_to_split: str, new_starting_hash_key: str) -> None:
    parent = self.shards[shard_to_split]
    start = int(new_starting_hash_key)
    if not parent.is_open or not parent.starting_hash < start <= parent.ending_hash:
        raise InvalidArgumentError(f"cannot split {shard_to_split} at {new_starting_hash_key}")
    first = _next_index(self)
    ranges = ((parent.starting_hash, start - 1), (start, parent.ending_hash))
    for index, (low, high) in enumerate(ranges):
        child = models.Shard(first + index, low, high, parent=parent.shard_id)
        self.shards[child.shard_id] = child
    parent.is_open = False


def _merge_shards(self: models.Stream, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
    one, other = self.shards[shard_to_merge], self.shards[adjacent_shard_to_merge]
    low, high = sorted((one, other), key=lambda s: s.starting_hash)
    if low.ending_hash + 1 != high.starting_hash or not (one.is_open and other.is_open):
        raise InvalidArgumentError(adjacent_shard_to_merge)
    child = models.Shard(
        _next_index(self),
        low.starting_hash,
        high.ending_hash,
        parent=one.shard_id,
        adjacent_parent=other.shard_id,
    )
    self.shards[child.shard_id] = child
    one.is_open = other.is_open = False


def like_kinesis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Patch moto's Kinesis backend for one test (monkeypatch undoes it)."""
    original_get_records = models.KinesisBackend.get_records

    def get_records(self: Any, stream_arn: Any, shard_iterator: str, limit: Any) -> Any:
        next_iterator, records, behind = original_get_records(
            self, stream_arn, shard_iterator, limit
        )
        stream_name, shard_id, last_sequence = decompose_shard_iterator(next_iterator)
        shard = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name).get_shard(
            shard_id
        )
        if not shard.is_open and int(last_sequence) >= shard.get_max_sequence_number():
            next_iterator = None  # read to the end of a closed shard: Kinesis says so
        return next_iterator, records, behind

    monkeypatch.setattr(models.Stream, "get_shard_for_key", _shard_for_key)
    monkeypatch.setattr(models.Stream, "split_shard", _split_shard)
    monkeypatch.setattr(models.Stream, "merge_shards", _merge_shards)
    monkeypatch.setattr(models.KinesisBackend, "get_records", get_records)
