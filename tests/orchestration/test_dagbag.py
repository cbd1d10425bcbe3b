"""The DAG file parses, and its shape is what the on-call guide promises."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from eventlake.orchestration.tasks import OWNER, TASK_ORDER

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    from tests.orchestration.conftest import REPO

    return DagBag(dag_folder=str(REPO / "dags"))


def test_dag_file_has_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}, f"DAG import errors: {dagbag.import_errors}"


def test_events_daily_runs_at_midnight_with_catchup(dagbag) -> None:
    dag = dagbag.dags.get("events_daily")
    assert dag is not None, "DAG events_daily not found"
    assert dag.timetable.expression == "0 0 * * *"
    assert str(dag.timetable.timezone) in ("UTC", "Timezone('UTC')")
    assert dag.catchup is True
    assert dag.max_active_runs == 1


def test_tasks_run_in_the_documented_order(dagbag) -> None:
    dag = dagbag.dags.get("events_daily")
    order = [t.task_id for t in dag.topological_sort()]
    assert order == list(TASK_ORDER)
    for upstream, downstream in itertools.pairwise(TASK_ORDER):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}


def test_every_task_has_owner_retries_and_days_in_order(dagbag) -> None:
    dag = dagbag.dags.get("events_daily")
    assert "eventlake" in dag.tags
    assert "the UTC day that just ended" in dag.doc_md
    assert "Rerun a day" in dag.doc_md
    for task in dag.tasks:
        assert task.owner == OWNER, task.task_id
        assert task.depends_on_past, f"{task.task_id} must wait for the previous day"
        assert task.on_failure_callback, f"{task.task_id} has no failure alert"
    retried = {t.task_id for t in dag.tasks if t.retries >= 1 and t.retry_exponential_backoff}
    assert {"run_day_job", "register_partitions", "quality_checks", "publish"} <= retried
    timed = {t.task_id for t in dag.tasks if t.execution_timeout is not None}
    assert {"run_day_job", "register_partitions", "quality_checks", "publish"} <= timed
    assert dag.get_task("wait_for_raw_window").timeout > 0


def test_the_midnight_run_covers_the_day_that_just_ended(dagbag) -> None:
    from airflow.serialization.encoders import coerce_to_core_timetable

    from eventlake.orchestration.day import covered_day

    timetable = coerce_to_core_timetable(dagbag.dags["events_daily"].timetable)
    interval = timetable.infer_manual_data_interval(run_after=datetime(2026, 11, 25, tzinfo=UTC))
    assert covered_day(interval.start) == date(2026, 11, 24)
    assert interval.end - interval.start == timedelta(days=1)
