"""`eventlake produce`: send generated events, an NDJSON file or tailed files to Kinesis."""

from __future__ import annotations

import argparse
import glob
import os
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from eventlake.cli.args import iso_day
from eventlake.cli.console import live_stats, progress_lines, stop_on_signals
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
from eventlake.ingest.spool import Durability

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
            "With --checkpoint (and --follow) it ships files like a log shipper: offsets are "
            "committed only once every line before them was acknowledged, so a restart after "
            "any kill goes on where it stopped. The endpoint comes from --endpoint-url or "
            "AWS_ENDPOINT_URL."
        ),
        epilog=(
            "Shipping files: `--input 'logs/*.ndjson' --follow --checkpoint ship.json` tails "
            "every matching file, follows rotation (rename and create: the old file is "
            "finished, found again by inode after a restart; copytruncate: the unread rest "
            "is read from the copy) and never reads a line twice in one run. After a kill, "
            "the lines of the PutRecords call in flight (at most 500) may arrive twice; the "
            "next start prints how many at most, and the nightly job dedupes by event_uuid."
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
        "--input",
        default=None,
        help="NDJSON file to send (a glob with --checkpoint), or '-' for stdin: a crash then "
        "loses what was buffered (up to --buffer-records plus one call), as nothing can be "
        "read again; use a file with --checkpoint to resume instead (default: the generator)",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="keep reading --input as it grows, following rotation; needs --checkpoint",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        metavar="PATH",
        help="the shipper's checkpoint: per file its identity (device:inode, hash of the "
        "first line), the offset before which every line was acknowledged and the hash of "
        "the line there. A restart goes on from it; without --follow it stops at the end",
    )
    parser.add_argument(
        "--until-idle",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --follow: stop once no file grew for this long (after sending everything)",
    )
    parser.add_argument(
        "--durability",
        default="batch",
        metavar="batch|Nms",
        help="when spooled records are fsynced: 'batch' before each append returns (default), "
        "or at most every N ms, e.g. 100ms (faster in an outage; a power loss may then take "
        "up to N ms of spooled records, a killed process none). Costs: docs/runbook.md",
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
    parser.add_argument(
        "--progress",
        action="store_true",
        help="print `eventlake-progress {json}` lines with the stats twice a second (for tools)",
    )
    add_fault_arguments(parser)
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    if args.rate < 0:
        raise UsageError("--rate must be >= 0 (0 = as fast as possible)")
    if args.total is not None and args.total < 0:
        raise UsageError("--total must be >= 0")
    if args.buffer_records < 1:
        raise UsageError("--buffer-records must be >= 1")
    shipping = bool(args.checkpoint or args.follow)
    if shipping:
        _check_shipping_args(args)
    elif args.input and args.input != "-" and not Path(args.input).is_file():
        raise UsageError(f"--input {args.input}: no such file")
    if args.replay_speed is not None and (args.input or args.replay_speed <= 0):
        raise UsageError("--replay-speed must be > 0 and works with the generator only")
    try:
        durability = Durability.parse(args.durability)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    config = ProducerConfig(
        stream=args.stream,
        rate=0.0 if args.replay_speed else args.rate,
        # A replay must not batch away its timing: the linger shows up multiplied by the speed.
        linger_s=min(0.1, REPLAY_LINGER_SIM_S / args.replay_speed) if args.replay_speed else 0.1,
        spool_path=args.spool,
        buffer_records=args.buffer_records,
        spool_after_s=args.spool_after,
        drain_timeout_s=args.drain_timeout,
        durability=durability,
    )
    producer = Producer(kinesis_client(args.endpoint_url, args.region), config)
    if shipping:
        return _ship(producer, args)
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
        with (
            stop_on_signals(producer.request_stop),
            live_stats(producer.stats, args.quiet),
            progress_lines(producer.stats, args.progress),
        ):
            producer.run(source)
    finally:
        if ledger is not None:
            ledger.close()
    return _report(producer, args.summary_json)


def _check_shipping_args(args: argparse.Namespace) -> None:
    if not args.input or args.input == "-":
        raise UsageError("--follow and --checkpoint need --input FILE (or a glob), not stdin")
    if args.follow and not args.checkpoint:
        raise UsageError(
            "--follow needs --checkpoint PATH: without one a restart sends it all again"
        )
    if args.until_idle is not None and (not args.follow or args.until_idle <= 0):
        raise UsageError("--until-idle must be > 0 and goes with --follow")
    if not args.follow and not glob.glob(args.input) and not Path(args.input).is_file():
        raise UsageError(f"--input {args.input}: no such file")


def _ship(producer: Producer, args: argparse.Namespace) -> int:
    from eventlake.ingest.shipper import FileShipper

    try:
        shipper = FileShipper(args.input, args.checkpoint, args.follow, args.until_idle)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    shipper.attach(producer)
    if shipper.possible_duplicates:
        print(
            f"resuming after an unclean stop: up to {shipper.possible_duplicates} records after "
            "the checkpoint's offsets were already sent and may arrive twice "
            "(the nightly job dedupes by event_uuid)",
            flush=True,
        )
    try:
        with stop_on_signals(producer.request_stop), live_stats(producer.stats, args.quiet):
            producer.run_records(limited(shipper.records(), args.total))
    finally:
        shipper.close()
    producer.stats.blank_lines = shipper.tailer.blank_lines
    for note in shipper.tailer.notes:
        print(f"  note: {note}")
    committed = shipper.committed()
    for mark in committed.values():
        print(f"  checkpoint {mark.path}: offset {mark.offset:,}")
    extra = {
        "shipper": {
            "possible_duplicates_from_previous_run": shipper.possible_duplicates,
            "checkpoint": str(args.checkpoint),
            "files": [
                {"path": m.path, "key": m.key, "offset": m.offset} for m in committed.values()
            ],
            "notes": shipper.tailer.notes,
        }
    }
    return _report(producer, args.summary_json, extra)


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


def _report(
    producer: Producer, summary_json: Path | None, extra: dict[str, Any] | None = None
) -> int:
    stats = producer.stats
    print(f"produce {producer.config.stream}: {stats.line()} in {stats.elapsed_s:.1f} s")
    if stats.spooled:
        print(f"  spooled records wait in {producer.spool.path}; the next run replays them first")
    if stats.rejected:
        print(f"  {stats.rejected} record(s) over 1 MiB written to {producer.spool.rejected_path}")
    if summary_json:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary = stats.as_dict() | {
            "spool_files": [str(p) for p in producer.spool.pending_files()],
            "durability": str(producer.config.durability),
            **(extra or {}),
        }
        summary_json.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    if producer.fatal:
        print(f"produce: error: {producer.fatal}", file=sys.stderr)
        return 1
    return 0
