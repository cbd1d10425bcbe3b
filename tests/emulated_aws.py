"""An emulated AWS account for the aws target: a moto server, infra/ applied to it with the
real AWS provider, and a stand-in for what moto cannot run (a Glue job's script).

What stands in, and why:
- moto records Glue job runs but never runs their script. `GlueStandIn` watches the job's
  runs; for each new one it runs the real script (glue_jobs/events_daily.py) on local Spark
  with the run's arguments (the job's default arguments from Terraform merged with the run's
  own, as Glue does), on local mirrors of the buckets (local Spark has no S3 connector), then
  syncs the outputs back to the buckets and ends the run in the state the test asks for.
- moto has no MWAA: infra/ is applied with `create_mwaa = false`.
- moto evaluates a bucket policy's Deny without the request's condition values, so the
  buckets' TLS-only statements (Deny when aws:SecureTransport is false or s3:TlsVersion is
  below 1.2) would deny every request. Real S3 traffic is TLS; `over_tls` gives moto's check
  the values of a TLS 1.3 request.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ACCOUNT_ID = "123456789012"
CLI_CONFIG = """provider_installation {
  filesystem_mirror {
    path    = "%s"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
"""
# Every service infra/ uses, pointed at the moto server.
ENDPOINT_SERVICES = (
    "s3", "kinesis", "glue", "iam", "sts", "kms", "lambda", "ecr", "firehose",
    "cloudwatch", "logs", "sns", "events", "athena", "ec2",
)  # fmt: skip
TFVARS = ["-var-file=envs/dev.tfvars", "-var=create_mwaa=false", "-var=lambda_image_tag=src-test"]


def override_tf(endpoint: str) -> str:
    endpoints = "\n".join(f'    {name} = "{endpoint}"' for name in ENDPOINT_SERVICES)
    return f"""provider "aws" {{
  region                      = var.region
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  endpoints {{
{endpoints}
  }}
  default_tags {{
    tags = merge(var.tags, {{ project = var.project, environment = var.environment, managed-by = "terraform" }})
  }}
}}
"""


@dataclass
class Stack:
    """infra/ applied to the moto server at `endpoint`."""

    endpoint: str
    workdir: Path  # a copy of infra/ (and the package data it reads) with the override file
    outputs: dict[str, Any]

    @property
    def region(self) -> str:
        return self.outputs["region"]

    def terraform(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return terraform(self.workdir, *args, check=check)


def terraform(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    mirror = os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins")
    config = workdir / "cli.tfrc"
    if not config.exists():
        config.write_text(CLI_CONFIG % mirror)
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(name, None)
    result = subprocess.run(
        ["terraform", f"-chdir={workdir / 'infra'}", *args, "-no-color"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"terraform {args[0]} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def apply_stack(endpoint: str, workdir: Path, targets: tuple[str, ...] = ()) -> Stack:
    """Copy infra/ (and the layout JSON it reads), point the provider at moto, apply (only
    `targets` and what they need, when given). moto's backends live in the process, so they
    are reset first: every stack is a fresh account, whatever an earlier test created."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    shutil.copytree(
        REPO / "infra",
        workdir / "infra",
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"),
    )
    layout = Path("eventlake/core/storage_layout.json")
    (workdir / layout).parent.mkdir(parents=True)
    shutil.copy(REPO / layout, workdir / layout)
    (workdir / "infra" / "zz_moto_override.tf").write_text(override_tf(endpoint))
    terraform(workdir, "init", "-backend=false", "-input=false")
    chosen = [f"-target={target}" for target in targets]
    terraform(workdir, "apply", "-auto-approve", "-input=false", *TFVARS, *chosen)
    outputs = json.loads(terraform(workdir, "output", "-json").stdout)
    return Stack(endpoint, workdir, {k: v["value"] for k, v in outputs.items()})


# --- S3 mirrors: local Spark reads and writes folders ---


def download_bucket(s3: Any, bucket: str, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            target = folder / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))


def upload_folder(s3: Any, folder: Path, bucket: str) -> None:
    """Make the bucket hold exactly the folder's files (hidden and _ paths skipped)."""
    local = {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    }
    remote: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        remote |= {obj["Key"]: obj["ETag"].strip('"') for obj in page.get("Contents", [])}
    for key in sorted(set(remote) - set(local)):
        s3.delete_object(Bucket=bucket, Key=key)
    for key, path in sorted(local.items()):
        # Like Glue, rewrite only what the job wrote: an object it did not touch keeps its
        # metadata (the day report's Content-Type, set by the quality task).
        if remote.get(key) != hashlib.md5(path.read_bytes()).hexdigest():
            s3.upload_file(str(path), bucket, key)


# --- the Glue job's script, run where moto would only record the run ---


