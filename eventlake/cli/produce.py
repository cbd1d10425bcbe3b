"""`eventlake produce`: send generated events or an NDJSON file to Kinesis, losing none."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from eventlake.cli.args import iso_day
from eventlake.cli.console import live_stats, stop_on_signals
from eventlake.cli.generate import add_fault_arguments, fault_mix_from_args
from eventlake.core.errors import UsageError
from eventlake.ingest.aws_clients import kinesis_client
from eventlake.ingest.producer import (
    DEFAULT_RATE,
    DEFAULT_SPOOL,
    Producer,
    ProducerConfig,
    file_source,
    limited,
)

REPLAY_LINGER_SIM_S = 20.0  # in a replay, a batch waits at most this much simulated time
DEFAULT_GENERATED = 1_000_000  # events the generator makes when --total is not given


def add_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "produce",
        help="send events to a Kinesis stream (PutRecords, retries, spool: nothing lost)",
        description=(
            "Send generated events (or NDJSON from --input) to a Kinesis stream. Batches of "
            "<=500 records / 5 MiB, partition key = event_uuid, smooth pacing at --rate. Only "
            "failed records are retried (exponential backoff, full jitter). A long outage and "
            "SIGINT/SIGTERM spool unsent records to --spool; the next start replays it first. "
            "The endpoint comes from --endpoint-url or AWS_ENDPOINT_URL."
        ),
    )
    parser.add_argument("--stream", required=True, help="Kinesis stream name")
    parser.add_argument("--endpoint-url", default=None, help="e.g. http://127.0.0.1:4566 (moto)")
    parser.add_argument("--region", default=None, help="AWS region (default: AWS_DEFAULT_REGION)")
    parser.add_argument(
        "--rate",
        type=float,
        default=float(os.environ.get("EVENTLAKE_PRODUCE_RATE", DEFAULT_RATE)),
        help="events per second, 0 = as fast as possible (default 1M/h = %(default).1f)",
    )
    parser.add_argument("--total", type=int, default=None, help="stop after N events")
    parser.add_argument(
        "--input", default=None, help="NDJSON file to send, '-' for stdin (default: the generator)"
    )
    parser.add_argument(
        "--date", type=iso_day, default=None, help="generator: the day of the events (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="generator: random seed (default %(default)s)"
    )
    parser.add_argument(
        "--replay-speed",
        type=float,
        default=None,
        help=(
            "generator: instead of --rate, send each event at its intended arrival time, "
            "on a clock this many times faster (e.g. 1440: a day in a minute). Pair with "
            "firehose-local --simulate-day/--simulate-speed to land events in that day."
        ),
    )
    parser.add_argument(
        "--replay-start",
        type=float,
        default=None,
        metavar="EPOCH_S",
        help="with --replay-speed: start the schedule at this wall-clock time (Unix seconds); "
        "give firehose-local the same value as --simulate-anchor",
    )
    parser.add_argument(
        "--replay-ledger",
        type=Path,
        default=None,
        metavar="FILE",
        help="with --replay-speed: write each sent record's shard, sequence number and "
        "intended arrival here; give it to firehose-local as --simulate-ledger so events keep "
        "their intended arrival even if sending lags",
    )
    parser.add_argument(
        "--spool",
        type=Path,
        default=Path(os.environ.get("EVENTLAKE_PRODUCER_SPOOL", DEFAULT_SPOOL)),
        help="spool file for records that could not be sent (default %(default)s)",
    )
    parser.add_argument("--buffer-records", type=int, default=10_000, help="in-memory buffer bound")
    parser.add_argument(
        "--spool-after",
        type=float,
        default=5.0,
        help="seconds a full buffer may block before spooling",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=10.0,
        help="on stop, seconds without progress before the rest is spooled",
    )
    parser.add_argument(
        "--summary-json", type=Path, default=None, help="also write the final stats here"
    )
    parser.add_argument("--quiet", action="store_true", help="no live stats")
    add_fault_arguments(parser)
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    if args.rate < 0:
        raise UsageError("--rate must be >= 0 (0 = as fast as possible)")
    if args.total is not None and args.total < 0:
        raise UsageError("--total must be >= 0")
    if args.buffer_records < 1:
        raise UsageError("--buffer-records must be >= 1")
    if args.input and args.input != "-" and not Path(args.input).is_file():
        raise UsageError(f"--input {args.input}: no such file")
    if args.replay_speed is not None and (args.input or args.replay_speed <= 0):
        raise UsageError("--replay-speed must be > 0 and works with the generator only")
    config = ProducerConfig(
        stream=args.stream,
        rate=0.0 if args.replay_speed else args.rate,
        # A replay must not batch away its timing: the linger shows up multiplied by the speed.
        linger_s=min(0.1, REPLAY_LINGER_SIM_S / args.replay_speed) if args.replay_speed else 0.1,
        spool_path=args.spool,
        buffer_records=args.buffer_records,
        spool_after_s=args.spool_after,
        drain_timeout_s=args.drain_timeout,
    )
    producer = Producer(kinesis_client(args.endpoint_url, args.region), config)
    ledger = None
    if args.replay_speed and args.replay_ledger:
        from eventlake.local.replay import ReplayLedger

        ledger = ReplayLedger(args.replay_ledger)
        producer.on_sent = ledger.sent
    if args.input:
        source = limited(file_source(args.input, producer.stats), args.total)
    elif args.replay_speed:
        from eventlake.local.replay import paced_by_arrival

        records = generated_records(args)
        source = paced_by_arrival(
            records,
            args.replay_speed,
            producer.clock,
            producer.stop_requested,
            _announce_replay,
            start_at_epoch_s=args.replay_start,
            replay_ledger=ledger,
        )
    else:
        source = limited((data for _, data in generated_records(args)), args.total)
    try:
        with stop_on_signals(producer.request_stop), live_stats(producer.stats, args.quiet):
            producer.run(source)
    finally:
        if ledger is not None:
            ledger.close()
    return _report(producer, args.summary_json)


def generated_records(args: argparse.Namespace) -> Iterator[tuple[float, bytes]]:
    """(intended arrival, raw record) from the seeded generator, in arrival order."""
    from eventlake.tools.generator import DaySpec, iter_day_records

    day = args.date or date.today()
    spec = DaySpec(
        day=day,
        events=args.total or DEFAULT_GENERATED,
        seed=args.seed,
        faults=fault_mix_from_args(args),
    )
    return iter_day_records(spec)


def _announce_replay(first_arrival: float) -> None:
    moment = datetime.fromtimestamp(first_arrival, UTC)
    offset = first_arrival - datetime(moment.year, moment.month, moment.day, tzinfo=UTC).timestamp()
    print(
        f"replaying from intended arrival {moment:%Y-%m-%d %H:%M:%S} UTC "
        f"(firehose-local --simulate-offset {offset:.0f})",
        flush=True,
    )


def _report(producer: Producer, summary_json: Path | None) -> int:
    stats = producer.stats
    print(f"produce {producer.config.stream}: {stats.line()} in {stats.elapsed_s:.1f} s")
    if stats.spooled:
        print(f"  spooled records wait in {producer.spool.path}; the next run replays them first")
    if stats.rejected:
        print(f"  {stats.rejected} record(s) over 1 MiB written to {producer.spool.rejected_path}")
    if summary_json:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary = stats.as_dict() | {
            "spool_files": [str(p) for p in producer.spool.pending_files()]
        }
        summary_json.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    if producer.fatal:
        print(f"produce: error: {producer.fatal}", file=sys.stderr)
        return 1
    return 0
