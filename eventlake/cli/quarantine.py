"""`eventlake quarantine replay`: repair run D's quarantined records and produce them again."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from eventlake.cli.args import iso_day
from eventlake.cli.console import live_stats, stop_on_signals
from eventlake.core.contract import QUARANTINE_REASONS
from eventlake.core.errors import UsageError
from eventlake.ingest.producer import Producer, ProducerConfig
from eventlake.tools import quarantine_replay as replay
from eventlake.tools.quarantine_replay import BUILT_IN_FIXES

DEFAULT_SPOOL = Path(".local/quarantine-replay/spool.ndjson")


def add_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "quarantine",
        help="work with quarantined records (replay them, repaired, into the stream)",
        description="Commands on the quarantine the nightly job writes.",
    )
    commands = parser.add_subparsers(dest="quarantine_command", metavar="COMMAND", required=True)
    fixes = "; ".join(f"{name}: {fix.__doc__}" for name, fix in BUILT_IN_FIXES.items())
    p = commands.add_parser(
        "replay",
        help="repair run D's quarantined records and produce them into the stream again",
        description=replay.__doc__.split("\n\n", 1)[1].replace("\n", " "),
        epilog=f"Built-in repairs (by default each record gets the one named after its "
        f"reason): {fixes}. A user repair `--fix mymodule:repair` is a function that gets "
        "the event as a dict and returns the repaired dict, or None to leave it quarantined.",
    )
    p.add_argument(
        "--run-date", type=iso_day, required=True, help="the run D whose quarantine to read"
    )
    p.add_argument(
        "--quarantine", required=True, help="quarantine location: folder, file:// or s3://"
    )
    p.add_argument(
        "--reason",
        choices=QUARANTINE_REASONS,
        default=None,
        metavar="REASON",
        help="only this reason",
    )
    p.add_argument(
        "--fix",
        default=None,
        metavar="NAME|module:function",
        help="apply this repair to every selected record (default: the built-in for its reason)",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    p.add_argument(
        "--stream", default=None, help="Kinesis stream to produce into (not needed with --dry-run)"
    )
    p.add_argument(
        "--endpoint-url", default=None, help="Kinesis endpoint (default: AWS_ENDPOINT_URL)"
    )
    p.add_argument("--region", default=None, help="AWS region (default: AWS_DEFAULT_REGION)")
    p.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        help="events per second, 0 = as fast as possible (default %(default)g: one shard's limit)",
    )
    p.add_argument(
        "--spool",
        type=Path,
        default=Path(os.environ.get("EVENTLAKE_REPLAY_SPOOL", DEFAULT_SPOOL)),
        help="the producer's spool for an outage (default %(default)s)",
    )
    p.add_argument(
        "--summary-json", type=Path, default=None, help="also write what was decided here"
    )
    p.add_argument("--quiet", action="store_true", help="no live stats")
    p.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    if not args.dry_run and not args.stream:
        raise UsageError("--stream is required unless --dry-run")
    if args.rate < 0:
        raise UsageError("--rate must be >= 0 (0 = as fast as possible)")
    records = replay.read_quarantine(args.quarantine, args.run_date, args.reason)
    uri = replay.quarantine_run_uri(args.quarantine, args.run_date)
    decisions = replay.plan(records, args.fix)
    to_send = [d for d in decisions if d.send]
    selected = f", reason {args.reason}" if args.reason else ""
    print(f"quarantine replay run_date={args.run_date}{selected}: {len(records):,} rows in {uri}")
    for line in replay.summary_lines(decisions):
        print(line)
    summary: dict[str, Any] = {
        "run_date": args.run_date.isoformat(),
        "rows": len(records),
        "send": len(to_send),
        "stay": len(decisions) - len(to_send),
        # the uuids as sent (a bad_uuid repair changes the uuid itself)
        "uuids": [orjson.loads(d.data)["event_uuid"] for d in to_send],
        "dry_run": args.dry_run,
    }
    code = 0
    if args.dry_run or not to_send:
        print(f"{'dry run: ' if args.dry_run else ''}nothing sent")
    else:
        code = _produce([d.data for d in to_send], args, summary)
    if args.summary_json:
        args.summary_json.parent.mkdir(parents=True, exist_ok=True)
        args.summary_json.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return code


def _produce(data: list[bytes], args: argparse.Namespace, summary: dict[str, Any]) -> int:
    from eventlake.ingest.aws_clients import kinesis_client

    config = ProducerConfig(stream=args.stream, rate=args.rate, spool_path=args.spool)
    producer = Producer(kinesis_client(args.endpoint_url, args.region), config)
    with stop_on_signals(producer.request_stop), live_stats(producer.stats, args.quiet):
        stats = producer.run(data)
    summary["producer"] = stats.as_dict()
    print(f"sent to {args.stream}: {stats.line()}")
    print("  they arrive now: the next nightly run writes them as late events of their event_date")
    if stats.spooled:
        print(
            f"  {stats.spooled:,} spooled in {producer.spool.path}: the next replay sends them first"
        )
    if producer.fatal:
        print(f"quarantine replay: error: {producer.fatal}", file=sys.stderr)
        return 1
    return 0
