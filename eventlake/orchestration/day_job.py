"""run_day_job: the Glue job for day D (aws) or the same script on local Spark (local).

aws: a retry or a rerun never starts a second Glue run for a day whose run is still
STARTING/RUNNING/WAITING; it reattaches to that run (apache/airflow#59075). Runs are matched on
their `--run_date` argument, so this also covers a manual clear from another DAG run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
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
JOB_RUN_ID_KEY = "job_run_id"  # the run whose manifest the later tasks read


class StaleManifest(AirflowException):
    """The day's manifest was not written by the run this task waited for."""


def read_run_manifest(
    log: Any, context: Any, reports_uri: str, run_date: str, job_run_id: str
) -> dict[str, Any]:
    """Read run D's manifest, prove it is this run's, log its counts and share them (XCom)."""
    manifest = Manifest.read(reports_uri, parse_run_date(run_date))
    if manifest.job_run_id != job_run_id:
        raise StaleManifest(
            f"the manifest of {run_date} was written by run {manifest.job_run_id!r}, not by "
            f"{job_run_id!r}, the run this task waited for: the job did not finish its day"
        )
    for line in manifest.summary_lines():
        log.info("%s", line)
    counts = manifest.to_dict()["counts"]
    context["ti"].xcom_push(key=MANIFEST_COUNTS_KEY, value=counts)
    context["ti"].xcom_push(key=JOB_RUN_ID_KEY, value=job_run_id)
    return counts


class DayGlueJobOperator(GlueJobOperator):
    """GlueJobOperator that reattaches to an active run of the same day, fails unless the run
    SUCCEEDED (provider 9.34 lets STOPPED pass: apache/airflow#71490) and reads its manifest."""

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
        try:
            run_id = super().execute(context)  # defers when deferrable; then execute_complete
        except AirflowException:
            self.raise_unless_succeeded(self._job_run_id)
            raise
        return self.finish(context, run_id)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> str:
        run_id = (event or {}).get("run_id") or self._job_run_id
        try:
            super().execute_complete(context, event)
        except AirflowException:
            self.raise_unless_succeeded(run_id)
            raise
        return self.finish(context, run_id)

    def finish(self, context: Any, run_id: str) -> str:
        self.raise_unless_succeeded(run_id)
        read_run_manifest(self.log, context, self.reports_uri, self.run_date, run_id)
        return run_id

    def raise_unless_succeeded(self, run_id: str | None) -> None:
        """Fail naming the run, its state and Glue's error message, unless it SUCCEEDED."""
        if not run_id:
            return
        run = self.hook.conn.get_job_run(JobName=self.job_name, RunId=run_id)["JobRun"]
        state = run.get("JobRunState")
        if state != "SUCCEEDED":
            message = run.get("ErrorMessage") or "no error message from Glue"
            raise AirflowException(
                f"Glue run {run_id} of {self.job_name} for {self.run_date} ended {state}: {message}"
            )


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

    def command(self, job_run_id: str = "") -> list[str]:
        arguments = {**self.script_args, **({"--job_run_id": job_run_id} if job_run_id else {})}
        flat = [part for name, value in arguments.items() for part in (name, value)]
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
        job_run_id = f"local-{uuid.uuid4().hex[:16]}"
        code, tail = stream_command(self.command(job_run_id), self.log, env)
        if code != 0:
            raise AirflowException(
                f"day job {job_run_id} for {run_date} exited with {code}; last lines:\n"
                + "\n".join(tail[-15:])
            )
        return read_run_manifest(self.log, context, self.reports_uri, run_date, job_run_id)
