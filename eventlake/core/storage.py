"""Small object-store API over `file://` folders and `s3://` buckets, for Python-side I/O.

Spark does its own I/O; this serves the generator, firehose-local, reports and catalog code.
S3 access uses boto3, which honours AWS_ENDPOINT_URL (a moto server locally).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from functools import cache
from typing import Any

from eventlake.core.layout import is_s3, join_uri, local_path, normalize_uri, split_s3


@cache
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


def write_bytes(uri: str, data: bytes, content_type: str | None = None) -> None:
    """Write an object atomically (a local write goes through a temp file and a rename).

    `content_type` is S3's Content-Type (a page opened from S3 needs text/html)."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        extra = {"ContentType": content_type} if content_type else {}
        _s3().put_object(Bucket=bucket, Key=key, Body=data, **extra)
        return
    path = local_path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def read_bytes(uri: str) -> bytes:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        return _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    return local_path(uri).read_bytes()


def exists(uri: str) -> bool:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        resp = _s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return resp.get("KeyCount", 0) > 0
    return local_path(uri).exists()


def list_uris(prefix_uri: str) -> Iterator[str]:
    """Every object below a prefix (recursively), as URIs, in key order. Hidden files skipped."""
    if is_s3(prefix_uri):
        bucket, key = split_s3(prefix_uri)
        paginator = _s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=key.rstrip("/") + "/"):
            for obj in page.get("Contents", []):
                yield f"s3://{bucket}/{obj['Key']}"
        return
    root = local_path(prefix_uri)
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if not any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
            yield normalize_uri(str(path))


def delete_prefix(prefix_uri: str) -> None:
    if is_s3(prefix_uri):
        bucket = split_s3(prefix_uri)[0]
        keys = [{"Key": split_s3(u)[1]} for u in list_uris(prefix_uri)]
        for i in range(0, len(keys), 1000):
            _s3().delete_objects(Bucket=bucket, Delete={"Objects": keys[i : i + 1000]})
        return
    shutil.rmtree(local_path(prefix_uri), ignore_errors=True)


__all__ = ["delete_prefix", "exists", "join_uri", "list_uris", "read_bytes", "write_bytes"]
