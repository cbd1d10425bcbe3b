"""The DAG's one configuration object, read from the Airflow config section [eventlake].

Every key can be set as `AIRFLOW__EVENTLAKE__<KEY>` (MWAA: airflow_configuration_options
`eventlake.<key>`). Nothing else in the orchestration code reads the environment.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from eventlake.layout import is_s3, lake_events_uri, normalize_uri

SECTION = "eventlake"
TARGETS = ("aws", "local")
REPO_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(ValueError):
    """A missing or malformed [eventlake] setting; the message names the key."""


@dataclass(frozen=True)
class EventlakeSettings:
    """Where the data lives, which AWS resources run it, and the quality thresholds."""

    target: str = "local"
    start_date: str = "2026-11-01"  # the first day catchup schedules (UTC)
    raw_uri: str = ".local/raw"
    lake_uri: str = ".local/lake"
    quarantine_uri: str = ".local/quarantine"
    reports_uri: str = ".local/reports"
    glue_job_name: str = "eventlake-events-daily"
    crawler_name: str = "eventlake-events"
    glue_database: str = "eventlake"
    athena_workgroup: str = "primary"
    athena_output_uri: str = ""
    alerts_topic_arn: str = ""
    region_name: str = ""  # empty: the AWS connection's / boto3's default
    aws_conn_id: str = "aws_default"
    grace_minutes: int = 60
    lookback_days: int = 7
    max_future_skew_s: float = 300.0
    max_event_age_days: float = 7.0
    firehose_buffer_minutes: int = 5  # the delivery stream's buffering interval
    catalog_path: str = ".local/catalog.duckdb"
    soda_python: str = ""  # empty: this interpreter (local); MWAA: the venv made by startup.sh
    local_job_script: str = str(REPO_ROOT / "glue_jobs" / "events_daily.py")
    deferrable: bool = True  # aws: Glue waits in the triggerer, not in a worker slot
    glue_poll_seconds: int = 60  # how often the Glue job run and the crawl are polled
    # quality thresholds (see eventlake.quality.contract)
    volume_band_low: float = 0.5
    volume_band_high: float = 2.0
    volume_trailing_days: int = 7
    freshness_warn_hours: float = 1.0
    freshness_fail_hours: float = 3.0
    quarantine_warn_ratio: float = 0.01
    quarantine_fail_ratio: float = 0.05
    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise SettingsError(f"[eventlake] target must be one of {TARGETS}, got {self.target!r}")
        if self.target == "aws":
            for key in ("raw_uri", "lake_uri", "quarantine_uri", "reports_uri"):
                if not is_s3(getattr(self, key)):
                    raise SettingsError(f"[eventlake] {key} must be an s3:// URI on target aws")
        else:
            for key in ("raw_uri", "lake_uri", "quarantine_uri", "reports_uri"):
                object.__setattr__(self, key, normalize_uri(getattr(self, key)))
            object.__setattr__(self, "catalog_path", str(Path(self.catalog_path).resolve()))
        if not 0 < self.quarantine_warn_ratio <= self.quarantine_fail_ratio:
            raise SettingsError(
                "[eventlake] need 0 < quarantine_warn_ratio <= quarantine_fail_ratio"
            )
        if not 0 < self.freshness_warn_hours <= self.freshness_fail_hours:
            raise SettingsError("[eventlake] need 0 < freshness_warn_hours <= freshness_fail_hours")

    @property
    def is_aws(self) -> bool:
        return self.target == "aws"

    @property
    def scan_python(self) -> str:
        return self.soda_python or sys.executable

    @property
    def lake_table_uri(self) -> str:
        """The URI of the events table: the Asset other DAGs schedule on."""
        return lake_events_uri(self.lake_uri)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> EventlakeSettings:
        """Build from strings (Airflow config values); unknown keys are kept in `extra`."""
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            spec = known.get(key)
            if spec is None or raw is None or raw == "":
                continue
            kwargs[key] = _coerce(key, raw, spec.type)
        extra = {k: str(v) for k, v in values.items() if k not in known}
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_airflow_conf(cls) -> EventlakeSettings:
        """Read the [eventlake] section (file and AIRFLOW__EVENTLAKE__* variables)."""
        from airflow.configuration import conf

        # getsection() ignores AIRFLOW__EVENTLAKE__* when airflow.cfg has no [eventlake]
        # section (MWAA's case), so every known key is asked for by name.
        section = {k.lower(): v for k, v in (conf.getsection(SECTION) or {}).items()}
        for name in (f.name for f in fields(cls) if f.name != "extra"):
            section[name] = conf.get(SECTION, name, fallback=None)
        return cls.from_mapping(section)


def _coerce(key: str, raw: Any, annotation: Any) -> Any:
    kind = str(annotation)
    text = str(raw).strip()
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise SettingsError(f"[eventlake] {key} must be a {kind}, got {text!r}") from None
    return text
