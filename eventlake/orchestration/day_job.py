"""run_day_job: the Glue job for day D (aws) or the same script on local Spark (local).

aws: a retry or a rerun never starts a second Glue run for a day whose run is still
STARTING/RUNNING/WAITING; it reattaches to that run (apache/airflow#59075). Runs are matched on
their `--run_date` argument, so this also covers a manual clear from another DAG run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from collections.abc import Sequence
from typing import Any

from airflow.providers.amazon.aws.operators.glue import GlueJobOperator
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException

from eventlake.core.manifest import Manifest
from eventlake.orchestration.day import describe_day, parse_run_date

ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "WAITING"})
MAX_PAGES_SEARCHED = 4  # get_job_runs lists newest first; an active run is among the recent ones


def find_active_run(glue_client: Any, job_name: str, run_date: str) -> tuple[str, str] | None:
    """(run id, state) of a not-yet-finished run of the job for this run_date, if any."""
    token: str | None = None
    for _ in range(MAX_PAGES_SEARCHED):
        request: dict[str, Any] = {"JobName": job_name, "MaxResults": 50}
        if token:
            request["NextToken"] = token
        response = glue_client.get_job_runs(**request)
        for run in response.get("JobRuns", []):
            args = run.get("Arguments") or {}
            if args.get("--run_date") == run_date and run.get("JobRunState") in ACTIVE_STATES:
                return run["Id"], run["JobRunState"]
        token = response.get("NextToken")
        if not token:
            break
    return None


MANIFEST_COUNTS_KEY = "manifest_counts"


def log_manifest(log: Any, context: Any, reports_uri: str, run_date: str) -> dict[str, Any]:
    """Log the day's counts from the manifest and share them (XCom) with later tasks."""
    manifest = Manifest.read(reports_uri, parse_run_date(run_date))
    for line in manifest.summary_lines():
        log.info("%s", line)
    counts = manifest.to_dict()["counts"]
    context["ti"].xcom_push(key=MANIFEST_COUNTS_KEY, value=counts)
    return counts


class DayGlueJobOperator(GlueJobOperator):
    """GlueJobOperator that reattaches to an active run of the same day and logs the manifest."""

    def __init__(self, *, reports_uri: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reports_uri = reports_uri

    @property
    def run_date(self) -> str:
        return self.script_args["--run_date"]

    def execute(self, context: Any) -> str:
        self.log.info("run %s", describe_day(parse_run_date(self.run_date)))
        active = find_active_run(self.hook.conn, self.job_name, self.run_date)
        if active:
            run_id, state = active
            self.log.warning(
                "Glue run %s for run_date %s is still %s: reattaching to it, not starting a second run",
                run_id,
                self.run_date,
                state,
            )
            self._job_run_id = run_id
            context["ti"].xcom_push(key="glue_job_run_id", value=run_id)
        run_id = super().execute(context)  # defers when deferrable; then execute_complete
        log_manifest(self.log, context, self.reports_uri, self.run_date)
        return run_id

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> str:
        run_id = super().execute_complete(context, event)
        log_manifest(self.log, context, self.reports_uri, self.run_date)
        return run_id


def stream_command(
    command: list[str], log: Any, env: dict[str, str], cwd: str | None = None
) -> tuple[int, list[str]]:
    """Run a command, copying its output into the task log; returns (exit code, last lines)."""
    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            tail.append(line)
            log.info("%s", line)
        return proc.wait(), list(tail)


class LocalDayJobOperator(BaseOperator):
    """Runs the day job on local Spark with this interpreter and the Glue job's arguments:
    `python -m eventlake.dayjob`, or the Glue shell itself when `script` is set."""

    template_fields: Sequence[str] = ("script_args",)

    def __init__(
        self, *, script: str, script_args: dict[str, str], reports_uri: str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.script = script
        self.script_args = script_args
        self.reports_uri = reports_uri

    def command(self) -> list[str]:
        flat = [part for name, value in self.script_args.items() for part in (name, value)]
        entry = [self.script] if self.script else ["-m", "eventlake.dayjob"]
        return [sys.executable, *entry, *flat]

    def execute(self, context: Any) -> dict[str, Any]:
        run_date = self.script_args["--run_date"]
        self.log.info("run %s", describe_day(parse_run_date(run_date)))
        env = {
            **os.environ,
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable,
        }
        code, tail = stream_command(self.command(), self.log, env)
        if code != 0:
            raise AirflowException(
                f"day job for {run_date} exited with {code}; last lines:\n" + "\n".join(tail[-15:])
            )
        return log_manifest(self.log, context, self.reports_uri, run_date)
