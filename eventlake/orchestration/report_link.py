"""The "Soda report" button on the quality task: a link to the day's scan.md."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

from eventlake.core.layout import is_s3, soda_report_uri, split_s3


def report_url(reports_uri: str, event_date: str, region_name: str = "") -> str:
    """S3 console page of the report in AWS; a file:// URI locally."""
    uri = soda_report_uri(reports_uri, date.fromisoformat(event_date), "scan.md")
    if not is_s3(uri):
        return uri
    bucket, key = split_s3(uri)
    region = f"&region={region_name}" if region_name else ""
    return f"https://s3.console.aws.amazon.com/s3/object/{bucket}?prefix={quote(key)}{region}"


class SodaReportLink(BaseOperatorLink):
    """Computed when the task ends (pass or fail) from its rendered event_date."""

    name = "Soda report"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return report_url(
            operator.reports_uri, operator.event_date, getattr(operator, "region_name", "")
        )
