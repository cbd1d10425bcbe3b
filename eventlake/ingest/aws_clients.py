"""AWS clients for the ingest side, configured for callers that do their own retries."""

from __future__ import annotations

import os
from typing import Any

DEFAULT_REGION = "us-east-1"


def kinesis_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A Kinesis client with retries left to the caller (the producer has its own).

    The endpoint defaults to AWS_ENDPOINT_URL (boto3 reads it), so a moto server works too.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=4,
    )
    return boto3.client(
        "kinesis",
        endpoint_url=endpoint_url,
        region_name=region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
        config=config,
    )
