"""The day job's entry points: the Glue shell and `python -m eventlake.dayjob` both end here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eventlake.core.job_params import DayJobParams
from eventlake.core.manifest import Manifest

# Each stage's start is logged with this prefix (Glue's driver log, the local task log);
# the demo draws its progress bar from these lines.
STAGE_LOG_PREFIX = "eventlake day job stage: "
# The stages run_day_job times, in order (set_aside_unreadable only on a day with bad objects).
STAGES = (
    "list",
    "read_validate",
    "dedupe",
    "count",
    "write_staging",
    "write_quarantine",
    "figures",
    "verify",
    "publish",
    "manifest",
)


def log_stage(name: str) -> None:
    print(f"{STAGE_LOG_PREFIX}{name}", flush=True)


def run(spark: Any, params: DayJobParams) -> Manifest:
    """Run the day and print its counts as one JSON line (the last line of the job's log)."""
    from eventlake.dayjob.job import run_day_job

    manifest = run_day_job(spark, params, on_stage=log_stage)
    counts = manifest.to_dict()["counts"]
    print(json.dumps({"run_date": manifest.run_date.isoformat(), **counts}))
    return manifest


def run_locally(argv: Sequence[str]) -> Manifest:
    """The Glue job's arguments on a local SparkSession (a laptop, CI, the local target)."""
    from eventlake.dayjob.session import local_session

    return run(local_session(), DayJobParams.from_argv(argv))
