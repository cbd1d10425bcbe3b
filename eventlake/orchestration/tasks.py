"""The five tasks of events_daily for the configured target, and the DAG's defaults and docs.

Both targets build the same task ids in the same order (write, audit, publish); only the
Glue job, the Soda engine and the catalog differ:

    wait_for_raw_window -> run_day_job -> register_partitions -> quality_checks -> publish
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseOperator

from eventlake.orchestration.alerts import FailureAlert
from eventlake.orchestration.catalog_steps import (
    PublishOperator,
    RegisterPartitionsOperator,
    events_asset,
)
from eventlake.orchestration.day import RUN_DATE_TEMPLATE
from eventlake.orchestration.day_job import DayGlueJobOperator, LocalDayJobOperator
from eventlake.orchestration.quality import QualityChecksOperator
from eventlake.orchestration.sensor import RawWindowSensor
from eventlake.orchestration.settings import EventlakeSettings

SCHEDULE = "0 0 * * *"
OWNER = "data-platform"
TASK_ORDER = (
    "wait_for_raw_window",
    "run_day_job",
    "register_partitions",
    "quality_checks",
    "publish",
)
WAIT_TIMEOUT = timedelta(hours=6)


def dag_tags(settings: EventlakeSettings) -> list[str]:
    return ["eventlake", "glue", "soda", f"target:{settings.target}"]


def default_args(settings: EventlakeSettings) -> dict[str, Any]:
    return {
        "owner": OWNER,
        "depends_on_past": True,  # day D+1 waits for day D: the dedupe reads earlier days
        "retries": settings.retries,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=45),
        "execution_timeout": timedelta(hours=1),
        "on_failure_callback": FailureAlert(settings),
    }


@dataclass(frozen=True)
class EventsDailyTasks:
    wait_for_raw_window: BaseOperator
    run_day_job: BaseOperator
    register_partitions: BaseOperator
    quality_checks: BaseOperator
    publish: BaseOperator

    def in_order(self) -> list[BaseOperator]:
        return [getattr(self, task_id) for task_id in TASK_ORDER]


def _wait(settings: EventlakeSettings) -> BaseOperator:
    return RawWindowSensor(
        task_id="wait_for_raw_window",
        run_date=RUN_DATE_TEMPLATE,
        raw_uri=settings.job.raw_uri,
        grace_minutes=settings.job.grace_minutes,
        buffer_minutes=settings.firehose_buffer_minutes,
        poke_interval=300,
        timeout=WAIT_TIMEOUT.total_seconds(),  # then the task fails, and the callback alerts
        execution_timeout=None,  # the sensor's own timeout rules
        retries=0,
    )


def _day_job(settings: EventlakeSettings) -> BaseOperator:
    common = {"task_id": "run_day_job", "execution_timeout": timedelta(hours=3)}
    if settings.is_aws:
        return DayGlueJobOperator(
            job_name=settings.glue_job_name,
            script_args=settings.job.to_arguments(RUN_DATE_TEMPLATE),
            reports_uri=settings.job.reports_uri,
            aws_conn_id=settings.aws_conn_id,
            region_name=settings.region_name or None,
            deferrable=settings.deferrable,
            waiter_delay=settings.glue_poll_seconds,
            job_poll_interval=settings.glue_poll_seconds,
            waiter_max_attempts=int(
                timedelta(hours=3).total_seconds() // settings.glue_poll_seconds
            ),
            wait_for_completion=True,
            stop_job_run_on_kill=False,  # a killed worker must not kill the day's Glue run
            **common,
        )
    return LocalDayJobOperator(
        script=settings.local_job_script,
        script_args=settings.job.to_arguments(RUN_DATE_TEMPLATE),
        reports_uri=settings.job.reports_uri,
        **common,
    )


def build_tasks(settings: EventlakeSettings) -> EventsDailyTasks:
    """Create the tasks inside the active DAG context; the caller chains them."""
    return EventsDailyTasks(
        wait_for_raw_window=_wait(settings),
        run_day_job=_day_job(settings),
        register_partitions=RegisterPartitionsOperator(
            task_id="register_partitions",
            run_date=RUN_DATE_TEMPLATE,
            settings=settings,
            execution_timeout=timedelta(minutes=15),
        ),
        quality_checks=QualityChecksOperator(
            task_id="quality_checks",
            event_date=RUN_DATE_TEMPLATE,
            settings=settings,
            execution_timeout=timedelta(minutes=30),
        ),
        publish=PublishOperator(
            task_id="publish",
            run_date=RUN_DATE_TEMPLATE,
            settings=settings,
            asset=events_asset(settings),
            execution_timeout=timedelta(minutes=15),
        ),
    )


DOC_MD = """
# events_daily

Processes **the UTC day that just ended**: the run scheduled at `2026-11-25T00:00Z` has the
data interval `[2026-11-24, 2026-11-25)` and covers **run_date 2026-11-24**. Every task logs
the day it covers, and the day is visible in each task's *Rendered Template*.

Write, audit, publish: analysts query `events`, which gets run D's partitions only after
Soda passed on them in `events_audit`.

| task | what it does | when it fails |
|---|---|---|
| `wait_for_raw_window` | waits (reschedule mode) until midnight + grace + Firehose buffer has passed and day D has raw objects | after 6 h: Firehose or the producer is down; check the delivery stream |
| `run_day_job` | Glue job `glue_jobs/events_daily.py --run_date D ...`; fails unless the run SUCCEEDED; reads the manifest that run wrote and logs its counts | read the Glue run link; a retry **reattaches** to a run still in progress |
| `register_partitions` | adds run D's partitions to `events_audit`, `quarantine` and `manifests` (Glue API / DuckDB catalog); changes no column | usually transient (Glue API); clear the task |
| `quality_checks` | Soda contract on `event_date=D` in `events_audit` | the day is **not published**; the log names the failed checks; the *Soda report* button opens the day's report |
| `publish` | adds exactly the audited partitions of run D to `events`; emits the `eventlake_events` Asset | - |

**A day that failed its checks:** fix the cause (usually: rerun the day, by clearing
`run_day_job` and downstream), and the rerun publishes it. To publish the day as it is after
review, mark `quality_checks` as success and clear `publish`.

**Rerun a day:** clear the failed task (downstream included). The Glue job replaces exactly the
`run_date=D` directories and the catalog steps replace exactly run D's partitions, so a rerun
never doubles data. **Backfill:**
`airflow backfill create --dag-id events_daily --from-date 2026-11-01 --to-date 2026-11-07`
(days run in order: `depends_on_past`). Full guide: `docs/orchestration.md`.
"""
