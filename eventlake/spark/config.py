"""The day job's configuration: one object built from the job arguments in one place."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from eventlake.contract import DEFAULT_CONFIG, ContractConfig
from eventlake.layout import normalize_uri

REQUIRED_ARGUMENTS: tuple[str, ...] = (
    "run_date",
    "raw_uri",
    "lake_uri",
    "quarantine_uri",
    "reports_uri",
)
OPTIONAL_ARGUMENTS: dict[str, str] = {
    "grace_minutes": "60",
    "lookback_days": "7",
    "max_future_skew_s": "300",
    "max_event_age_days": "7",
}
PARQUET_CODECS = ("zstd", "snappy")
# Firehose names an object after its oldest record's arrival (truncated to the second); the
# other records arrived up to one buffering interval later. 900 s is Firehose's maximum.
FIREHOSE_MAX_BUFFER_S = 900.0


@dataclass(frozen=True)
class DayJobConfig:
    """Everything one run of the day job needs to know."""

    run_date: date
    raw_uri: str
    lake_uri: str
    quarantine_uri: str
    reports_uri: str
    grace: timedelta = timedelta(minutes=60)
    lookback_days: int = 7
    contract: ContractConfig = field(default=DEFAULT_CONFIG)
    parquet_codec: str = "zstd"
    # ~128 MB files: a lake row is ~73 bytes of zstd Parquet (benchmarks/bench_day_job.py, 8M).
    max_records_per_file: int = 1_750_000
    firehose_buffer_s: float = FIREHOSE_MAX_BUFFER_S

    def __post_init__(self) -> None:
        if self.grace < timedelta(0) or self.grace > timedelta(hours=24):
            raise ValueError("grace must be between 0 and 24 hours")
        if self.lookback_days < math.ceil(self.contract.max_event_age_s / 86400.0):
            raise ValueError(
                "lookback_days must cover max_event_age_days, or a late duplicate older "
                "than the lookback could reach the lake twice"
            )
        if self.parquet_codec not in PARQUET_CODECS:
            raise ValueError(f"parquet_codec must be one of {PARQUET_CODECS}")
        if self.max_records_per_file < 1:
            raise ValueError("max_records_per_file must be positive")
        for name in ("raw_uri", "lake_uri", "quarantine_uri", "reports_uri"):
            object.__setattr__(self, name, normalize_uri(getattr(self, name)))

    def validation_contract(self) -> ContractConfig:
        """The contract's time bounds against an object's arrival window.

        A record arrived somewhere in [object time, object time + buffer + 1 s]. "Too old"
        is measured from the object time (the earliest possible arrival) and "in the
        future" from the latest possible arrival, so the job never rejects a record that the
        transform, which knows each record's exact arrival, accepted.
        """
        return ContractConfig(
            max_future_skew_s=self.contract.max_future_skew_s + self.firehose_buffer_s + 1.0,
            max_event_age_s=self.contract.max_event_age_s,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_date": self.run_date.isoformat(),
            "raw_uri": self.raw_uri,
            "lake_uri": self.lake_uri,
            "quarantine_uri": self.quarantine_uri,
            "reports_uri": self.reports_uri,
            "grace_minutes": self.grace.total_seconds() / 60,
            "lookback_days": self.lookback_days,
            "max_future_skew_s": self.contract.max_future_skew_s,
            "max_event_age_days": self.contract.max_event_age_s / 86400.0,
            "parquet_codec": self.parquet_codec,
            "max_records_per_file": self.max_records_per_file,
            "firehose_buffer_s": self.firehose_buffer_s,
        }


def parse_grace(text: str) -> timedelta:
    """`60m`, `1h`, `90` (minutes), `0` -> timedelta."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mh]?)\s*", text)
    if not match:
        raise ValueError(f"bad grace {text!r}: use minutes like 60m or hours like 1h")
    value, unit = float(match.group(1)), match.group(2)
    return timedelta(hours=value) if unit == "h" else timedelta(minutes=value)


def config_from_arguments(args: dict[str, str]) -> DayJobConfig:
    """Build the config from the Glue job arguments (all values are strings)."""
    values = {**OPTIONAL_ARGUMENTS, **{k: v for k, v in args.items() if v is not None}}
    missing = [name for name in REQUIRED_ARGUMENTS if not values.get(name)]
    if missing:
        raise ValueError(f"missing job arguments: {', '.join('--' + m for m in missing)}")
    contract = ContractConfig(
        max_future_skew_s=float(values["max_future_skew_s"]),
        max_event_age_s=float(values["max_event_age_days"]) * 86400.0,
    )
    return DayJobConfig(
        run_date=date.fromisoformat(values["run_date"]),
        raw_uri=values["raw_uri"],
        lake_uri=values["lake_uri"],
        quarantine_uri=values["quarantine_uri"],
        reports_uri=values["reports_uri"],
        grace=parse_grace(str(values["grace_minutes"]) + "m"),
        lookback_days=int(values["lookback_days"]),
        contract=contract,
    )


def parse_local_arguments(argv: Sequence[str]) -> dict[str, str]:
    """Parse the Glue-style `--name value` arguments where `awsglue` is not installed."""
    parser = argparse.ArgumentParser(description="eventlake day job (local Spark)")
    for name in REQUIRED_ARGUMENTS:
        parser.add_argument(f"--{name}", required=True)
    for name, default in OPTIONAL_ARGUMENTS.items():
        parser.add_argument(f"--{name}", default=default)
    known, _ = parser.parse_known_args(list(argv))
    return vars(known)


def glue_argument_names(argv: Sequence[str]) -> list[str]:
    """The names to ask `getResolvedOptions` for: it rejects optional ones that are absent."""
    present = [name for name in OPTIONAL_ARGUMENTS if f"--{name}" in argv]
    return [*REQUIRED_ARGUMENTS, *present]


def job_arguments(config: DayJobConfig) -> list[str]:
    """The command-line arguments that reproduce a config (used by run-day and the DAG)."""
    return [
        f"--run_date={config.run_date.isoformat()}",
        f"--raw_uri={config.raw_uri}",
        f"--lake_uri={config.lake_uri}",
        f"--quarantine_uri={config.quarantine_uri}",
        f"--reports_uri={config.reports_uri}",
        f"--grace_minutes={config.grace.total_seconds() / 60:g}",
        f"--lookback_days={config.lookback_days}",
        f"--max_future_skew_s={config.contract.max_future_skew_s:g}",
        f"--max_event_age_days={config.contract.max_event_age_s / 86400.0:g}",
    ]
