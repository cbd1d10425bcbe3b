"""`eventlake firehose-local`: deliver a Kinesis stream to raw storage as Firehose does."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from eventlake.cli.args import iso_day
from eventlake.cli.console import live_stats, progress_lines, stop_on_signals
from eventlake.core import layout
from eventlake.core.errors import UsageError
from eventlake.ingest.aws_clients import kinesis_client
from eventlake.local.firehose import (
    DaySimulation,
    DeliveryConfig,
    FirehoseLocal,
    default_checkpoint_path,
)
from eventlake.local.replay import load_replay_ledger


def add_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "firehose-local",
        help="deliver a Kinesis stream to raw storage like Firehose (transform, buffer, gzip)",
        description=(
            "Read a Kinesis stream shard by shard, run the transform handler on each record, "
            "buffer by size and interval, and write gzip NDJSON objects under the Firehose "
            "prefix (events/yyyy/MM/dd/HH/{stream}-1-yyyy-MM-dd-HH-mm-ss-{uuid}.gz, timestamped "
            "with the oldest record's arrival). ProcessingFailed records go to "
            "errors/processing-failed/... in Firehose's error-record format. Progress is "
            "checkpointed per shard after each write (at-least-once)."
        ),
        epilog=(
            "Simulating a past day: --simulate-day D maps each record's real Kinesis arrival "
            "time to D 00:00 UTC + --simulate-offset + (arrival - first arrival) * "
            "--simulate-speed. The transform validates against, and object keys use, that "
            "simulated arrival. Pair it with `eventlake produce --replay-speed X`, which sends "
            "each generated event at its intended arrival on a clock X times faster: use "
            "--simulate-speed X and the --simulate-offset it prints. The buffer interval also "
            "applies to simulated arrivals: an object never spans more than --buffer-seconds."
        ),
    )
    parser.add_argument("--stream", required=True, help="Kinesis stream to read")
    parser.add_argument("--raw", required=True, help="raw storage URI: a folder, file:// or s3://")
    parser.add_argument(
        "--delivery-stream", default=None, help="name used in object keys (default: --stream)"
    )
    parser.add_argument(
        "--endpoint-url", default=None, help="Kinesis endpoint (default: AWS_ENDPOINT_URL)"
    )
    parser.add_argument("--region", default=None, help="AWS region (default: AWS_DEFAULT_REGION)")
    parser.add_argument(
        "--buffer-mb",
        type=float,
        default=5.0,
        help="flush after this many MB (default %(default)s)",
    )
    parser.add_argument(
        "--buffer-seconds",
        type=float,
        default=60.0,
        help="flush after this many seconds (default %(default)s)",
    )
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between polls of an empty stream"
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="checkpoint file (default: beside the raw folder)",
    )
    parser.add_argument(
        "--until-idle",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop once the stream was empty this long (after flushing)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop after this many seconds (after flushing)",
    )
    parser.add_argument(
        "--simulate-day",
        type=iso_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="map arrival times onto this day (see below)",
    )
    parser.add_argument(
        "--simulate-speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default %(default)s)",
    )
    parser.add_argument(
        "--simulate-offset",
        type=float,
        default=0.0,
        help="simulated seconds after 00:00 of the first record",
    )
    parser.add_argument(
        "--simulate-ledger",
        type=Path,
        default=None,
        metavar="FILE",
        help="the producer's --replay-ledger file: each listed record gets its intended "
        "arrival (exact even when the producer fell behind its schedule); others are mapped "
        "with --simulate-anchor/-offset/-speed",
    )
    parser.add_argument(
        "--simulate-anchor",
        type=float,
        default=None,
        metavar="EPOCH_S",
        help="the real time (Unix seconds) that maps to --simulate-offset; default: the "
        "earliest arrival seen. Give the producer's --replay-start, so records that were "
        "sent late map late instead of shifting everything",
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
    parser.set_defaults(func=run_command)


def config_from_args(args: argparse.Namespace) -> DeliveryConfig:
    if args.buffer_mb <= 0 or args.buffer_seconds <= 0 or args.poll_interval < 0:
        raise UsageError("--buffer-mb and --buffer-seconds must be > 0, --poll-interval >= 0")
    simulation = None
    if args.simulate_day:
        day = args.simulate_day
        if args.simulate_speed <= 0:
            raise UsageError("--simulate-speed must be > 0")
        anchor_ms = None if args.simulate_anchor is None else int(args.simulate_anchor * 1000)
        ledger = load_replay_ledger(args.simulate_ledger) if args.simulate_ledger else None
        simulation = DaySimulation(
            day, args.simulate_speed, args.simulate_offset, anchor_ms, ledger or None
        )
    raw_uri = layout.normalize_uri(args.raw)
    delivery_stream = args.delivery_stream or args.stream
    return DeliveryConfig(
        stream=args.stream,
        raw_uri=raw_uri,
        delivery_stream=delivery_stream,
        checkpoint_path=args.checkpoint or default_checkpoint_path(raw_uri, delivery_stream),
        buffer_bytes=int(args.buffer_mb * 1024 * 1024),
        buffer_seconds=args.buffer_seconds,
        poll_interval_s=args.poll_interval,
        simulation=simulation,
    )


def run_command(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    client = kinesis_client(args.endpoint_url, args.region)
    try:
        client.describe_stream_summary(StreamName=config.stream)
    except client.exceptions.ResourceNotFoundException as exc:
        raise UsageError(f"stream {config.stream!r} does not exist") from exc
    worker = FirehoseLocal(client, config)
    with (
        stop_on_signals(worker.stop.set),
        live_stats(worker.stats, args.quiet),
        progress_lines(worker.stats, args.progress),
    ):
        stats = worker.run(until_idle_s=args.until_idle, max_seconds=args.max_seconds)
    print(f"firehose-local {config.stream} -> {config.raw_uri}: {stats.line()}")
    if stats.reasons:
        top = ", ".join(f"{reason} {count}" for reason, count in stats.reasons.most_common(5))
        print(f"  processing-failed reasons: {top}")
    print(f"  checkpoint: {config.checkpoint_path}")
    if args.summary_json:
        args.summary_json.parent.mkdir(parents=True, exist_ok=True)
        args.summary_json.write_bytes(orjson.dumps(stats.as_dict(), option=orjson.OPT_INDENT_2))
    return 0
