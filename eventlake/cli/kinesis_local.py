"""`eventlake kinesis-local`: a local Kinesis endpoint (a moto server) with the stream."""

from __future__ import annotations

import argparse
import signal
import time
from typing import Any

from eventlake.core.errors import UsageError
from eventlake.core.layout import DEFAULT_STREAM
from eventlake.local.kinesis import LOCAL_CREDENTIALS, ensure_stream, start_threaded


def add_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "kinesis-local",
        help="run a local Kinesis (moto server on 127.0.0.1) with the event stream created",
        description=(
            "Start a moto server on 127.0.0.1, create the stream and keep serving until "
            "Ctrl-C. Point the producer and firehose-local at it with --endpoint-url or "
            "AWS_ENDPOINT_URL."
        ),
    )
    parser.add_argument(
        "--stream", default=DEFAULT_STREAM, help="stream to create (default %(default)s)"
    )
    parser.add_argument("--shards", type=int, default=2, help="shard count (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=4566, help="port, 0 = any free (default %(default)s)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default %(default)s)")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    if args.shards < 1:
        raise UsageError("--shards must be at least 1")
    try:
        local = start_threaded(port=args.port, host=args.host)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}") from exc
    try:
        ensure_stream(local.client(), args.stream, args.shards)
        print(
            f"local Kinesis at {local.endpoint_url}, stream {args.stream!r} ({args.shards} shards)"
        )
        print(f"  export AWS_ENDPOINT_URL={local.endpoint_url}")
        for name, value in LOCAL_CREDENTIALS.items():
            print(f"  export {name}={value}")
        print("serving until Ctrl-C or SIGTERM")
        _wait_for_signal()
    finally:
        local.stop()
    print("local Kinesis stopped")
    return 0


def _wait_for_signal() -> None:
    stopping = []

    def handle(signum: int, frame: Any) -> None:
        stopping.append(signum)

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        while not stopping:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
