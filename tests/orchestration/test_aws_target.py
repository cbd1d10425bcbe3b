"""The aws target against a moto *server* (the deferrable Glue and crawler triggers use
aiobotocore, which in-process mock_aws cannot serve). Moto runs no Glue script, so the day
job's manifest is put in S3 by the test, standing in for what the real job writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import boto3
import pytest
import requests

from eventlake.core import storage
from eventlake.core.layout import manifest_uri
from eventlake.orchestration.settings import EventlakeSettings
from tests.orchestration.conftest import load_dag_module

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(300)]

DAY = date(2026, 11, 24)
RUN_LOGICAL_DATE = datetime(2026, 11, 25, tzinfo=UTC)
BUCKET = "eventlake-test"
JOB = "eventlake-events-daily"
CRAWLER = "eventlake-events"
NOT_RUN_HERE = "quality_checks|publish"  # Soda on Athena cannot run against moto


def aws_settings() -> dict[str, str]:
    return {
        "target": "aws",
        "start_date": "2026-11-20",
        "raw_uri": f"s3://{BUCKET}/raw",
        "lake_uri": f"s3://{BUCKET}/lake",
        "quarantine_uri": f"s3://{BUCKET}/quarantine",
        "reports_uri": f"s3://{BUCKET}/reports",
        "glue_job_name": JOB,
        "crawler_name": CRAWLER,
        "region_name": "us-east-1",
        "glue_poll_seconds": "1",
    }


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch, airflow_db):
    """Fresh moto state: bucket, raw object for the day, Glue job and crawler, manifest."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    storage._s3.cache_clear()  # the cached client must point at this server
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET, Key="raw/events/2026/11/24/00/s-1-2026-11-24-00-01-00-x.gz", Body=b"x"
    )
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "eventlake"})
    # MaxConcurrentRuns 2: the test must catch a second run by itself, not rely on Glue refusing it
    glue.create_job(
        Name=JOB, Role="glue-role", ExecutionProperty={"MaxConcurrentRuns": 2},
        Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/glue_jobs/events_daily.py"},
    )  # fmt: skip
    glue.create_crawler(
        Name=CRAWLER, Role="glue-role", DatabaseName="eventlake",
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/lake/events/"}]},
    )  # fmt: skip
    manifest = {"run_date": DAY.isoformat(), "counts": {"raw_records_in": 10, "written": 9, "quarantined": 1},
                "reconciliation": {"raw_records_in": 10, "accounted": 10, "balanced": True,
                                   "lake_rows_in_files": 9, "quarantine_rows_in_files": 1}}  # fmt: skip
    s3.put_object(
        Bucket=BUCKET,
        Key=manifest_uri(f"s3://{BUCKET}/reports", DAY).split(f"{BUCKET}/", 1)[1],
        Body=json.dumps(manifest).encode(),
    )
    # moto keeps a crawl RUNNING until told otherwise
    set_transition(moto_server, "glue::crawl", {"progression": "immediate"})
    yield glue
    storage._s3.cache_clear()


def set_transition(server: str, model: str, transition: dict) -> None:
    response = requests.post(
        f"{server}/moto-api/state-manager/set-transition",
        data=json.dumps({"model_name": model, "transition": transition}),
        timeout=10,
    )
    response.raise_for_status()


def runs_for_day(glue) -> list[dict]:
    runs = glue.get_job_runs(JobName=JOB)["JobRuns"]
    return [r for r in runs if (r.get("Arguments") or {}).get("--run_date") == DAY.isoformat()]


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_glue_job_gets_the_days_script_arguments_and_the_crawler_runs(aws, monkeypatch) -> None:
    module = load_dag_module(monkeypatch, **aws_settings())
    dag_run = module.dag.test(logical_date=RUN_LOGICAL_DATE, mark_success_pattern=NOT_RUN_HERE)
    assert states(dag_run) == dict.fromkeys(
        ["wait_for_raw_window", "run_day_job", "quality_checks", "update_catalog", "publish"],
        "success",
    )
    (run,) = runs_for_day(aws)
    expected = EventlakeSettings.from_mapping(aws_settings()).job.to_arguments(DAY.isoformat())
    assert {k: v for k, v in run["Arguments"].items() if k in expected} == expected
    crawler = aws.get_crawler(Name=CRAWLER)["Crawler"]
    assert crawler["State"] == "READY"
    assert "LastCrawl" in crawler, "update_catalog did not start the crawler"


def test_a_retry_reattaches_to_the_run_still_in_progress(aws, moto_server, monkeypatch) -> None:
    set_transition(moto_server, "glue::job_run", {"progression": "manual", "times": 3})
    settings = EventlakeSettings.from_mapping(aws_settings())
    first = aws.start_job_run(JobName=JOB, Arguments=settings.job.to_arguments(DAY.isoformat()))
    assert runs_for_day(aws)[0]["JobRunState"] in ("STARTING", "RUNNING")
    module = load_dag_module(monkeypatch, **aws_settings())
    dag_run = module.dag.test(logical_date=RUN_LOGICAL_DATE, mark_success_pattern=NOT_RUN_HERE)
    assert states(dag_run)["run_day_job"] == "success"
    runs = runs_for_day(aws)
    assert [r["Id"] for r in runs] == [first["JobRunId"]], (
        "a second Glue run was started for the day"
    )
    assert runs[0]["JobRunState"] == "SUCCEEDED"
    ti = next(t for t in dag_run.get_task_instances() if t.task_id == "run_day_job")
    assert ti.xcom_pull(task_ids="run_day_job", key="glue_job_run_id") == first["JobRunId"]
