"""publish: emit the Asset of the lake's events table, so downstream DAGs can schedule on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Asset, BaseOperator

from eventlake.orchestration.day_job import MANIFEST_COUNTS_KEY
from eventlake.orchestration.settings import EventlakeSettings

ASSET_NAME = "eventlake_events"


def events_asset(settings: EventlakeSettings) -> Asset:
    """`s3://<lake bucket>/.../events` in AWS, `file:///.../events` locally."""
    return Asset(name=ASSET_NAME, uri=settings.lake_table_uri, group="eventlake")


class PublishEventsOperator(BaseOperator):
    """Marks day D as published; the asset event's extra carries the day and its counts."""

    template_fields: Sequence[str] = ("run_date",)

    def __init__(self, *, run_date: str, asset: Asset, **kwargs: Any) -> None:
        super().__init__(outlets=[asset], **kwargs)
        self.run_date = run_date
        self.asset = asset

    def execute(self, context: Any) -> dict[str, Any]:
        counts = context["ti"].xcom_pull(task_ids="run_day_job", key=MANIFEST_COUNTS_KEY) or {}
        extra = {"run_date": self.run_date, "written": counts.get("written")}
        context["outlet_events"][self.asset].extra = extra
        self.log.info("published %s for run_date %s: %s", self.asset.uri, self.run_date, extra)
        return extra
