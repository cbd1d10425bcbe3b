"""The file shipper (`produce --input F --follow --checkpoint C`) against `produce --input F`
on the same file and moto server, and what each spool durability mode costs in records/s."""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_producer import events
from figures import figure

from eventlake.ingest.producer import (
    MAX_RECORDS_PER_CALL,
    Producer,
    ProducerConfig,
    ProducerStats,
    file_source,
    to_record,
)
from eventlake.ingest.shipper import FileShipper
from eventlake.ingest.spool import Durability, Spool
from eventlake.local.kinesis import ensure_stream, local_kinesis

TARGET_RATIO = 0.9
FLUSH_ONLY = Durability(interval_s=3600.0)  # fsynced only on close: the page cache alone


def produce_input(client: Any, stream: str, path: Path, spool: Path) -> tuple[float, int]:
    """`produce --input`: read the file, send it, flush."""
    producer = Producer(client, ProducerConfig(stream=stream, rate=0, spool_path=spool))
    started = time.perf_counter()
    stats = producer.run(file_source(str(path), ProducerStats()))
    return time.perf_counter() - started, stats.sent


def ship(client: Any, stream: str, path: Path, work: Path) -> tuple[float, int, int]:
    """The shipper in follow mode, timed until its checkpoint covers the whole file."""
    producer = Producer(client, ProducerConfig(stream=stream, rate=0, spool_path=work / "spool"))
    shipper = FileShipper(str(path), work / "checkpoint.json", follow=True)
    shipper.attach(producer)
    size = path.stat().st_size
    thread = threading.Thread(target=producer.run_records, args=(shipper.records(),))
    started = time.perf_counter()
    thread.start()
    while True:
        marks = list(shipper.checkpoint.files.values())
        if marks and marks[0].offset >= size:
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    producer.request_stop()
    thread.join()
    shipper.close()
    return elapsed, producer.stats.sent, shipper.commits


def spool_rate(folder: Path, durability: Durability, count: int, per_append: int) -> float:
    """Records/s into a spool, `per_append` records per append call."""
    records = [to_record(r) for r in events(count)]
    spool = Spool(folder / f"spool-{durability}-{per_append}.ndjson", durability)
    started = time.perf_counter()
    for i in range(0, count, per_append):
        spool.append(records[i : i + per_append])
    spool.close()
    return count / (time.perf_counter() - started)


def run(smoke: bool = False) -> dict[str, Any]:
    count = 3_000 if smoke else 30_000
    rounds = 2 if smoke else 3
    rates: dict[str, list[float]] = {"produce": [], "shipper": []}
    commits = 0
    with tempfile.TemporaryDirectory() as tmp, local_kinesis(None, separate_process=True) as local:
        root = Path(tmp)
        client = local.client()
        source = root / "events.ndjson"
        source.write_bytes(b"".join(r + b"\n" for r in events(count)))
        ensure_stream(client, "bench-warm-up", shards=4)  # the first run must not pay for it
        Producer(client, ProducerConfig("bench-warm-up", rate=0, spool_path=root / "w")).run(
            events(1_000)
        )
        for round_ in range(rounds):
            for kind in ("produce", "shipper"):  # interleaved: drift hits both alike
                stream = f"bench-{kind}-{round_}"
                ensure_stream(client, stream, shards=4)
                work = root / f"{kind}-{round_}"
                work.mkdir()
                if kind == "produce":
                    seconds, sent = produce_input(client, stream, source, work / "spool")
                else:
                    seconds, sent, commits = ship(client, stream, source, work)
                assert sent == count, f"{kind} sent {sent} of {count}"
                rates[kind].append(count / seconds)
        one = 300 if smoke else 3_000
        batched = 2_000 if smoke else 30_000
        spool = {
            "flush_only_1": spool_rate(root, FLUSH_ONLY, one, 1),
            "batch_1": spool_rate(root, Durability(), one, 1),
            "100ms_1": spool_rate(root, Durability(0.1), one, 1),
            "flush_only_500": spool_rate(root, FLUSH_ONLY, batched, MAX_RECORDS_PER_CALL),
            "batch_500": spool_rate(root, Durability(), batched, MAX_RECORDS_PER_CALL),
        }
    produced, shipped = max(rates["produce"]), max(rates["shipper"])
    return {
        "stage": "shipper",
        "figures": [
            figure(
                "file shipper (--follow --checkpoint), as fast as possible",
                round(shipped),
                "records/s",
                "produce --input, same file and moto server",
                round(produced),
                at_least=TARGET_RATIO,
            ),
            figure(
                "spool, durability batch, 1 record per append (an outage)",
                round(spool["batch_1"]),
                "records/s",
                "flush only, no fsync",
                round(spool["flush_only_1"]),
            ),
            figure(
                "spool, durability 100ms, 1 record per append (an outage)",
                round(spool["100ms_1"]),
                "records/s",
                "flush only, no fsync",
                round(spool["flush_only_1"]),
            ),
            figure(
                "spool, durability batch, 500 records per append (a drain)",
                round(spool["batch_500"]),
                "records/s",
                "flush only, no fsync",
                round(spool["flush_only_500"]),
            ),
        ],
        "notes": (
            f"{count:,} records (~{source_bytes(count) // 1000:,} kB) per run, best of {rounds} "
            f"interleaved runs each; the shipper committed its checkpoint {commits:,} times "
            "(two fsynced writes per PutRecords call). An outage admits and spools records one "
            "at a time, so 'batch' durability pays one fsync per record there."
        ),
        "extra": {
            "records": count,
            "produce_input_per_s": [round(r) for r in rates["produce"]],
            "shipper_per_s": [round(r) for r in rates["shipper"]],
            "ratio": round(shipped / produced, 3),
            "spool_records_per_s": {k: round(v) for k, v in spool.items()},
        },
    }


def source_bytes(count: int) -> int:
    return sum(len(r) + 1 for r in events(min(count, 100))) * count // min(count, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run, checks that it works")
    result = run(parser.parse_args().smoke)
    for f in result["figures"]:
        print(f"{f['name']}: {f['value']:,} {f['unit']} vs {f['baseline_name']} "
              f"{f['baseline_value']:,}: {f['ratio']:.2f}x")  # fmt: skip
    print(result["notes"])


if __name__ == "__main__":
    main()
