"""`eventlake deploy`: stand up or update the AWS stack and ship the code, one printed step at a time.

Order (each step is idempotent, so a failed deploy is simply rerun):

1. terraform bootstrap: KMS key, buckets and the ECR repository (`-target`), because the
   Lambda cannot be created before its image exists, nor MWAA before its plugins.zip.
2. Lambda image: build and push, tagged by a hash of its contents (skipped if present).
3. Glue code: eventlake.zip (eventlake.core + eventlake.dayjob), the day job's jar (its Java
   sources compiled with javac against the installed PySpark's jars) and
   glue_jobs/events_daily.py to the scripts bucket.
4. MWAA code: sync dags/, plugins.zip (plugins/ + eventlake.core, .orchestration and .quality,
   which the DAG imports), requirements.txt and startup.sh to the MWAA bucket.

Each runtime ships only its part of the package (RUNTIME_PACKAGES): the Lambda image's build
context, the Glue zip and plugins.zip are built from that one table.
5. terraform apply: the whole stack, with the new image tag.
6. MWAA update: point the environment at the new plugins/requirements/startup versions.

Uploads skip objects whose content is unchanged (sha256 kept in object metadata), so a
redeploy of the same code creates no new S3 versions and no MWAA update.
`--dry-run` prints every step with its exact commands and targets and changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventlake.core.errors import UsageError
from eventlake.dayjob import jvm

ENVIRONMENTS = ("dev", "prod")
PACKAGE_KEY = "eventlake/eventlake.zip"
JAR_KEY = f"eventlake/{jvm.JAR_NAME}"
GLUE_SCRIPT = "glue_jobs/events_daily.py"
DOCKERFILE = "lambdas/firehose_transform/Dockerfile"
# MWAA's source files; the first existing candidate is shipped.
MWAA_ROOT_FILES = {
    "requirements.txt": ("requirements.txt", "mwaa/requirements.txt"),
    "startup.sh": ("startup.sh", "mwaa/startup.sh"),
}
BOOTSTRAP_TARGETS = (
    "module.kms",
    "module.storage",
    "module.transform.aws_ecr_repository.transform",
    "module.transform.aws_ecr_lifecycle_policy.transform",
)
# What each runtime ships of the eventlake package: these subpackages, plus its __init__.
RUNTIME_PACKAGES: dict[str, tuple[str, ...]] = {
    "lambda": ("core", "ingest"),
    "glue": ("core", "dayjob"),
    "mwaa": ("core", "orchestration", "quality"),
}
_SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class DeployConfig:
    """Everything `eventlake deploy` needs, built once from the command line."""

    env: str
    repo_root: Path
    dry_run: bool = False
    skip_terraform: bool = False
    skip_image: bool = False
    update_mwaa: bool = True
    auto_approve: bool = False
    outputs_file: Path | None = None

    @property
    def infra_dir(self) -> Path:
        return self.repo_root / "infra"

    @property
    def var_file(self) -> str:
        return f"envs/{self.env}.tfvars"


@dataclass
class DeployReport:
    """What each step did: changed, unchanged, skipped or planned (dry run)."""

    outcomes: list[tuple[str, str]] = field(default_factory=list)
    object_versions: dict[str, str | None] = field(default_factory=dict)

    def record(self, step: str, outcome: str) -> None:
        self.outcomes.append((step, outcome))

    def summary(self, env: str, dry_run: bool) -> str:
        counts: dict[str, int] = {}
        for _, outcome in self.outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        mode = " (dry run: nothing changed)" if dry_run else ""
        return f"deploy {env}: {len(self.outcomes)} steps: {parts}{mode}"


# --- Building artifacts (pure: bytes in, bytes out) ---


def _shipped_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not _SKIPPED_PARTS & set(relative.parts) and path.suffix != ".pyc":
            yield path


def deterministic_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend only on names and contents (fixed timestamps, sorted)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def package_entries(repo_root: Path, runtime: str) -> list[tuple[str, bytes]]:
    """The runtime's part of the eventlake package, as `eventlake/...` entries."""
    package = repo_root / "eventlake"
    files = [package / "__init__.py"]
    for subpackage in RUNTIME_PACKAGES[runtime]:
        files += _shipped_files(package / subpackage)
    return [(f"eventlake/{p.relative_to(package).as_posix()}", p.read_bytes()) for p in files]


