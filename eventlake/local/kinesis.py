"""A local Kinesis Data Stream: a moto server on 127.0.0.1 with the stream created.

Used by `eventlake kinesis-local`, the demo, the tests and the benchmarks. Two modes:
in a thread of this process (`ThreadedMotoServer`, quick for tests) or as a separate
`moto_server` process (no GIL sharing with the producer, used by the demo and the
benchmarks). Both run moto with `eventlake.local.moto_server`'s patch, which makes a
Kinesis put cost O(1) instead of O(records in the shard).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eventlake.core.layout import DEFAULT_STREAM
from eventlake.ingest.aws_clients import DEFAULT_REGION, kinesis_client

# moto accepts any credentials; boto3 only needs some to sign requests.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def ensure_local_credentials() -> None:
    """Fake credentials for the emulator, unless real ones are already configured."""
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)


def ensure_stream(client: Any, stream: str, shards: int = 2, timeout_s: float = 30.0) -> None:
    """Create the stream if missing and wait until it is ACTIVE."""
    with contextlib.suppress(client.exceptions.ResourceInUseException):
        client.create_stream(StreamName=stream, ShardCount=shards)
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        if status["StreamStatus"] == "ACTIVE":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream {stream} not ACTIVE after {timeout_s:.0f} s")
        time.sleep(0.1)


def read_all_records(client: Any, stream: str) -> list[dict[str, Any]]:
    """Every record in every shard, from the beginning (tests and benchmarks read it back)."""
    found: list[dict[str, Any]] = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=10_000)
            found.extend(response["Records"])
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class LocalKinesis:
    """A running emulator and how to reach it."""

    endpoint_url: str
    region: str = DEFAULT_REGION
    _stop: Any = field(default=None, repr=False)

    def client(self) -> Any:
        return kinesis_client(self.endpoint_url, self.region)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def start_threaded(port: int = 0, host: str = "127.0.0.1") -> LocalKinesis:
    """moto in a daemon thread of this process; port 0 picks a free one."""
    from moto.server import ThreadedMotoServer

    from eventlake.local.moto_server import patch_kinesis_shards

    patch_kinesis_shards()
    ensure_local_credentials()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return LocalKinesis(f"http://{bound_host}:{bound_port}", _stop=server.stop)


def start_process(port: int = 0, host: str = "127.0.0.1", timeout_s: float = 30.0) -> LocalKinesis:
    """`moto_server` as a child process (its own interpreter, so no GIL sharing)."""
    ensure_local_credentials()
    port = port or free_port(host)
    proc = subprocess.Popen(
        [sys.executable, "-m", "eventlake.local.moto_server", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"moto_server did not start on {host}:{port}")
        time.sleep(0.05)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    return LocalKinesis(f"http://{host}:{port}", _stop=stop)


@contextlib.contextmanager
def local_kinesis(
    stream: str | None = DEFAULT_STREAM, shards: int = 2, separate_process: bool = False
) -> Iterator[LocalKinesis]:
    """Start an emulator (and create `stream` if given); stop it on exit."""
    local = start_process() if separate_process else start_threaded()
    try:
        if stream:
            ensure_stream(local.client(), stream, shards)
        yield local
    finally:
        local.stop()
