"""moto's server with Kinesis' per-record cost made constant: `python -m eventlake.local.moto_server`.

moto 5.2.5's `Shard.put_record` finds the last sequence number with
`list(self.records.keys())[-1]`, which copies every key of the shard for every record: a
shard of n records costs O(n²) to fill. 100,000 records into one shard took 112 s on 2 cores
(the demo's replay spent 214 s there); with the patch they take 1 s. The patched methods
return exactly what the originals return (the first and last key of the ordered dict).
"""

from __future__ import annotations

import sys
from typing import Any


def _first_sequence_number(shard: Any) -> int:
    return next(iter(shard.records)) if shard.records else 0


def _last_sequence_number(shard: Any) -> int:
    return next(reversed(shard.records)) if shard.records else 0


def patch_kinesis_shards() -> None:
    """Make moto's Shard find its first and last sequence numbers in O(1). Idempotent."""
    from moto.kinesis.models import Shard

    Shard.get_min_sequence_number = _first_sequence_number
    Shard.get_max_sequence_number = _last_sequence_number


def main(argv: list[str]) -> None:
    patch_kinesis_shards()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
