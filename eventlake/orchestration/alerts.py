"""The failure callback: publish to the SNS alerts topic in AWS, log a clear block locally."""

from __future__ import annotations

import logging
from typing import Any

from eventlake.orchestration.day import day_of_context, describe_day
from eventlake.orchestration.settings import EventlakeSettings

log = logging.getLogger(__name__)


def failure_message(context: Any) -> tuple[str, str]:
    """(subject, body) naming the DAG, the task, the covered day, the error and the log."""
    ti = context["ti"]
    try:
        day = describe_day(day_of_context(context))
    except (ValueError, TypeError):
        day = "covering an unknown day (no data interval)"
    error = context.get("exception")
    subject = f"[eventlake] {ti.dag_id}.{ti.task_id} failed"
    body = "\n".join(
        [
            f"Task {ti.task_id} of {ti.dag_id} failed, run {ti.run_id}, try {ti.try_number}.",
            f"The run is {day}.",
            f"Error: {error!r}" if error else "Error: (none recorded)",
            f"Log: {getattr(ti, 'log_url', '') or 'see the Airflow UI'}",
            "On-call guide: docs/orchestration.md (rerun = clear the failed task; "
            "the Glue step reattaches to a run still in progress).",
        ]
    )
    return subject[:100], body


class FailureAlert:
    """`on_failure_callback` for every task of the DAG."""

    def __init__(self, settings: EventlakeSettings) -> None:
        self.settings = settings

    def __call__(self, context: Any) -> None:
        subject, body = failure_message(context)
        if self.settings.is_aws and self.settings.alerts_topic_arn:
            self._publish(subject, body)
            return
        if self.settings.is_aws:
            log.error("no [eventlake] alerts_topic_arn set: the alert below was not sent")
        banner = "=" * 72
        log.error("\n%s\nEVENTLAKE ALERT: %s\n%s\n%s", banner, subject, body, banner)

    def _publish(self, subject: str, body: str) -> None:
        from airflow.providers.amazon.aws.hooks.sns import SnsHook

        hook = SnsHook(
            aws_conn_id=self.settings.aws_conn_id, region_name=self.settings.region_name or None
        )
        try:
            hook.publish_to_target(
                target_arn=self.settings.alerts_topic_arn, message=body, subject=subject
            )
        except Exception:  # an alert that cannot be sent must not hide the task's own error
            log.exception("could not publish the alert to %s", self.settings.alerts_topic_arn)
            log.error("%s\n%s", subject, body)
