"""`eventlake capacity`: shards, buffers, workers and the monthly bill for a load."""

from __future__ import annotations

import argparse
import json

from eventlake.tools.capacity import (
    GLUE_WORKERS,
    PlanInput,
    load_rates,
    plan,
    render,
    validate_input,
)


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "capacity",
        help="size shards, Firehose buffers, Glue workers and the monthly bill for a load",
        description="Plan capacity and monthly cost (us-east-1 list prices) for a load, from AWS "
        "limits and per-core rates measured by the benchmarks.",
    )
    p.add_argument("--eps", type=float, required=True, help="average events per second")
    p.add_argument("--peak-eps", type=float, help="peak events per second (default: 2x average)")
    p.add_argument(
        "--event-bytes", type=int, required=True, help="average event size in bytes (JSON)"
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument(
        "--rates", help="measured rates file (default: eventlake/tools/measured_rates.json)"
    )
    p.add_argument(
        "--buffer-mb", type=float, default=128.0, help="Firehose buffer size (1-128 MiB)"
    )
    p.add_argument("--buffer-seconds", type=int, default=300, help="Firehose interval (0-900 s)")
    p.add_argument("--kinesis-mode", default="auto", choices=("auto", "provisioned", "on-demand"))
    p.add_argument("--glue-worker-type", default="G.1X", choices=tuple(GLUE_WORKERS))
    p.add_argument("--lambda-memory-mb", type=int, default=512)
    p.set_defaults(func=run_capacity)


def run_capacity(args: argparse.Namespace) -> int:
    inp = PlanInput(
        eps_avg=args.eps,
        eps_peak=args.peak_eps,
        event_bytes=args.event_bytes,
        buffer_mb=args.buffer_mb,
        buffer_s=args.buffer_seconds,
        kinesis_mode=args.kinesis_mode,
        glue_worker_type=args.glue_worker_type,
        lambda_memory_mb=args.lambda_memory_mb,
    )
    validate_input(inp)
    result = plan(inp, load_rates(args.rates))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    from rich.console import Console

    console = Console(width=max(Console().width, 110))
    render(result, console)
    console.print(
        f"[bold]summary[/]: {result['kinesis']['shards']} shard(s) {result['kinesis']['mode']}, "
        f"{result['firehose']['objects_per_day']:,} raw objects/day, "
        f"{result['glue']['workers']} Glue workers, ${result['cost']['monthly_usd_total']:,.0f}/month"
    )
    return 0
