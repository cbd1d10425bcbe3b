"""A real dag.test() of events_daily on the local target: generated day -> Spark job -> the
DuckDB catalog's audit table -> Soda -> publish -> Asset. Then a day with a planted fault:
quality_checks fails and the day is not published."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from eventlake.core.layout import lake_events_uri, local_path, manifest_uri, soda_report_uri
from eventlake.core.tables import type_tables
from eventlake.local.demo import DemoPaths
from eventlake.tools.generator import DaySpec, write_firehose_day
from tests.orchestration.conftest import load_dag_module

pytestmark = [pytest.mark.airflow, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(600)]

DAY = date(2026, 11, 24)
RUN_LOGICAL_DATE = datetime(2026, 11, 25, tzinfo=UTC)  # the midnight run that covers DAY


def local_settings(root: Path) -> dict[str, str]:
    return {**DemoPaths(root).settings(), "start_date": "2026-11-20"}


def task_states(dag_run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


@pytest.fixture(scope="module")
def fresh_airflow_db(airflow_db) -> None:
    """A metadata DB of its own: an earlier module's run of events_daily (the AWS target's,
    with s3:// locations) leaves the Asset of that name active, and Airflow then keeps this
    run's Asset (the same name, a file:// URI) inactive, so publish could not emit it."""
    from airflow.utils.db import resetdb

    resetdb()


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, fresh_airflow_db):
    root = tmp_path_factory.mktemp("local-run")
    # seed 29 plants a record created 300.006 s after its object's time: valid for the job
    # (ContractConfig.for_object_arrival), and the quality check must agree
    truth = write_firehose_day(DaySpec(DAY, 5000, seed=29), str(root / "raw"), workers=1)
    with pytest.MonkeyPatch.context() as mp:
        module = load_dag_module(mp, **local_settings(root))
        dag_run = module.dag.test(logical_date=RUN_LOGICAL_DATE)
    return root, truth, dag_run


def test_every_task_succeeds(clean_run) -> None:
    _, _, dag_run = clean_run
    states = task_states(dag_run)
    assert set(states.values()) == {"success"}, f"task states: {states}"


def test_quality_task_links_to_the_days_report(clean_run) -> None:
    root, _, dag_run = clean_run
    ti = next(t for t in dag_run.get_task_instances() if t.task_id == "quality_checks")
    link = ti.xcom_pull(task_ids="quality_checks", key="_link_SodaReportLink")
    assert link == soda_report_uri(str(root / "reports"), DAY, "scan.md")


def test_lake_partition_and_reconciled_manifest(clean_run) -> None:
    root, truth, _ = clean_run
    partition = local_path(lake_events_uri(str(root / "lake"))) / f"event_date={DAY.isoformat()}"
    assert list(partition.glob("event_type=*/run_date=*/*.parquet")), "no lake files for the day"
    manifest = json.loads(local_path(manifest_uri(str(root / "reports"), DAY)).read_text())
    assert manifest["reconciliation"]["balanced"] is True
    assert manifest["counts"]["written"] == truth["valid_unique"]


def test_soda_reports_pass_and_are_readable(clean_run) -> None:
    root, _, _ = clean_run
    report = json.loads(
        local_path(soda_report_uri(str(root / "reports"), DAY, "scan.json")).read_text()
    )
    assert report["outcome"] in ("passed", "warned"), report["counts"]
    assert report["counts"]["failed"] == 0
    assert len(report["checks"]) >= 15
    markdown = local_path(soda_report_uri(str(root / "reports"), DAY, "scan.md")).read_text()
    assert f"event_date {DAY.isoformat()}" in markdown
    assert "no duplicate event_uuid" in markdown


