"""Which UTC day a run covers, and how that day is written into templates and logs.

The DAG uses CronDataIntervalTimetable("0 0 * * *"): the run that starts at 2026-11-25T00:00
has the data interval [2026-11-24, 2026-11-25) and processes run_date 2026-11-24. (Airflow 3's
CronTriggerTimetable would give a zero-length interval whose logical date is the *next* day.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

# Rendered by Jinja in every task's templated fields, so the day shows in "Rendered Template".
RUN_DATE_TEMPLATE = "{{ data_interval_start.strftime('%Y-%m-%d') }}"


def covered_day(data_interval_start: datetime) -> date:
    """The UTC day a run processes: the start of its (one-day) data interval."""
    return data_interval_start.astimezone(UTC).date()


def day_of_context(context: Any) -> date:
    start = context.get("data_interval_start")
    if start is None:
        raise ValueError("this run has no data interval; trigger it for a schedule date")
    return covered_day(start)


def describe_day(run_date: date) -> str:
    """One line for task logs and the run note: what this run covers."""
    end = run_date + timedelta(days=1)
    return (
        f"covering UTC day {run_date.isoformat()} "
        f"(events that arrived {run_date.isoformat()}T00:00Z .. {end.isoformat()}T00:00Z, "
        f"plus the grace period)"
    )


def parse_run_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad run_date {text!r}: expected YYYY-MM-DD") from None
