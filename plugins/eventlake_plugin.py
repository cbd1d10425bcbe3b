"""Airflow plugin for MWAA: registers the quality task's "Soda report" link with the UI.

The link itself (eventlake.orchestration.report_link.SodaReportLink) is declared on the
QualityChecksOperator, which computes it when the task ends; the plugin makes the API server
know the link class so the button shows on the task.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from eventlake.orchestration.report_link import SodaReportLink


class EventlakePlugin(AirflowPlugin):
    name = "eventlake"
    operator_extra_links = [SodaReportLink()]  # noqa: RUF012 (AirflowPlugin's attribute)
