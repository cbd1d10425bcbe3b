"""Transform handler throughput against bare JSON loops on the same records, in the same run."""

from __future__ import annotations

import argparse
import base64
import random
import time
from typing import Any

import orjson

from eventlake.generator import make_event
from eventlake.transform import transform_event

TARGET_RECORDS_PER_S = 100_000
TARGET_RATIO = 0.5


def firehose_batches(count: int, batch: int = 500) -> list[dict[str, Any]]:
    """Realistic events from the generator's catalog, in Firehose-sized invocations."""
    rng = random.Random(7)
    now = time.time()
    records = []
    for index in range(count):
        raw = orjson.dumps(make_event(rng, now - rng.random() * 3600))
        records.append(
            {
                "recordId": f"{index:056d}",
                "approximateArrivalTimestamp": int(now * 1000),
                "data": base64.b64encode(raw).decode(),
            }
        )
    return [{"records": records[i : i + batch]} for i in range(0, count, batch)]


def bare_parse_serialize(batches: list[dict[str, Any]]) -> float:
    raws = [base64.b64decode(r["data"]) for b in batches for r in b["records"]]
    started = time.perf_counter()
    for raw in raws:
        orjson.dumps(orjson.loads(raw))
    return time.perf_counter() - started


def bare_lambda_loop(batches: list[dict[str, Any]]) -> float:
    """The least a transform Lambda can do: decode, parse, serialize, encode, answer."""
    started = time.perf_counter()
    for event in batches:
        out = []
        for r in event["records"]:
            line = orjson.dumps(orjson.loads(base64.b64decode(r["data"]))) + b"\n"
            out.append(
                {"recordId": r["recordId"], "result": "Ok", "data": base64.b64encode(line).decode()}
            )
    return time.perf_counter() - started


def handler(batches: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for event in batches:
        transform_event(event)
    return time.perf_counter() - started


def best_of(fn: Any, batches: list[dict[str, Any]], repeats: int) -> float:
    return min(fn(batches) for _ in range(repeats))


def run(smoke: bool = False) -> dict[str, Any]:
    count = 5_000 if smoke else 100_000
    repeats = 1 if smoke else 3
    batches = firehose_batches(count)
    handler_s = best_of(handler, batches, repeats)
    parse_s = best_of(bare_parse_serialize, batches, repeats)
    lambda_s = best_of(bare_lambda_loop, batches, repeats)
    handler_rate = count / handler_s
    return {
        "name": "transform",
        "records": count,
        "handler_records_per_s": round(handler_rate),
        "bare_parse_serialize_per_s": round(count / parse_s),
        "bare_lambda_loop_per_s": round(count / lambda_s),
        "ratio_vs_bare_parse_serialize": round(parse_s / handler_s, 3),
        "ratio_vs_bare_lambda_loop": round(lambda_s / handler_s, 3),
        "target_records_per_s": TARGET_RECORDS_PER_S,
        "target_ratio": TARGET_RATIO,
        "meets_rate_target": handler_rate >= TARGET_RECORDS_PER_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny run, checks that it works")
    result = run(parser.parse_args().smoke)
    print(
        f"transform handler: {result['handler_records_per_s']:,} records/s on one core "
        f"(target >= {TARGET_RECORDS_PER_S:,})\n"
        f"  vs bare orjson parse+serialize ({result['bare_parse_serialize_per_s']:,}/s): "
        f"{result['ratio_vs_bare_parse_serialize']:.2f}x (target >= {TARGET_RATIO})\n"
        f"  vs bare Lambda loop, b64+parse+serialize+b64 ({result['bare_lambda_loop_per_s']:,}/s): "
        f"{result['ratio_vs_bare_lambda_loop']:.2f}x"
    )


if __name__ == "__main__":
    main()
