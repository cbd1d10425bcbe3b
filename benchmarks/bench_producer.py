"""Producer throughput against a bare PutRecords loop on the same moto server, and pacing accuracy."""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from figures import figure

from eventlake.ingest.producer import MAX_RECORDS_PER_CALL, Producer, ProducerConfig
from eventlake.local.kinesis import ensure_stream, local_kinesis

TARGET_THROUGHPUT_RATIO = 0.9
PACING_RATE = 1_000_000 / 3600  # the production target, ~278/s


def events(count: int) -> list[bytes]:
    now = time.time()
    return [
        orjson.dumps(
            {
                "event_uuid": str(uuid.uuid4()),
                "event_name": "lesson:started",
                "created_at": now,
                "user_id": f"use_{i:09x}",
                "lesson_id": "les_1",
                "score": i % 100,
            }
        )
        for i in range(count)
    ]


def bare_loop(client: Any, stream: str, records: list[bytes]) -> float:
    """The floor: 500-record PutRecords calls back to back, no pacing, no retry, no spool."""
    started = time.perf_counter()
    for i in range(0, len(records), MAX_RECORDS_PER_CALL):
        chunk = records[i : i + MAX_RECORDS_PER_CALL]
        client.put_records(
            StreamName=stream,
            Records=[{"Data": r, "PartitionKey": orjson.loads(r)["event_uuid"]} for r in chunk],
        )
    return time.perf_counter() - started


def producer_run(
    client: Any, stream: str, records: list[bytes], spool: Path, rate: float = 0.0
) -> tuple[float, Producer]:
    producer = Producer(client, ProducerConfig(stream=stream, rate=rate, spool_path=spool))
    started = time.perf_counter()
    producer.run(records)
    return time.perf_counter() - started, producer


def timed(records: list[bytes], stamps: list[float]) -> Iterator[bytes]:
    for record in records:
        stamps.append(time.perf_counter())
        yield record


def pacing(client: Any, stream: str, seconds: float, spool: Path) -> dict[str, float]:
    """Admission times at 278/s: the achieved rate and the worst one-second window."""
    records = events(int(PACING_RATE * seconds))
    stamps: list[float] = []
    producer = Producer(client, ProducerConfig(stream=stream, rate=PACING_RATE, spool_path=spool))
    producer.run(timed(records, stamps))
    achieved = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    windows = [sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps if s + 1.0 <= stamps[-1]]
    worst = max(abs(w - PACING_RATE) for w in windows) / PACING_RATE if windows else 0.0
    return {
        "achieved_per_s": round(achieved, 2),
        "accuracy": round(achieved / PACING_RATE, 4),
        "worst_1s_window_deviation": round(worst, 4),
        "sent": producer.stats.sent,
    }


def run(smoke: bool = False) -> dict[str, Any]:
    count = 2_000 if smoke else 30_000
    with tempfile.TemporaryDirectory() as tmp, local_kinesis(None, separate_process=True) as local:
        client = local.client()
        results = {"bare": [], "producer": []}
        for round_ in range(1 if smoke else 2):
            for kind in ("bare", "producer"):
                stream = f"bench-{kind}-{round_}"
                ensure_stream(client, stream, shards=4)
                records = events(count)
                if kind == "bare":
                    seconds = bare_loop(client, stream, records)
                else:
                    seconds, producer = producer_run(
                        client, stream, records, Path(tmp) / f"spool-{round_}.ndjson"
                    )
                    assert producer.stats.sent == count, "benchmark run lost records"
                results[kind].append(count / seconds)
        ensure_stream(client, "bench-pacing", shards=2)
        paced = pacing(
            client, "bench-pacing", 2.0 if smoke else 10.0, Path(tmp) / "spool-pacing.ndjson"
        )
    bare, produced = max(results["bare"]), max(results["producer"])
    return {
        "stage": "producer",
        "figures": [
            figure(
                "eventlake produce, as fast as possible",
                round(produced),
                "records/s",
                "bare PutRecords loop, same moto server",
                round(bare),
                at_least=TARGET_THROUGHPUT_RATIO,
            ),
            figure(
                f"pacing at {PACING_RATE:.1f}/s, achieved rate",
                paced["achieved_per_s"],
                "records/s",
                "the target rate",
                round(PACING_RATE, 2),
            ),
        ],
        "notes": (
            f"{count:,} records per round, best of "
            f"{len(results['bare'])} rounds each. Pacing: {paced['sent']:,} records, worst 1 s "
            f"window off the target by {paced['worst_1s_window_deviation']:.1%}."
        ),
        "extra": {
            "records": count,
            "bare_put_records_per_s": round(bare),
            "producer_per_s": round(produced),
            "throughput_ratio": round(produced / bare, 3),
            "pacing": paced,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run, checks that it works")
    r = run(parser.parse_args().smoke)["extra"]
    p = r["pacing"]
    print(
        f"producer: {r['producer_per_s']:,} rec/s vs bare PutRecords loop {r['bare_put_records_per_s']:,} rec/s "
        f"on the same moto server: {r['throughput_ratio']:.2f}x (target >= {TARGET_THROUGHPUT_RATIO})\n"
        f"pacing at {PACING_RATE:.1f}/s: achieved {p['achieved_per_s']:.1f}/s = {p['accuracy']:.3f}x, "
        f"worst 1 s window off by {p['worst_1s_window_deviation']:.1%}"
    )


if __name__ == "__main__":
    main()