def build_package_zip(repo_root: Path) -> bytes:
    """The Glue job's --extra-py-files zip."""
    return deterministic_zip(package_entries(repo_root, "glue"))


def build_dayjob_jar(repo_root: Path) -> bytes:
    """The Glue job's --extra-jars jar, compiled from the checkout's sources."""
    sources = tuple(repo_root / "eventlake" / "dayjob" / s.name for s in jvm.SOURCES)
    return deterministic_zip(jvm.class_entries(sources))


def build_plugins_zip(repo_root: Path) -> bytes:
    """plugins/ at the zip root, plus the package parts the DAG imports (MWAA puts plugins on sys.path)."""
    plugins = repo_root / "plugins"
    entries = [(p.relative_to(plugins).as_posix(), p.read_bytes()) for p in _shipped_files(plugins)]
    return deterministic_zip(entries + package_entries(repo_root, "mwaa"))


def lambda_build_context(repo_root: Path) -> bytes:
    """The Lambda image's docker build context: its Dockerfile and its part of the package."""
    entries = [(DOCKERFILE, (repo_root / DOCKERFILE).read_bytes())]
    return deterministic_tar(entries + package_entries(repo_root, "lambda"))


def deterministic_tar(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A tar whose bytes depend only on names and contents."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in sorted(entries):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def image_tag(repo_root: Path) -> str:
    """Content tag of the Lambda image: a hash of its build context."""
    return "src-" + hashlib.sha256(lambda_build_context(repo_root)).hexdigest()[:12]


def dag_files(repo_root: Path) -> dict[str, Path]:
    """Object key under the MWAA bucket -> local file, for everything in dags/."""
    dags = repo_root / "dags"
    return {f"dags/{p.relative_to(dags).as_posix()}": p for p in _shipped_files(dags)}


def mwaa_root_file(repo_root: Path, name: str) -> Path:

    for candidate in MWAA_ROOT_FILES[name]:
        if (repo_root / candidate).is_file():
            return repo_root / candidate
    raise UsageError(f"MWAA needs {name}; none of {', '.join(MWAA_ROOT_FILES[name])} exists")


# --- Commands ---


def terraform_init_command() -> list[str]:
    return ["terraform", "-chdir=infra", "init", "-input=false"]


def terraform_apply_command(cfg: DeployConfig, tag: str, targets: Iterable[str] = ()) -> list[str]:
    command = ["terraform", "-chdir=infra", "apply", "-input=false", f"-var-file={cfg.var_file}"]
    command.append(f"-var=lambda_image_tag={tag}")
    command += [f"-target={target}" for target in targets]
    if cfg.auto_approve:
        command.append("-auto-approve")
    return command


def docker_commands(repository_url: str, tag: str) -> list[list[str]]:
    image = f"{repository_url}:{tag}"
    registry = repository_url.split("/", 1)[0]
    return [
        ["docker", "login", "--username", "AWS", "--password-stdin", registry],
        # The context comes on stdin (lambda_build_context): core and ingest, nothing else.
        ["docker", "build", "--platform", "linux/amd64", "-f", DOCKERFILE, "-t", image, "-"],
        ["docker", "push", image],
    ]


def _show(command: list[str]) -> str:
    return "$ " + " ".join(command)


def _run(
    cfg: DeployConfig,
    command: list[str],
    stdin: str | bytes | None = None,
    shown: str | None = None,
) -> None:
    print(shown or _show(command), flush=True)
    if not cfg.dry_run:
        text = not isinstance(stdin, bytes)
        subprocess.run(command, cwd=cfg.repo_root, check=True, input=stdin, text=text)


# --- Terraform outputs ---


def load_outputs(cfg: DeployConfig) -> dict[str, Any]:
    """`terraform output -json` flattened to {name: value}; placeholders when there is no state yet."""
    if cfg.outputs_file is not None:
        raw = json.loads(cfg.outputs_file.read_text())
    elif cfg.dry_run and not (cfg.infra_dir / ".terraform").exists():
        return placeholder_outputs()
    else:
        command = ["terraform", "-chdir=infra", "output", "-json"]
        result = subprocess.run(
            command, cwd=cfg.repo_root, capture_output=True, text=True, check=False
        )
        raw = json.loads(result.stdout or "{}") if result.returncode == 0 else {}
        if not raw and cfg.dry_run:
            return placeholder_outputs()
        if not raw:
            detail = result.stderr.strip().splitlines()[-1:] or ["no outputs in the state"]
            raise UsageError(
                f"{' '.join(command)} failed: {detail[0]} (apply first, or pass --outputs)"
            )
    return {
        name: (value["value"] if isinstance(value, dict) and "value" in value else value)
        for name, value in raw.items()
    }


def placeholder_outputs() -> dict[str, Any]:
    buckets = {
        key: f"<bucket_names.{key}>"
        for key in ("raw", "lake", "quarantine", "reports", "scripts", "mwaa")
    }
    return {
        "region": "<region>",
        "bucket_names": buckets,
        "ecr_repository_url": "<ecr_repository_url>",
        "ecr_repository_name": "<ecr_repository_name>",
        "mwaa_environment_name": "<mwaa_environment_name>",
    }


# --- S3 uploads (idempotent: unchanged content is not uploaded again) ---


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_if_changed(
    cfg: DeployConfig, s3: Any, bucket: str, key: str, data: bytes
) -> tuple[bool, str | None]:
    """Put the object unless it already holds these bytes. Returns (uploaded, version id)."""
    digest = _sha256(data)
    target = f"s3://{bucket}/{key}"
    if cfg.dry_run:
        print(
            f"  upload {target} ({len(data):,} bytes, sha256 {digest[:12]}) if changed", flush=True
        )
        return True, None
    current = _head(s3, bucket, key)
    if current is not None and current.get("Metadata", {}).get("sha256") == digest:
        print(f"  unchanged {target}", flush=True)
        return False, current.get("VersionId")
    response = s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"sha256": digest})
    print(f"  uploaded {target} ({len(data):,} bytes)", flush=True)
    return True, response.get("VersionId")


