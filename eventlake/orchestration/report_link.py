"""The quality task's buttons: "Soda report" (the day's scan.md) and "Day report" (its page)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

from eventlake.core.layout import day_report_uri, is_s3, soda_report_uri, split_s3


def console_url(uri: str, region_name: str = "") -> str:
    """S3 console page of an object in AWS; the URI itself locally (file://)."""
    if not is_s3(uri):
        return uri
    bucket, key = split_s3(uri)
    region = f"&region={region_name}" if region_name else ""
    return f"https://s3.console.aws.amazon.com/s3/object/{bucket}?prefix={quote(key)}{region}"


def report_url(reports_uri: str, event_date: str, region_name: str = "") -> str:
    """Where the day's Soda report (scan.md) opens."""
    uri = soda_report_uri(reports_uri, date.fromisoformat(event_date), "scan.md")
    return console_url(uri, region_name)


def day_report_url(reports_uri: str, event_date: str, region_name: str = "") -> str:
    """Where the day report (reports/days/D/index.html) opens."""
    return console_url(day_report_uri(reports_uri, date.fromisoformat(event_date)), region_name)


class SodaReportLink(BaseOperatorLink):
    """Computed when the task ends (pass or fail) from its rendered event_date."""

    name = "Soda report"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return report_url(
            operator.reports_uri, operator.event_date, getattr(operator, "region_name", "")
        )


class DayReportLink(BaseOperatorLink):
    """The day report with its plots, beside the Soda report."""

    name = "Day report"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return day_report_url(
            operator.reports_uri, operator.event_date, getattr(operator, "region_name", "")
        )
