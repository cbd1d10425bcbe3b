"""quality_checks: run the Soda scan for event_date D in a separate interpreter, then write
the day report (reports/days/D/index.html) in this one, whatever the checks found.

The scan always runs as `python -m eventlake.quality.scan` under `soda_python`: locally this
interpreter, on MWAA the venv startup.sh builds, because soda-core 4.28 (requests<2.34,
ruamel.yaml<0.19) cannot be installed into Airflow 3.3.1's constrained environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

import eventlake
from eventlake.core import storage
from eventlake.core.layout import soda_report_uri
from eventlake.orchestration.day import describe_day, parse_run_date
from eventlake.orchestration.day_job import stream_command
from eventlake.orchestration.report_link import (
    DayReportLink,
    SodaReportLink,
    day_report_url,
    report_url,
)
from eventlake.orchestration.settings import EventlakeSettings

EXIT_CHECKS_FAILED = 1
PACKAGE_ROOT = str(Path(eventlake.__file__).resolve().parents[1])


def scan_arguments(settings: EventlakeSettings, event_date: str) -> list[str]:
    return [
        "--target", settings.target,
        "--event_date", event_date,
        "--reports_uri", settings.job.reports_uri,
        "--catalog_path", settings.catalog_path,
        "--glue_database", settings.glue_database,
        "--athena_workgroup", settings.athena_workgroup,
        "--athena_output_uri", settings.athena_output_uri,
        "--region_name", settings.region_name,
        "--max_future_skew_s", f"{settings.job.max_future_skew_s:g}",
        "--max_event_age_days", f"{settings.job.max_event_age_days:g}",
        *settings.quality.to_arguments(),
    ]  # fmt: skip


def scan_environment() -> dict[str, str]:
    """The scan's interpreter finds eventlake where Airflow found it (plugins/ on MWAA)."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": PACKAGE_ROOT + (os.pathsep + path if path else ""),
        "SODA_CORE_TELEMETRY_ENABLED": "false",
    }


class QualityChecksOperator(BaseOperator):
    """Fails (without retrying) when a check fails, naming the checks; warnings only log."""

    template_fields: Sequence[str] = ("event_date",)
    operator_extra_links = (SodaReportLink(), DayReportLink())

    def __init__(self, *, event_date: str, settings: EventlakeSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_date = event_date
        self.settings = settings
        self.reports_uri = settings.job.reports_uri
        self.region_name = settings.region_name

    def command(self) -> list[str]:
        python = self.settings.scan_python
        return [
            python,
            "-m",
            "eventlake.quality.scan",
            *scan_arguments(self.settings, self.event_date),
        ]

    def execute(self, context: Any) -> dict[str, Any]:
        day = parse_run_date(self.event_date)
        self.log.info("quality checks of event_date %s, run %s", self.event_date, describe_day(day))
        code, tail = stream_command(self.command(), self.log, scan_environment())
        self._write_day_report(day)  # also when the scan failed or crashed: on-call reads it
        report = self._read_report(day)
        if report is None:
            raise AirflowException(
                f"the Soda scan for {self.event_date} wrote no report (exit {code}); last lines:\n"
                + "\n".join(tail[-15:])
            )
        from eventlake.quality.report import summary_lines  # no soda import: safe on MWAA

        summary = "\n".join(summary_lines(report))
        link = report_url(self.reports_uri, self.event_date, self.region_name)
        if code == EXIT_CHECKS_FAILED or report["outcome"] == "failed":
            raise AirflowFailException(f"{summary}\nreport: {link}")
        if code != 0:
            raise AirflowException(f"the Soda scan exited with {code}:\n" + "\n".join(tail[-15:]))
        self.log.info("%s\nreport: %s", summary, link)
        return {"outcome": report["outcome"], "counts": report["counts"]}

    def _write_day_report(self, day: date) -> None:
        """The page is for people: a page that cannot be drawn is a warning, not a failed day."""
        from eventlake.quality.day_report import write_day_report

        try:
            write_day_report(self.reports_uri, day)
        except Exception:
            self.log.warning("the day report of %s could not be written", day, exc_info=True)
            return
        self.log.info(
            "day report: %s", day_report_url(self.reports_uri, self.event_date, self.region_name)
        )

    def _read_report(self, day: date) -> dict[str, Any] | None:
        uri = soda_report_uri(self.reports_uri, day, "scan.json")
        if not storage.exists(uri):
            return None
        report = json.loads(storage.read_bytes(uri))
        return report if report.get("event_date") == self.event_date else None
