"""The day job's parameters: one codec shared by the DAG, the CLI, the Glue shell and Terraform.

Glue passes job arguments as `--name value` strings: Terraform sets the defaults on the job
(every key but `--run_date`), the DAG adds `--run_date` per run, and the Glue shell (or
`eventlake run-day`) turns them back into this object. `to_arguments` and
`from_arguments` are the only two places that know the argument names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from eventlake.core.contract import ContractConfig
from eventlake.core.layout import RunLocations, normalize_uri
from eventlake.core.values import kind_of, parse_value, value_text

ARGUMENT_PREFIX = "--"
RUN_DATE = "run_date"
LOCATIONS: tuple[str, ...] = ("raw_uri", "lake_uri", "quarantine_uri", "reports_uri")
PARQUET_CODECS = ("zstd", "snappy")


@dataclass(frozen=True)
class DayJobParams:
    """Everything one run of the day job is told. `run_date` is None only for the job's
    defaults (what Terraform sets on the Glue job); a run always has one."""

    run_date: date | None
    raw_uri: str
    lake_uri: str
    quarantine_uri: str
    reports_uri: str
    grace_minutes: float = 60.0  # how far past midnight run D peeks for its stragglers
    lookback_days: int = 7  # earlier lake days the dedupe reads
    max_future_skew_s: float = 300.0
    max_event_age_days: float = 7.0
    parquet_codec: str = "zstd"
    # ~128 MB files: a lake row is ~73 bytes of zstd Parquet (benchmarks/bench_day_job.py, 8M).
    max_records_per_file: int = 1_750_000
    # Which run wrote the outputs: Glue's JOB_RUN_ID, or the local operator's own id. The
    # manifest records it, so the DAG never takes an earlier run's manifest for this run's.
    job_run_id: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.grace_minutes <= 24 * 60:
            raise ValueError("grace_minutes must be between 0 and 1440 (24 hours)")
        if self.lookback_days < math.ceil(self.max_event_age_days):
            raise ValueError(
                "lookback_days must cover max_event_age_days, or a late duplicate older "
                "than the lookback could reach the lake twice"
            )
        if self.parquet_codec not in PARQUET_CODECS:
            raise ValueError(f"parquet_codec must be one of {PARQUET_CODECS}")
        if self.max_records_per_file < 1:
            raise ValueError("max_records_per_file must be positive")
        self.contract  # noqa: B018 - validates the time bounds now, not at first use
        for name in LOCATIONS:
            object.__setattr__(self, name, normalize_uri(getattr(self, name)))

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)

    @cached_property
    def contract(self) -> ContractConfig:
        """The contract's time bounds as the Lambda applies them."""
        return ContractConfig(self.max_future_skew_s, self.max_event_age_days * 86400.0)

    @cached_property
    def locations(self) -> RunLocations:
        """Every location of run D, computed once."""
        if self.run_date is None:
            raise ValueError("the job's defaults have no run_date, so no run locations")
        return RunLocations.of(
            self.run_date, self.raw_uri, self.lake_uri, self.quarantine_uri, self.reports_uri
        )

    def for_day(self, run_date: date) -> DayJobParams:
        return replace(self, run_date=run_date)

    # --- the codec ---

    def to_arguments(self, run_date_text: str | None = None) -> dict[str, str]:
        """`{"--run_date": "2026-11-24", "--raw_uri": ..., ...}`, as Glue passes them.

        `run_date_text` replaces the date, e.g. with the DAG's template that each run renders.
        """
        arguments = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == RUN_DATE:
                value = run_date_text or (value.isoformat() if value else None)
            if value is not None:
                arguments[ARGUMENT_PREFIX + spec.name] = value_text(value)
        return arguments

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], *, for_run: bool = True) -> DayJobParams:
        """Parse job arguments (keys with or without `--`); unknown keys are Glue's own.

        `for_run=False` parses the job's defaults, which have no `--run_date`.
        """
        values = {k.removeprefix(ARGUMENT_PREFIX): v for k, v in arguments.items()}
        required = (RUN_DATE, *LOCATIONS) if for_run else LOCATIONS
        missing = [n for n in required if values.get(n) in (None, "")]
        if missing:
            raise ValueError(f"missing job arguments: {', '.join('--' + m for m in missing)}")
        kwargs: dict[str, Any] = {}
        for spec in fields(cls):
            text = values.get(spec.name)
            if text is None or text == "":
                continue
            kind = kind_of(spec.type)
            try:
                kwargs[spec.name] = parse_value(str(text), kind)
            except ValueError:
                raise ValueError(
                    f"bad job argument --{spec.name}={text!r}: expected a {kind}"
                ) from None
        return cls(**{RUN_DATE: None, **kwargs})

    @classmethod
    def from_argv(cls, argv: Sequence[str]) -> DayJobParams:
        """Parse `--name value` and `--name=value` pairs, ignoring arguments it does not know."""
        names = {ARGUMENT_PREFIX + spec.name for spec in fields(cls)}
        values: dict[str, str] = {}
        items = list(argv)
        for index, item in enumerate(items):
            name, equals, value = item.partition("=")
            if name not in names:
                continue
            if equals:
                values[name] = value
            elif index + 1 < len(items):
                values[name] = items[index + 1]
        return cls.from_arguments(values)

    @classmethod
    def argument_names(cls) -> tuple[str, ...]:
        return tuple(ARGUMENT_PREFIX + spec.name for spec in fields(cls))

    @classmethod
    def defaults(cls) -> dict[str, str]:
        """The optional arguments and their default values, as text."""
        return {
            ARGUMENT_PREFIX + spec.name: value_text(spec.default)
            for spec in fields(cls)
            if spec.name not in (RUN_DATE, *LOCATIONS) and spec.default is not None
        }


def default(name: str) -> Any:
    """A parameter's default value, for the tools that quote it."""
    return next(spec.default for spec in fields(DayJobParams) if spec.name == name)
