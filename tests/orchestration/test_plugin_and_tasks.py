"""The plugin registers the report link; the link, the alert and the manifest log read well."""

from __future__ import annotations

import importlib.util
import json
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import boto3
import pytest

from eventlake.core.manifest import Manifest
from eventlake.orchestration.alerts import FailureAlert, failure_message
from eventlake.orchestration.day_job import find_active_run
from eventlake.orchestration.report_link import (
    DayReportLink,
    SodaReportLink,
    day_report_url,
    report_url,
)
from eventlake.orchestration.settings import EventlakeSettings
from tests.orchestration.conftest import REPO


def test_plugin_registers_the_soda_and_day_report_links() -> None:
    spec = importlib.util.spec_from_file_location(
        "eventlake_plugin", REPO / "plugins" / "eventlake_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    links = module.EventlakePlugin.operator_extra_links
    assert [type(link) for link in links] == [SodaReportLink, DayReportLink]
    assert [link.name for link in links] == ["Soda report", "Day report"]


@pytest.mark.airflow
def test_airflow_loads_the_plugin_from_the_plugins_folder() -> None:
    from airflow import plugins_manager

    names = {type(link).__name__ for link in plugins_manager.get_operator_extra_links()}
    assert {"SodaReportLink", "DayReportLink"} <= names


def test_report_link_points_at_the_days_markdown_report() -> None:
    assert (
        report_url("file:///data/reports", "2026-11-24")
        == "file:///data/reports/soda/event_date=2026-11-24/scan.md"
    )
    url = report_url("s3://bucket/reports", "2026-11-24", "eu-west-1")
    assert url == (
        "https://s3.console.aws.amazon.com/s3/object/bucket?prefix="
        "reports/soda/event_date%3D2026-11-24/scan.md&region=eu-west-1"
    )
    operator = SimpleNamespace(reports_uri="file:///r", event_date="2026-11-24", region_name="")
    assert (
        SodaReportLink().get_link(operator, ti_key=None).endswith("event_date=2026-11-24/scan.md")
    )


def test_day_report_link_points_at_the_days_page() -> None:
    assert (
        day_report_url("file:///data/reports", "2026-11-24")
        == "file:///data/reports/days/2026-11-24/index.html"
    )
    assert day_report_url("s3://bucket/reports", "2026-11-24", "eu-west-1") == (
        "https://s3.console.aws.amazon.com/s3/object/bucket?prefix="
        "reports/days/2026-11-24/index.html&region=eu-west-1"
    )
    operator = SimpleNamespace(reports_uri="file:///r", event_date="2026-11-24", region_name="")
    assert DayReportLink().get_link(operator, ti_key=None) == "file:///r/days/2026-11-24/index.html"


def fake_context(error: Exception) -> dict:
    """A stand-in for Airflow's context: only the fields the callback reads."""
    ti = SimpleNamespace(
        dag_id="events_daily",
        task_id="run_day_job",
        run_id="scheduled__2026-11-25",
        try_number=3,
        log_url="http://ui/log",
    )
    return {"ti": ti, "exception": error, "data_interval_start": datetime(2026, 11, 24, tzinfo=UTC)}


def test_failure_message_names_task_day_error_and_log() -> None:
    subject, body = failure_message(fake_context(RuntimeError("Glue run failed")))
    assert subject == "[eventlake] events_daily.run_day_job failed"
    assert "covering UTC day 2026-11-24" in body
    assert "Glue run failed" in body
    assert "http://ui/log" in body


def test_local_alert_is_a_clear_log_block(caplog) -> None:
    with caplog.at_level(logging.ERROR):
        FailureAlert(EventlakeSettings(target="local"))(fake_context(RuntimeError("boom")))
    assert "EVENTLAKE ALERT" in caplog.text
    assert "boom" in caplog.text


@pytest.mark.airflow
def test_aws_alert_is_published_to_the_sns_topic() -> None:
    from moto import mock_aws

    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="eventlake-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        settings = EventlakeSettings.from_mapping(
            {"target": "aws", "alerts_topic_arn": topic, "region_name": "us-east-1",
             **{k: f"s3://b/{k}" for k in ("raw_uri", "lake_uri", "quarantine_uri", "reports_uri")}}
        )  # fmt: skip
        FailureAlert(settings)(fake_context(RuntimeError("Glue run failed")))
        messages = sqs.receive_message(QueueUrl=queue).get("Messages", [])
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Subject"] == "[eventlake] events_daily.run_day_job failed"
    assert "Glue run failed" in envelope["Message"]


def test_only_an_active_run_of_the_same_day_is_reattached() -> None:
    from moto import mock_aws
    from moto.moto_api import state_manager

    with mock_aws():
        state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 99})
        try:
            glue = boto3.client("glue")
            glue.create_job(
                Name="j", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
                ExecutionProperty={"MaxConcurrentRuns": 2},
            )  # fmt: skip
            glue.start_job_run(JobName="j", Arguments={"--run_date": "2026-11-23"})
            assert find_active_run(glue, "j", "2026-11-24") is None, "another day's run matched"
            same_day = glue.start_job_run(JobName="j", Arguments={"--run_date": "2026-11-24"})[
                "JobRunId"
            ]
            assert find_active_run(glue, "j", "2026-11-24") == (same_day, "STARTING")
        finally:
            state_manager.unset_transition("glue::job_run")


def test_job_arguments_are_the_glue_scripts_fixed_cli() -> None:
    args = EventlakeSettings().job.to_arguments("2026-11-24")
    assert list(args) == [
        "--run_date", "--raw_uri", "--lake_uri", "--quarantine_uri", "--reports_uri",
        "--grace_minutes", "--lookback_days", "--max_future_skew_s", "--max_event_age_days",
        "--parquet_codec", "--max_records_per_file",
    ]  # fmt: skip
    assert args["--run_date"] == "2026-11-24"


def test_manifest_summary_shows_the_days_counts() -> None:
    manifest = {
        "run_date": "2026-11-24",
        "raw_objects": {},
        "lake_partitions": [],
        "quarantine_partitions": [],
        "counts": {"raw_records_in": 100, "written": 90, "quarantined": 4, "invalid": 3, "synthetic_duplicates": 1,
                   "natural_duplicates": 5, "deferred": 1, "invalid_by_reason": {"bad_uuid": 3}},
        "late_events_by_partition": {"event_date=2026-11-23/event_type=app": 2},
        "reconciliation": {"raw_records_in": 100, "accounted": 100, "balanced": True,
                           "lake_rows_in_files": 90, "quarantine_rows_in_files": 4},
    }  # fmt: skip
    text = "\n".join(Manifest.from_dict(manifest).summary_lines())
    assert "100 raw records in" in text
    assert "written to the lake: 90 (late events for earlier days: 2)" in text
    assert "bad_uuid=3" in text
    assert "reconciled: True (100 in = 100 accounted)" in text