@dataclass
class RunPlan:
    """What the stand-in does with the next run: run the script or not, and the end state."""

    run_script: bool = True
    end_state: str = "SUCCEEDED"
    error_message: str = ""
    wait_until: Any = None  # a callable: the run ends only once it returns True


@dataclass
class GlueStandIn:
    """Runs each new Glue job run's script locally and sets its final state in moto."""

    stack: Stack
    job_name: str
    workdir: Path
    plans: list[RunPlan] = field(default_factory=list)  # one per run, in order; default: succeed
    handled: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="glue-stand-in", daemon=True)

    def __enter__(self) -> GlueStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        if self.errors:
            raise self.errors[0]

    def _runs(self) -> list[Any]:
        from moto.glue.models import glue_backends

        job = glue_backends[ACCOUNT_ID][self.stack.region].jobs.get(self.job_name)
        return list(job.job_runs) if job else []

    def _loop(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # the test fails with it on exit
            self.errors.append(exc)

    def _serve(self) -> None:
        while not self._stop.is_set():
            for run in self._runs():
                if run.job_run_id in self.handled or run._status not in ("STARTING", "RUNNING"):
                    continue
                self.handled.append(run.job_run_id)
                plan = self.plans.pop(0) if self.plans else RunPlan()
                try:
                    if plan.run_script:
                        self.run_script(run)
                    while plan.wait_until and not plan.wait_until():
                        if self._stop.wait(0.2):
                            break
                except BaseException as exc:  # the test fails with it
                    self.errors.append(exc)
                    plan = RunPlan(end_state="FAILED", error_message=f"stand-in: {exc}")
                run.error_message = plan.error_message
                run.status = plan.end_state
            time.sleep(0.2)

    def run_script(self, run: Any) -> None:
        """The job's default arguments plus the run's, on local mirrors of the buckets."""
        import boto3

        glue = boto3.client("glue", endpoint_url=self.stack.endpoint, region_name=self.stack.region)
        s3 = boto3.client("s3", endpoint_url=self.stack.endpoint, region_name=self.stack.region)
        arguments = {
            **glue.get_job(JobName=self.job_name)["Job"]["DefaultArguments"],
            **(run.arguments or {}),
        }
        mirrors = {}
        for name in ("raw_uri", "lake_uri", "quarantine_uri", "reports_uri"):
            bucket = arguments[f"--{name}"].removeprefix("s3://").split("/", 1)[0]
            mirrors[name] = (bucket, self.workdir / "buckets" / bucket)
            download_bucket(s3, bucket, mirrors[name][1])
            arguments[f"--{name}"] = str(mirrors[name][1])
        own = {k: v for k, v in arguments.items() if k.removeprefix("--") in JOB_ARGUMENT_NAMES}
        argv = [part for kv in own.items() for part in kv]
        # Glue injects the run's id; the job writes it into the manifest.
        argv += ["--job_run_id", run.job_run_id]
        env = {
            **os.environ,
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable,
        }
        env.pop("AWS_ENDPOINT_URL", None)
        result = subprocess.run(
            [sys.executable, str(REPO / "glue_jobs" / "events_daily.py"), *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"the job script failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
            )
        for name in ("lake_uri", "quarantine_uri", "reports_uri"):
            bucket, folder = mirrors[name]
            upload_folder(s3, folder, bucket)


def _job_argument_names() -> set[str]:
    from eventlake.core.job_params import DayJobParams

    return {name.removeprefix("--") for name in DayJobParams.argument_names()}


JOB_ARGUMENT_NAMES = _job_argument_names()


TLS_REQUEST = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}


def _met_by_tls_request(condition: dict[str, dict[str, Any]]) -> bool:
    """Whether a TLS 1.3 request meets a statement's Bool / NumericLessThan condition."""
    for operator, values in condition.items():
        for key, expected in values.items():
            actual = TLS_REQUEST.get(key)
            if actual is None or operator not in ("Bool", "NumericLessThan"):
                return True  # not a transport condition: leave it to moto
            met = (
                actual.lower() == str(expected).lower()
                if operator == "Bool"
                else float(actual) < float(expected)
            )
            if not met:
                return False
    return True


def over_tls(bucket: Any, action: str, resource: str) -> Any:
    """FakeBucket.get_permission as AWS decides it for a request that came over TLS 1.3:
    moto applies a conditional Deny as if unconditional (it evaluates only StringEquals)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(bucket.policy.decode())
    statements = (
        document["Statement"]
        if isinstance(document["Statement"], list)
        else [document["Statement"]]
    )
    kept = [s for s in statements if _met_by_tls_request(s.get("Condition") or {})]
    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(
        action, resource
    )


def with_error_message(original: Any) -> Any:
    """moto's job run has no ErrorMessage; the stand-in's runs carry one when they fail."""

    def as_dict(self: Any) -> dict[str, Any]:
        data = original(self)
        if getattr(self, "error_message", ""):
            data["ErrorMessage"] = self.error_message
        return data

    return as_dict
