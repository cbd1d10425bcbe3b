"""Fixed rates for the planner tests, so hand-computed cases do not move with new benchmark runs."""

from __future__ import annotations

import pytest

from eventlake.tools.capacity import Rate


@pytest.fixture
def rates() -> dict[str, Rate]:
    return {
        "glue_events_per_s_per_core": Rate(65_000, "events/s/core", "test"),
        "transform_records_per_s_per_core": Rate(100_000, "records/s/core", "test"),
        "raw_gzip_ratio": Rate(0.2, "gzip/JSON", "test"),
        "lake_bytes_per_raw_byte": Rate(0.25, "Parquet/JSON", "test"),
        "transform_added_bytes": Rate(90, "bytes/record", "test"),
    }
