"""The quality thresholds: one codec shared by the DAG's settings, the scan CLI and the contract."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class QualityThresholds:
    """When a day's numbers warn or fail. Every field is also an [eventlake] setting."""

    volume_band_low: float = 0.5  # warn below this share of the trailing days' average
    volume_band_high: float = 2.0  # ... or above this multiple of it
    volume_trailing_days: int = 7
    freshness_warn_hours: float = 1.0  # the day's newest event this far before its end
    freshness_fail_hours: float = 3.0
    quarantine_warn_ratio: float = 0.01  # quarantined records / raw records
    quarantine_fail_ratio: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.quarantine_warn_ratio <= self.quarantine_fail_ratio:
            raise ValueError("need 0 < quarantine_warn_ratio <= quarantine_fail_ratio")
        if not 0 < self.freshness_warn_hours <= self.freshness_fail_hours:
            raise ValueError("need 0 < freshness_warn_hours <= freshness_fail_hours")
        if not 0 <= self.volume_band_low <= self.volume_band_high:
            raise ValueError("need 0 <= volume_band_low <= volume_band_high")
        if self.volume_trailing_days < 1:
            raise ValueError("volume_trailing_days must be at least 1")

    # --- the codec: `--name value` arguments of `python -m eventlake.quality.scan` ---

    def to_arguments(self) -> list[str]:
        return [
            part for name, value in asdict(self).items() for part in (f"--{name}", f"{value:g}")
        ]

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("quality thresholds")
        for spec in fields(QualityThresholds):
            kind = int if spec.type in (int, "int") else float
            group.add_argument(f"--{spec.name}", type=kind, default=spec.default)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> QualityThresholds:
        """From parsed arguments or settings; keys it does not know are ignored."""
        known = {spec.name for spec in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
