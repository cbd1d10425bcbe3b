"""events_daily: the nightly pipeline for the UTC day that just ended (wiring only).

Task construction lives in eventlake.orchestration; settings come from the Airflow config
section [eventlake] (AIRFLOW__EVENTLAKE__*). See docs/orchestration.md.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, chain

from eventlake.orchestration import DAG_ID
from eventlake.orchestration.settings import EventlakeSettings
from eventlake.orchestration.tasks import (
    DOC_MD,
    SCHEDULE,
    build_tasks,
    dag_tags,
    default_args,
)

settings = EventlakeSettings.from_airflow_conf()

with DAG(
    dag_id=DAG_ID,
    # A data-interval timetable: the 00:00 run covers [yesterday, today). Airflow 3's default
    # cron timetable would give a zero-length interval dated today instead.
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
    start_date=pendulum.parse(settings.start_date),
    catchup=True,
    max_active_runs=1,
    default_args=default_args(settings),
    doc_md=DOC_MD,
    tags=dag_tags(settings),
) as dag:
    tasks = build_tasks(settings)
    chain(
        tasks.wait_for_raw_window,
        tasks.run_day_job,
        tasks.register_partitions,
        tasks.quality_checks,
        tasks.publish,
    )
