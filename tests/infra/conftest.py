"""Fixtures for the deploy tests: a small eventlake checkout and a moto-backed AWS account."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout with the real eventlake package, Dockerfile and tfvars, and small DAG/plugin files.

    The DAG, plugin, requirements and startup files are stand-ins so the test does not
    depend on their current contents; the package and Dockerfile are the real ones.
    """
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "eventlake", root / "eventlake", ignore=ignore)
    shutil.copytree(REPO_ROOT / "infra" / "envs", root / "infra" / "envs")
    (root / "lambdas" / "firehose_transform").mkdir(parents=True)
    shutil.copy(
        REPO_ROOT / "lambdas" / "firehose_transform" / "Dockerfile",
        root / "lambdas" / "firehose_transform",
    )
    files = {
        "glue_jobs/events_daily.py": "print('events_daily')\n",
        "dags/events_daily.py": "# the nightly DAG\n",
        "dags/sql/counts.sql": "select 1\n",
        "plugins/eventlake_links.py": "# an extra link\n",
        "requirements.txt": "orjson==3.13.0\n",
        "startup.sh": "#!/bin/sh\nexport EVENTLAKE=1\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "eventlake" / "__pycache__").mkdir(exist_ok=True)
    (root / "eventlake" / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"\0")
    return root


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto: S3 and ECR are real APIs here; MWAA is not in moto at all."""
    from moto import mock_aws

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def stack_outputs(aws: None, tmp_path: Path) -> Path:
    """The buckets Terraform would have made (versioned, as in infra/) and its outputs file."""
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    names = {
        key: f"eventlake-dev-{key}-123456789012"
        for key in ("raw", "lake", "quarantine", "reports", "scripts", "mwaa")
    }
    for name in names.values():
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    outputs = {
        "region": {"value": REGION},
        "bucket_names": {"value": names},
        "ecr_repository_url": {
            "value": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eventlake-dev/firehose-transform"
        },
        "ecr_repository_name": {"value": "eventlake-dev/firehose-transform"},
        "mwaa_environment_name": {"value": "eventlake-dev"},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return path
