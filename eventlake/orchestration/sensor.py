"""wait_for_raw_window: the day's raw window is closed (grace + Firehose buffer) and has data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator

from eventlake.core import storage
from eventlake.core.layout import (
    day_start,
    firehose_prefix,
    hour_prefixes,
    join_uri,
    window_closes,
)
from eventlake.orchestration.day import describe_day, parse_run_date


def window_closes_at(run_date_text: str, grace_minutes: int, buffer_minutes: int) -> datetime:
    """When the last object of run D's window can have landed in S3."""
    return window_closes(
        parse_run_date(run_date_text),
        timedelta(minutes=grace_minutes),
        timedelta(minutes=buffer_minutes),
    )


def first_raw_object(raw_uri: str, run_date_text: str) -> str | None:
    """The first hour prefix of day D that holds an object, or None."""
    start = day_start(parse_run_date(run_date_text))
    for prefix in hour_prefixes(firehose_prefix(), start, start + timedelta(days=1)):
        uri = join_uri(raw_uri, prefix)
        if storage.exists(uri):
            return uri
    return None


class RawWindowSensor(BaseSensorOperator):
    """Pokes in reschedule mode (no worker slot held between pokes) until the window is
    closed and day D has raw objects. Its timeout fails the task, which alerts."""

    template_fields: Sequence[str] = ("run_date",)

    def __init__(
        self, *, run_date: str, raw_uri: str, grace_minutes: int, buffer_minutes: int, **kwargs: Any
    ) -> None:
        kwargs.setdefault("mode", "reschedule")
        super().__init__(**kwargs)
        self.run_date = run_date
        self.raw_uri = raw_uri
        self.grace_minutes = grace_minutes
        self.buffer_minutes = buffer_minutes

    def poke(self, context: Any) -> bool:
        self.log.info("run %s", describe_day(parse_run_date(self.run_date)))
        closes = window_closes_at(self.run_date, self.grace_minutes, self.buffer_minutes)
        now = datetime.now(UTC)
        if now < closes:
            self.log.info(
                "raw window still open until %s (now %s)", closes.isoformat(), now.isoformat()
            )
            return False
        found = first_raw_object(self.raw_uri, self.run_date)
        if found is None:
            self.log.warning("no raw objects yet for %s under %s", self.run_date, self.raw_uri)
            return False
        self.log.info("raw window closed at %s; data found under %s", closes.isoformat(), found)
        return True
