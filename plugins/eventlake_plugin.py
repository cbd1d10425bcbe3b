"""Airflow plugin for MWAA: registers the quality task's "Soda report" and "Day report" links.

The links (eventlake.orchestration.report_link) are declared on the QualityChecksOperator,
which computes them when the task ends; the plugin makes the API server know the link
classes so the buttons show on the task.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from eventlake.orchestration.report_link import DayReportLink, SodaReportLink


class EventlakePlugin(AirflowPlugin):
    name = "eventlake"
    operator_extra_links = [SodaReportLink(), DayReportLink()]  # noqa: RUF012 (AirflowPlugin's attribute)
