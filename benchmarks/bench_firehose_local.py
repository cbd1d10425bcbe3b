"""firehose-local delivery rate against a bare read-gzip-write drain of the same stream, same run."""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from figures import figure

from eventlake.core import layout
from eventlake.local.firehose import DeliveryConfig, FirehoseLocal
from eventlake.local.kinesis import ensure_stream, local_kinesis, read_all_records


def events(count: int) -> list[bytes]:
    now = time.time()
    return [
        orjson.dumps(
            {
                "event_uuid": str(uuid.uuid4()),
                "event_name": "lesson:started",
                "created_at": now,
                "n": i,
            }
        )
        for i in range(count)
    ]


def fill(client: Any, stream: str, count: int) -> None:
    ensure_stream(client, stream, shards=4)
    records = events(count)
    for i in range(0, count, 500):
        chunk = records[i : i + 500]
        client.put_records(
            StreamName=stream,
            Records=[{"Data": r, "PartitionKey": str(i + j)} for j, r in enumerate(chunk)],
        )


def bare_drain(client: Any, stream: str, out: Path) -> tuple[float, int]:
    """The floor: GetRecords every shard to the end, gzip it all, write one file."""
    started = time.perf_counter()
    lines = [r["Data"] + b"\n" for r in read_all_records(client, stream)]
    out.write_bytes(gzip.compress(b"".join(lines), compresslevel=6))
    return time.perf_counter() - started, len(lines)


def delivery(client: Any, stream: str, raw: Path) -> tuple[float, int]:
    config = DeliveryConfig(
        stream=stream,
        raw_uri=layout.normalize_uri(str(raw)),
        delivery_stream=stream,
        checkpoint_path=raw / "_cp.json",
        poll_interval_s=0.0,
    )
    worker = FirehoseLocal(client, config)
    started = time.perf_counter()
    # One poll cycle per shard round until a cycle reads nothing, then flush: no idle wait timed.
    while worker.poll_once():
        pass
    worker.flush()
    return time.perf_counter() - started, worker.stats.records_in


def run(smoke: bool = False) -> dict[str, Any]:
    count = 2_000 if smoke else 40_000
    with tempfile.TemporaryDirectory() as tmp, local_kinesis(None, separate_process=True) as local:
        client = local.client()
        fill(client, "bench-delivery", count)
        bare_s, bare_n = bare_drain(client, "bench-delivery", Path(tmp) / "bare.gz")
        local_s, local_n = delivery(client, "bench-delivery", Path(tmp) / "raw")
    assert bare_n == local_n == count, (bare_n, local_n, count)
    return {
        "stage": "firehose_local",
        "figures": [
            figure(
                "firehose-local delivery (transform, buffer, gzip, write, checkpoint)",
                round(count / local_s),
                "records/s",
                "bare drain: GetRecords to the end, gzip, one file",
                round(count / bare_s),
            )
        ],
        "notes": f"{count:,} records on one moto server in its own process.",
        "extra": {
            "records": count,
            "bare_drain_per_s": round(count / bare_s),
            "firehose_local_per_s": round(count / local_s),
            "ratio": round(bare_s / local_s, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run, checks that it works")
    r = run(parser.parse_args().smoke)["extra"]
    print(
        f"firehose-local: {r['firehose_local_per_s']:,} rec/s delivered (transform + gzip + write) vs "
        f"bare drain {r['bare_drain_per_s']:,} rec/s: {r['ratio']:.2f}x"
    )


if __name__ == "__main__":
    main()