def test_catalog_events_view_holds_the_days_unique_valid_events(clean_run) -> None:
    root, truth, _ = clean_run
    expected = sum(truth["valid_unique_by_event_date_type"][DAY.isoformat()].values())
    with duckdb.connect(str(root / "catalog.duckdb"), read_only=True) as con:
        (count,) = con.execute("SELECT count(*) FROM events WHERE event_date = ?", [DAY]).fetchone()
        (quarantined,) = con.execute("SELECT count(*) FROM quarantine").fetchone()
        (manifests,) = con.execute("SELECT count(*) FROM manifests").fetchone()
    assert count == expected
    assert quarantined == truth["invalid_total"] + truth["synthetic_duplicates"]
    assert manifests == 1


def test_each_planned_type_has_its_days_events_with_typed_columns(clean_run) -> None:
    """The real job's files, registered and published: events_<type> over its type's files."""
    root, truth, _ = clean_run
    by_type = truth["valid_unique_by_event_date_type"][DAY.isoformat()]
    with duckdb.connect(str(root / "catalog.duckdb"), read_only=True) as con:
        for spec in type_tables():
            sql = f"SELECT count(*) FROM {spec.name} WHERE event_date = ?"
            assert con.execute(sql, [DAY]).fetchone() == (by_type.get(spec.event_type, 0),)
        typed = (
            "SELECT count(amount), count(items[1].sku), "
            "count(*) FILTER (WHERE NOT list_has_any(schema_violations, "
            "['amount:wrong_type', 'amount:missing_field'])), "
            "count(*) FILTER (WHERE NOT list_has_any(schema_violations, "
            "['items:wrong_type', 'items:missing_field'])) "
            "FROM events_payment WHERE event_date = ?"
        )
        (amounts, skus, amount_fits, items_fit) = con.execute(typed, [DAY]).fetchone()
    # Typed values are there exactly where the plan check found the field fits.
    assert (amounts, skus) == (amount_fits, items_fit), "a typed column reads NULL"
    assert amounts > 0


def plant_duplicate_file(lake: Path) -> Path:
    """A buggy extra writer copies one of the day's files into the partition: the job's own
    contract checks never saw it, so only the quality checks can catch it."""
    partition = local_path(lake_events_uri(str(lake))) / f"event_date={DAY.isoformat()}"
    original = sorted(partition.glob("event_type=*/run_date=*/*.parquet"))[0]
    copy = original.with_name("part-99999-buggy-extra-writer.parquet")
    shutil.copy(original, copy)
    return copy


def test_a_planted_duplicate_file_fails_quality_checks_and_is_not_published(
    clean_run, tmp_path
) -> None:
    root, _, _ = clean_run
    faulty = tmp_path / "faulty"
    shutil.copytree(root / "raw", faulty / "raw")
    from eventlake.orchestration import day_job

    real_execute = day_job.LocalDayJobOperator.execute

    def job_then_buggy_writer(self, context):
        counts = real_execute(self, context)
        plant_duplicate_file(faulty / "lake")  # after the job, before the audit
        return counts

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(day_job.LocalDayJobOperator, "execute", job_then_buggy_writer)
        module = load_dag_module(mp, **local_settings(faulty))
        dag_run = module.dag.test(logical_date=RUN_LOGICAL_DATE)
    states = task_states(dag_run)
    assert states["register_partitions"] == "success"
    assert states["quality_checks"] == "failed", states
    assert states["publish"] == "upstream_failed", "a bad day must not be published"
    report = json.loads(
        local_path(soda_report_uri(str(faulty / "reports"), DAY, "scan.json")).read_text()
    )
    failed = {c["name"] for c in report["checks"] if c["outcome"] == "failed"}
    assert "no duplicate event_uuid" in failed
    assert "lake rows of the day's run match the manifest" in failed
    with duckdb.connect(str(faulty / "catalog.duckdb"), read_only=True) as con:
        (audited,) = con.execute("SELECT count(*) FROM events_audit").fetchone()
        (published,) = con.execute("SELECT count(*) FROM events").fetchone()
    assert audited > 0
    assert published == 0, "analysts would see a day that failed its checks"
