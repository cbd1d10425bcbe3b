"""`eventlake deploy`: the S3 upload steps for real against moto, and the dry-run plan."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import boto3
import pytest

from eventlake import cli
from eventlake.tools.deploy import (
    DeployConfig,
    build_dayjob_jar,
    build_package_zip,
    image_tag,
    run_deploy,
)

from .conftest import REGION

SCRIPTS = "eventlake-dev-scripts-123456789012"
MWAA = "eventlake-dev-mwaa-123456789012"


def _keys(bucket: str) -> set[str]:
    response = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket)
    return {obj["Key"] for obj in response.get("Contents", [])}


def _object(bucket: str, key: str) -> bytes:
    return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()


def _zip_names(data: bytes) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(data)).namelist())


def _ship_code(checkout: Path, outputs: Path) -> DeployConfig:
    # Terraform and docker cannot run here; MWAA is not in moto, so its update is only printed.
    return DeployConfig(
        env="dev",
        repo_root=checkout,
        skip_terraform=True,
        skip_image=True,
        update_mwaa=False,
        outputs_file=outputs,
    )


def test_deploy_uploads_glue_code_and_mwaa_files_to_their_keys(checkout, stack_outputs, capsys):
    report = run_deploy(_ship_code(checkout, stack_outputs))

    assert _keys(SCRIPTS) == {
        "eventlake/eventlake.zip",
        "eventlake/eventlake-dayjob.jar",
        "glue_jobs/events_daily.py",
    }
    assert _keys(MWAA) == {
        "dags/events_daily.py",
        "dags/sql/counts.sql",
        "plugins.zip",
        "requirements.txt",
        "startup.sh",
    }
    assert (
        _object(SCRIPTS, "glue_jobs/events_daily.py")
        == (checkout / "glue_jobs/events_daily.py").read_bytes()
    )
    assert _object(MWAA, "startup.sh") == (checkout / "startup.sh").read_bytes()

    package = _zip_names(_object(SCRIPTS, "eventlake/eventlake.zip"))
    assert {
        "eventlake/__init__.py",
        "eventlake/core/contract.py",
        "eventlake/core/storage_layout.json",
        "eventlake/dayjob/job.py",
    } <= package
    assert all(
        name.startswith(("eventlake/core/", "eventlake/dayjob/", "eventlake/__init__"))
        for name in package
    ), "the Glue zip must hold eventlake.core and eventlake.dayjob only"
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in package)
    jar = _zip_names(_object(SCRIPTS, "eventlake/eventlake-dayjob.jar"))
    assert "eventlake/dayjob/RecordCheck.class" in jar, "the Glue job's --extra-jars"

    plugins = _zip_names(_object(MWAA, "plugins.zip"))
    assert "eventlake_links.py" in plugins, "plugins/ must sit at the root of plugins.zip"
    assert "eventlake/orchestration/tasks.py" in plugins, (
        "the DAG imports eventlake.orchestration, so plugins.zip must carry it"
    )

    assert set(report.object_versions) == {"plugins.zip", "requirements.txt", "startup.sh"}
    assert all(report.object_versions.values()), (
        "the versioned MWAA bucket must return object versions"
    )
    printed = capsys.readouterr().out
    assert f"--plugins-s3-object-version {report.object_versions['plugins.zip']}" in printed
    assert dict(report.outcomes)["MWAA environment object versions"] == "skipped"


def test_redeploying_the_same_code_uploads_nothing(checkout, stack_outputs):
    first = run_deploy(_ship_code(checkout, stack_outputs))
    s3 = boto3.client("s3", region_name=REGION)
    versions_before = len(s3.list_object_versions(Bucket=MWAA)["Versions"])

    second = run_deploy(_ship_code(checkout, stack_outputs))

    assert len(s3.list_object_versions(Bucket=MWAA)["Versions"]) == versions_before
    assert second.object_versions == first.object_versions, (
        "unchanged files must keep their versions (no MWAA update)"
    )
    assert dict(second.outcomes)["Glue package, jar and script"] == "unchanged"
    assert dict(second.outcomes)["MWAA dags, plugins, requirements, startup"] == "unchanged"


def test_changed_and_removed_files_are_synced(checkout, stack_outputs):
    first = run_deploy(_ship_code(checkout, stack_outputs))
    (checkout / "dags/sql/counts.sql").unlink()
    (checkout / "requirements.txt").write_text("orjson==3.13.0\nrich==15.0.0\n")

    second = run_deploy(_ship_code(checkout, stack_outputs))

    assert "dags/sql/counts.sql" not in _keys(MWAA), (
        "a DAG file removed locally must leave the MWAA bucket"
    )
    assert _object(MWAA, "requirements.txt").endswith(b"rich==15.0.0\n")
    assert second.object_versions["requirements.txt"] != first.object_versions["requirements.txt"]
    assert second.object_versions["plugins.zip"] == first.object_versions["plugins.zip"]


def test_dry_run_prints_every_step_and_changes_nothing(checkout, stack_outputs, capsys):
    cfg = DeployConfig(env="prod", repo_root=checkout, dry_run=True, outputs_file=stack_outputs)

    report = run_deploy(cfg)

    printed = capsys.readouterr().out
    tag = image_tag(checkout)
    repository = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/eventlake-dev/firehose-transform"
    expected = [
        "$ terraform -chdir=infra init -input=false",
        f"$ terraform -chdir=infra apply -input=false -var-file=envs/prod.tfvars -var=lambda_image_tag={tag} -target=module.kms -target=module.storage",
        f"| docker login --username AWS --password-stdin {repository.split('/')[0]}",
        f"$ docker build --platform linux/amd64 -f lambdas/firehose_transform/Dockerfile -t {repository}:{tag} - < lambda build context (core + ingest)",
        f"$ docker push {repository}:{tag}",
        f"upload s3://{SCRIPTS}/eventlake/eventlake.zip",
        f"upload s3://{SCRIPTS}/eventlake/eventlake-dayjob.jar",
        f"upload s3://{SCRIPTS}/glue_jobs/events_daily.py",
        f"upload s3://{MWAA}/dags/events_daily.py",
        f"upload s3://{MWAA}/plugins.zip",
        f"upload s3://{MWAA}/requirements.txt",
        f"upload s3://{MWAA}/startup.sh",
        f"$ terraform -chdir=infra apply -input=false -var-file=envs/prod.tfvars -var=lambda_image_tag={tag}\n",
        "$ aws mwaa update-environment --name eventlake-dev",
    ]
    for line in expected:
        assert line in printed, f"dry run does not show: {line}"
    assert [outcome for _, outcome in report.outcomes] == ["planned"] * 6
    assert _keys(SCRIPTS) == set(), "a dry run must not upload anything"
    assert _keys(MWAA) == set(), "a dry run must not upload anything"


def test_dry_run_without_state_names_the_outputs_it_would_use(checkout, capsys):
    assert cli.main(["deploy", "--dry-run", "--repo-root", str(checkout)]) == 0

    printed = capsys.readouterr().out
    assert "s3://<bucket_names.scripts>/eventlake/eventlake.zip" in printed
    assert "deploy dev: 6 steps: 6 planned (dry run: nothing changed)" in printed


def test_image_tag_follows_the_package_content(checkout):
    before = image_tag(checkout)
    assert image_tag(checkout) == before
    assert build_package_zip(checkout) == build_package_zip(checkout), "zips must be byte-stable"
    assert build_dayjob_jar(checkout) == build_dayjob_jar(checkout), "so must the jar"

    (checkout / "eventlake" / "dayjob" / "job.py").write_text("# changed\n", encoding="utf-8")
    assert image_tag(checkout) == before, "the image does not hold the day job"

    (checkout / "eventlake" / "core" / "contract.py").write_text("# changed\n", encoding="utf-8")
    assert image_tag(checkout) != before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "staging"], "--env must be one of dev, prod"),
        (["--outputs", "/nonexistent/outputs.json"], "--outputs file not found"),
    ],
)
def test_bad_arguments_are_one_line_errors(checkout, capsys, argv, message):
    assert cli.main(["deploy", "--dry-run", "--repo-root", str(checkout), *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_mwaa_requirements_is_a_clear_error(checkout, capsys):
    (checkout / "requirements.txt").unlink()
    assert cli.main(["deploy", "--dry-run", "--repo-root", str(checkout)]) == 2
    assert "MWAA needs requirements.txt" in capsys.readouterr().err


# MWAA is not in moto. These use botocore's Stubber, a mock that still validates every
# request against the real MWAA API model, so a misnamed parameter fails here.


def _mwaa_stub(monkeypatch, status: str, plugins_version: str):
    from botocore.stub import Stubber

    from eventlake.tools import deploy

    client = boto3.client(
        "mwaa", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "get_environment",
        {
            "Environment": {
                "Name": "eventlake-dev",
                "Status": status,
                "PluginsS3ObjectVersion": plugins_version,
            }
        },
        {"Name": "eventlake-dev"},
    )
    monkeypatch.setattr(deploy, "_client", lambda service, outputs: client)
    return stubber


def _run_mwaa_update(checkout: Path, versions: dict[str, str]) -> str:
    from eventlake.tools.deploy import DeployReport, step_mwaa_update

    report = DeployReport(object_versions=versions)
    cfg = DeployConfig(env="dev", repo_root=checkout)
    return step_mwaa_update(
        cfg, {"mwaa_environment_name": "eventlake-dev", "region": REGION}, report
    )


def test_mwaa_update_sends_the_new_object_versions(checkout, monkeypatch):
    stubber = _mwaa_stub(monkeypatch, "AVAILABLE", plugins_version="old")
    stubber.add_response(
        "update_environment",
        {"Arn": "arn:aws:airflow:eu-west-1:123456789012:environment/eventlake-dev"},
        {
            "Name": "eventlake-dev",
            "PluginsS3ObjectVersion": "v2",
            "RequirementsS3ObjectVersion": "r1",
        },
    )
    with stubber:
        outcome = _run_mwaa_update(checkout, {"plugins.zip": "v2", "requirements.txt": "r1"})
    stubber.assert_no_pending_responses()
    assert outcome == "changed"


def test_mwaa_update_is_skipped_when_versions_match_or_environment_is_busy(checkout, monkeypatch):
    with _mwaa_stub(monkeypatch, "AVAILABLE", plugins_version="v2"):
        assert _run_mwaa_update(checkout, {"plugins.zip": "v2"}) == "unchanged"
    with _mwaa_stub(monkeypatch, "CREATING", plugins_version="v1"):
        assert _run_mwaa_update(checkout, {"plugins.zip": "v2"}) == "pending"
