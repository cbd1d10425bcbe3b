"""The DAG's one configuration object, read from the Airflow config section [eventlake].

Every key can be set as `AIRFLOW__EVENTLAKE__<KEY>` (MWAA: airflow_configuration_options
`eventlake.<key>`). Nothing else in the orchestration code reads the environment. The day
job's keys (locations, grace, lookback, time bounds) and the quality thresholds are the
fields of DayJobParams and QualityThresholds, so their names and defaults live once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from eventlake.core.job_params import LOCATIONS, DayJobParams
from eventlake.core.layout import is_s3, lake_events_uri
from eventlake.core.values import kind_of, parse_value
from eventlake.quality.thresholds import QualityThresholds

SECTION = "eventlake"
TARGETS = ("aws", "local")
LOCAL_LOCATIONS = {
    "raw_uri": ".local/raw",
    "lake_uri": ".local/lake",
    "quarantine_uri": ".local/quarantine",
    "reports_uri": ".local/reports",
}


class SettingsError(ValueError):
    """A missing or malformed [eventlake] setting; the message names the key."""


@dataclass(frozen=True)
class EventlakeSettings:
    """Where the data lives, which AWS resources run it, and the quality thresholds."""

    target: str = "local"
    start_date: str = "2026-11-01"  # the first day catchup schedules (UTC)
    glue_job_name: str = "eventlake-events-daily"
    glue_database: str = "eventlake"
    athena_workgroup: str = "primary"
    athena_output_uri: str = ""
    alerts_topic_arn: str = ""
    region_name: str = ""  # empty: the AWS connection's / boto3's default
    aws_conn_id: str = "aws_default"
    firehose_buffer_minutes: int = 5  # the delivery stream's buffering interval
    catalog_path: str = ".local/catalog.duckdb"
    soda_python: str = ""  # empty: this interpreter (local); MWAA: the venv made by startup.sh
    local_job_script: str = ""  # empty: `python -m eventlake.dayjob` (the Glue shell's twin)
    deferrable: bool = True  # aws: Glue waits in the triggerer, not in a worker slot
    glue_poll_seconds: int = 60  # how often the Glue job run is polled
    retries: int = 2  # per task, with exponential backoff from 5 minutes
    job: DayJobParams = field(
        default_factory=lambda: DayJobParams(run_date=None, **LOCAL_LOCATIONS)
    )
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise SettingsError(f"[eventlake] target must be one of {TARGETS}, got {self.target!r}")
        if self.is_aws:
            for key in LOCATIONS:
                if not is_s3(getattr(self.job, key)):
                    raise SettingsError(f"[eventlake] {key} must be an s3:// URI on target aws")
        else:
            object.__setattr__(self, "catalog_path", str(Path(self.catalog_path).resolve()))

    @property
    def is_aws(self) -> bool:
        return self.target == "aws"

    @property
    def scan_python(self) -> str:
        return self.soda_python or sys.executable

    @property
    def lake_table_uri(self) -> str:
        """The URI of the events table: the Asset other DAGs schedule on."""
        return lake_events_uri(self.job.lake_uri)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> EventlakeSettings:
        """Build from strings (Airflow config values); unknown keys are kept in `extra`."""
        given = {k: v for k, v in values.items() if v is not None and v != ""}
        own = {f.name: f for f in fields(cls) if f.name not in ("job", "quality", "extra")}
        job_keys = {f.name for f in fields(DayJobParams)} - {"run_date"}
        quality_keys = {f.name: f.type for f in fields(QualityThresholds)}
        kwargs = {k: _coerce(k, v, own[k].type) for k, v in given.items() if k in own}
        try:
            job = {**LOCAL_LOCATIONS, **{k: v for k, v in given.items() if k in job_keys}}
            kwargs["job"] = DayJobParams.from_arguments(job, for_run=False)
            quality = {
                k: _coerce(k, v, quality_keys[k]) for k, v in given.items() if k in quality_keys
            }
            kwargs["quality"] = QualityThresholds.from_mapping(quality)
        except ValueError as exc:
            raise SettingsError(f"[eventlake] {exc}") from None
        known = set(own) | job_keys | set(quality_keys)
        extra = {k: str(v) for k, v in values.items() if k not in known}
        return cls(**kwargs, extra=extra)

    @classmethod
    def setting_names(cls) -> list[str]:
        """Every [eventlake] key this object reads."""
        own = [f.name for f in fields(cls) if f.name not in ("job", "quality", "extra")]
        job = [f.name for f in fields(DayJobParams) if f.name != "run_date"]
        return own + job + [f.name for f in fields(QualityThresholds)]

    @classmethod
    def from_airflow_conf(cls) -> EventlakeSettings:
        """Read the [eventlake] section (file and AIRFLOW__EVENTLAKE__* variables)."""
        from airflow.configuration import conf

        # getsection() ignores AIRFLOW__EVENTLAKE__* when airflow.cfg has no [eventlake]
        # section (MWAA's case), so every known key is asked for by name.
        section = {k.lower(): v for k, v in (conf.getsection(SECTION) or {}).items()}
        for name in cls.setting_names():
            section[name] = conf.get(SECTION, name, fallback=None)
        return cls.from_mapping(section)


def _coerce(key: str, raw: Any, annotation: Any) -> Any:
    kind = kind_of(annotation)
    try:
        return parse_value(str(raw), kind)
    except ValueError:
        raise SettingsError(
            f"[eventlake] {key} must be a {kind}, got {str(raw).strip()!r}"
        ) from None