def _head(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def _remote_keys(s3: Any, bucket: str, prefix: str) -> set[str]:
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.update(obj["Key"] for obj in page.get("Contents", []))
    return keys


def sync_dags(cfg: DeployConfig, s3: Any, bucket: str) -> int:
    """Mirror dags/ to s3://<mwaa>/dags/: upload changed files, delete removed ones."""
    local = dag_files(cfg.repo_root)
    changed = sum(
        upload_if_changed(cfg, s3, bucket, key, path.read_bytes())[0] for key, path in local.items()
    )
    if cfg.dry_run:
        print(f"  delete s3://{bucket}/dags/* objects that are not in dags/", flush=True)
        return changed
    stale = sorted(_remote_keys(s3, bucket, "dags/") - set(local))
    for key in stale:
        s3.delete_object(Bucket=bucket, Key=key)
        print(f"  deleted s3://{bucket}/{key}", flush=True)
    return changed + len(stale)


# --- Steps ---

Step = Callable[[DeployConfig, dict[str, Any], DeployReport], str]


def step_terraform_bootstrap(
    cfg: DeployConfig, outputs: dict[str, Any], report: DeployReport
) -> str:
    if cfg.skip_terraform:
        return "skipped"
    _run(cfg, terraform_init_command())
    _run(cfg, terraform_apply_command(cfg, outputs["_image_tag"], BOOTSTRAP_TARGETS))
    return "planned" if cfg.dry_run else "applied"


def step_lambda_image(cfg: DeployConfig, outputs: dict[str, Any], report: DeployReport) -> str:
    if cfg.skip_image:
        return "skipped"
    tag, repository_url = outputs["_image_tag"], outputs["ecr_repository_url"]
    if not cfg.dry_run and _image_exists(outputs, tag):
        print(f"  unchanged {repository_url}:{tag} (already in ECR)", flush=True)
        return "unchanged"
    login, build, push = docker_commands(repository_url, tag)
    shown_login = f"$ aws ecr get-login-password --region {outputs['region']} | {' '.join(login)}"
    _run(cfg, login, stdin=None if cfg.dry_run else _ecr_password(outputs), shown=shown_login)
    context = None if cfg.dry_run else lambda_build_context(cfg.repo_root)
    _run(cfg, build, stdin=context, shown=_show(build) + " < lambda build context (core + ingest)")
    _run(cfg, push)
    return "planned" if cfg.dry_run else "changed"


def step_glue_code(cfg: DeployConfig, outputs: dict[str, Any], report: DeployReport) -> str:
    bucket = outputs["bucket_names"]["scripts"]
    script = cfg.repo_root / GLUE_SCRIPT
    s3 = None if cfg.dry_run else _client("s3", outputs)
    uploads = [
        upload_if_changed(cfg, s3, bucket, PACKAGE_KEY, build_package_zip(cfg.repo_root))[0],
        upload_if_changed(cfg, s3, bucket, JAR_KEY, build_dayjob_jar(cfg.repo_root))[0],
        upload_if_changed(cfg, s3, bucket, GLUE_SCRIPT, script.read_bytes())[0],
    ]
    return _outcome(cfg, any(uploads))


def step_mwaa_code(cfg: DeployConfig, outputs: dict[str, Any], report: DeployReport) -> str:
    bucket = outputs["bucket_names"]["mwaa"]
    s3 = None if cfg.dry_run else _client("s3", outputs)
    changed = sync_dags(cfg, s3, bucket)
    root_objects = {"plugins.zip": build_plugins_zip(cfg.repo_root)}
    root_objects.update(
        {name: mwaa_root_file(cfg.repo_root, name).read_bytes() for name in MWAA_ROOT_FILES}
    )
    for key, data in root_objects.items():
        uploaded, version = upload_if_changed(cfg, s3, bucket, key, data)
        report.object_versions[key] = version
        changed += uploaded
    return _outcome(cfg, changed > 0)


def step_terraform_apply(cfg: DeployConfig, outputs: dict[str, Any], report: DeployReport) -> str:
    if cfg.skip_terraform:
        return "skipped"
    _run(cfg, terraform_apply_command(cfg, outputs["_image_tag"]))
    return "planned" if cfg.dry_run else "applied"


def mwaa_update_request(environment: str, versions: dict[str, str | None]) -> dict[str, str]:
    request = {"Name": environment}
    fields = {
        "plugins.zip": "PluginsS3ObjectVersion",
        "requirements.txt": "RequirementsS3ObjectVersion",
        "startup.sh": "StartupScriptS3ObjectVersion",
    }
    request.update({fields[key]: version for key, version in versions.items() if version})
    return request


def step_mwaa_update(cfg: DeployConfig, outputs: dict[str, Any], report: DeployReport) -> str:
    request = mwaa_update_request(outputs["mwaa_environment_name"], report.object_versions)
    shown = " ".join(f"--{_kebab(k)} {v}" for k, v in request.items() if k != "Name")
    versions = (
        shown
        or "--plugins-s3-object-version <new> --requirements-s3-object-version <new> --startup-script-s3-object-version <new>"
    )
    print(
        _show(["aws", "mwaa", "update-environment", "--name", request["Name"], versions]),
        flush=True,
    )
    if cfg.dry_run or not cfg.update_mwaa:
        print(
            "  (not sent: " + ("dry run" if cfg.dry_run else "--no-mwaa-update") + ")", flush=True
        )
        return "planned" if cfg.dry_run else "skipped"
    mwaa = _client("mwaa", outputs)
    current = mwaa.get_environment(Name=request["Name"])["Environment"]
    if all(current.get(k) == v for k, v in request.items() if k != "Name"):
        print("  unchanged: the environment already runs these versions", flush=True)
        return "unchanged"
    if current.get("Status") != "AVAILABLE":
        # A new environment (CREATING) already loads the latest objects; a busy one cannot update.
        print(
            f"  environment is {current.get('Status')}: rerun with --skip-terraform --skip-image once AVAILABLE",
            flush=True,
        )
        return "pending"
    mwaa.update_environment(**request)
    print(
        "  requested: MWAA applies it in 10-30 minutes (aws mwaa get-environment shows Status)",
        flush=True,
    )
    return "changed"


STEPS: tuple[tuple[str, Step], ...] = (
    ("terraform bootstrap (KMS, buckets, ECR)", step_terraform_bootstrap),
    ("Lambda transform image", step_lambda_image),
    ("Glue package, jar and script", step_glue_code),
    ("MWAA dags, plugins, requirements, startup", step_mwaa_code),
    ("terraform apply (whole stack)", step_terraform_apply),
    ("MWAA environment object versions", step_mwaa_update),
)


def run_deploy(cfg: DeployConfig) -> DeployReport:
    """Run (or, with dry_run, print) every step in order."""
    validate(cfg)
    report = DeployReport()
    outputs: dict[str, Any] = {"_image_tag": image_tag(cfg.repo_root)}
    for number, (name, step) in enumerate(STEPS, start=1):
        print(f"[{number}/{len(STEPS)}] {name}", flush=True)
        if number == 2:  # buckets and repository exist from here on
            outputs.update(load_outputs(cfg))
        outcome = step(cfg, outputs, report)
        print(f"  -> {outcome}", flush=True)
        report.record(name, outcome)
    return report


def validate(cfg: DeployConfig) -> None:

    if cfg.env not in ENVIRONMENTS:
        raise UsageError(f"--env must be one of {', '.join(ENVIRONMENTS)}, got {cfg.env!r}")
    required = [
        cfg.infra_dir / cfg.var_file,
        cfg.repo_root / GLUE_SCRIPT,
        cfg.repo_root / DOCKERFILE,
    ]
    missing = [str(p.relative_to(cfg.repo_root)) for p in required if not p.is_file()]
    if missing:
        raise UsageError(
            f"not an eventlake checkout ({cfg.repo_root}): missing {', '.join(missing)}"
        )
    if cfg.outputs_file is not None and not cfg.outputs_file.is_file():
        raise UsageError(f"--outputs file not found: {cfg.outputs_file}")
    for name in MWAA_ROOT_FILES:
        mwaa_root_file(cfg.repo_root, name)


# --- AWS helpers ---


def _client(service: str, outputs: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(service, region_name=outputs.get("region"))


def _image_exists(outputs: dict[str, Any], tag: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        _client("ecr", outputs).describe_images(
            repositoryName=outputs["ecr_repository_name"], imageIds=[{"imageTag": tag}]
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ImageNotFoundException":
            return False
        raise
    return True


def _ecr_password(outputs: dict[str, Any]) -> str:
    import base64

    token = _client("ecr", outputs).get_authorization_token()["authorizationData"][0][
        "authorizationToken"
    ]
    return base64.b64decode(token).decode().split(":", 1)[1]


def _kebab(field_name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in field_name).lstrip("-")


def _outcome(cfg: DeployConfig, changed: bool) -> str:
    if cfg.dry_run:
        return "planned"
    return "changed" if changed else "unchanged"
