"""Generator speed: events/s of a synthetic Firehose day against a bare build-and-gzip loop.

The baseline is the least a generator can do per event, measured in the same run: build a
dict with a fresh uuid4 and a padding field so it is as large as the generator's mean record,
serialise it with orjson and gzip the lines (level 1, as the generator does). The ratio says
how much the generator's fault planting, diurnal curve and Firehose object cutting cost.
It also measures the raw gzip ratio and mean record size the capacity planner uses.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from figures import figure

from eventlake.tools.generator import DaySpec, FaultMix, iter_day_records, write_firehose_day

DAY = date(2026, 11, 2)
OBJECT_RECORDS = 5_000  # records per gzip member in the baseline, about one generator object


def _spec(events: int) -> DaySpec:
    # No 1 MB record_too_large records: they would distort the mean size and the gzip ratio.
    return DaySpec(day=DAY, events=events, faults=replace(FaultMix(), too_large_rate=0.0))


def baseline_records(n: int, record_bytes: int, compress: bool) -> float:
    """Seconds for the bare loop over n records of about record_bytes each."""
    skeleton = orjson.dumps(
        {"event_uuid": str(uuid.uuid4()), "event_name": "payment:order:completed", "created_at": 0}
    )
    pad = "x" * max(0, record_bytes - len(skeleton) - 10)
    started = time.perf_counter()
    lines: list[bytes] = []
    for i in range(n):
        record = {
            "event_uuid": str(uuid.uuid4()),
            "event_name": "payment:order:completed",
            "created_at": 1_700_000_000 + i,
            "pad": pad,
        }
        lines.append(orjson.dumps(record))
        if compress and len(lines) == OBJECT_RECORDS:
            gzip.compress(b"\n".join(lines) + b"\n", 1, mtime=0)
            lines = []
    if compress and lines:
        gzip.compress(b"\n".join(lines) + b"\n", 1, mtime=0)
    return time.perf_counter() - started


def raw_sizes(root: Path) -> tuple[int, int, int]:
    """(gzip bytes, JSON bytes, records) over the raw objects under root."""
    packed = unpacked = records = 0
    for obj in root.rglob("*.gz"):
        body = obj.read_bytes()
        text = gzip.decompress(body)
        packed += len(body)
        unpacked += len(text)
        records += text.count(b"\n")
    return packed, unpacked, records


def measure_write(events: int, workers: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-generator-"))
    try:
        started = time.perf_counter()
        truth = write_firehose_day(_spec(events), str(tmp), workers=workers)
        seconds = time.perf_counter() - started
        packed, unpacked, lines = raw_sizes(tmp / "events")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "records": truth["raw_records"],
        "objects": truth["objects"],
        "seconds": seconds,
        "events_per_s": truth["raw_records"] / seconds,
        "gzip_bytes": packed,
        "json_bytes": unpacked,
        "mean_record_bytes": unpacked / max(lines, 1) - 1,  # minus the newline
    }


def measure_iter(events: int) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(1 for _ in iter_day_records(_spec(events)))
    return time.perf_counter() - started, count


def run(smoke: bool) -> dict[str, Any]:
    events = 20_000 if smoke else 1_000_000
    one = measure_write(events, workers=1)
    record_bytes = round(one["mean_record_bytes"])
    base_gz_s = baseline_records(one["records"], record_bytes, compress=True)
    iter_s, iter_count = measure_iter(events)
    base_iter_s = baseline_records(iter_count, record_bytes, compress=False)
    figures = [
        figure(
            "write_firehose_day, 1 worker",
            one["events_per_s"],
            "events/s",
            "bare uuid4+orjson+gzip loop",
            one["records"] / base_gz_s,
        ),
        figure(
            "iter_day_records (no gzip, no files)",
            iter_count / iter_s,
            "events/s",
            "bare uuid4+orjson loop",
            iter_count / base_iter_s,
        ),
    ]
    two = None
    if not smoke:
        two = measure_write(events * 2, workers=2)
        figures.append(
            figure(
                "write_firehose_day, 2 workers",
                two["events_per_s"],
                "events/s",
                "1 worker, same run",
                one["events_per_s"],
            )
        )
    gzip_ratio = one["gzip_bytes"] / one["json_bytes"]
    return {
        "stage": "generator",
        "figures": figures,
        "notes": f"{one['records']:,} records in {one['objects']:,} objects, mean record "
        f"{record_bytes} B, gzip level 1 keeps {gzip_ratio:.3f} of the JSON bytes. "
        "Baseline records are padded to the same mean size.",
        "extra": {
            "events": events,
            "mean_record_bytes": one["mean_record_bytes"],
            "raw_gzip_ratio": gzip_ratio,
            "one_worker": one,
            "two_workers": two,
        },
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(smoke="--smoke" in sys.argv), indent=2))
