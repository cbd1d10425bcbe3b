"""The generator: Firehose layout, determinism, and a truth file that an independent count confirms."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eventlake.core import contract as C
from eventlake.core import layout
from eventlake.tools.generator import (
    DaySpec,
    FaultMix,
    day_truth,
    iter_day_records,
    write_firehose_day,
)

DAY = date(2026, 11, 24)
# The day job judges "future" against the object's first arrival widened by Firehose's
# longest buffer interval; the independent count below does the same.
JOB_RULES = C.ContractConfig(max_future_skew_s=300 + 900)


def split_records(line: str) -> list[str]:
    """Records of one line: usually one; several when objects were concatenated."""
    decoder, pieces, pos = json.JSONDecoder(), [], 0
    try:
        while pos < len(line):
            _, end = decoder.raw_decode(line, pos)
            pieces.append(line[pos:end])
            pos = end
    except ValueError:
        return [line]  # not a run of JSON values: one (invalid) record
    return pieces


def independent_count(root: Path, day: date) -> dict:
    """Read every object back and classify each record with the Python contract."""
    owned_end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    objects = sorted(
        (layout.arrival_from_key(p.name), str(p)) for p in (root / "events").rglob("*.gz")
    )
    seen: dict[str, bytes] = {}
    valid, invalid = Counter(), Counter()
    natural = synthetic = deferred = 0
    for arrival, path in objects:
        prefix = layout.render_prefix(layout.firehose_prefix(), arrival)
        assert path.endswith(prefix + Path(path).name), f"{path} is not under its hour prefix"
        for line in gzip.decompress(Path(path).read_bytes()).decode().split("\n"):
            for raw in split_records(line) if line.strip() else []:
                verdict = C.validate_record(raw, arrival.timestamp(), JOB_RULES)
                event = verdict.event
                event_date = event and C.created_datetime(event["created_at"])[:10]
                if arrival >= owned_end and not (event and event_date <= day.isoformat()):
                    deferred += 1
                elif not verdict.valid:
                    invalid[verdict.reason] += 1
                elif event["event_uuid"] in seen:
                    same = seen[event["event_uuid"]] == raw.encode()
                    natural += same
                    synthetic += not same
                else:
                    seen[event["event_uuid"]] = raw.encode()
                    valid[(event_date, event["event_name"].split(":")[0])] += 1
    by_date: dict = {}
    for (d, t), n in sorted(valid.items()):
        by_date.setdefault(d, {})[t] = n
    return {
        "valid_unique_by_event_date_type": by_date,
        "invalid_by_reason": dict(invalid),
        "natural_duplicates": natural,
        "synthetic_duplicates": synthetic,
        "deferred": deferred,
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("raw")
    faults = FaultMix(invalid_rate=0.004, too_large_rate=0.0005, concatenated_object_rate=0.3)
    truth = write_firehose_day(DaySpec(DAY, 20_000, seed=11, faults=faults), str(root))
    return root, truth


def test_independent_count_agrees_with_truth(generated) -> None:
    root, truth = generated
    counted = independent_count(root, DAY)
    for key, value in counted.items():
        assert value == truth[key], f"{key}: files say {value}, truth says {truth[key]}"


def test_truth_has_every_fault_kind_and_reconciles(generated) -> None:
    _, truth = generated
    assert set(truth["invalid_by_reason"]) == set(C.CONTRACT_REASONS)
    assert truth["natural_duplicates"] > 0
    assert truth["synthetic_duplicates"] > 0
    assert truth["deferred"] > 0
    assert truth["concatenated_objects"] > 0
    assert any(d < DAY.isoformat() for d in truth["late_events_by_event_date"])
    parts = (
        "valid_unique",
        "invalid_total",
        "natural_duplicates",
        "synthetic_duplicates",
        "deferred",
    )
    assert sum(truth[k] for k in parts) == truth["raw_records"] == 20_000


def test_objects_use_firehose_names_and_gzip(generated) -> None:
    root, _ = generated
    files = list((root / "events").rglob("*"))
    objects = [p for p in files if p.is_file()]
    assert objects
    for path in objects:
        assert path.name.startswith("eventlake-events-1-")
        assert path.name.endswith(".gz")
        assert layout.arrival_from_key(path.name) is not None
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    hours = {p.parent.relative_to(root).as_posix() for p in objects}
    assert "events/2026/11/24/00" in hours
    assert "events/2026/11/25/00" in hours


def test_same_seed_same_day_different_seed_different() -> None:
    spec = DaySpec(DAY, 3000, seed=5)
    first = [r for _, r in iter_day_records(spec)]
    assert first == [r for _, r in iter_day_records(spec)]
    assert first != [r for _, r in iter_day_records(DaySpec(DAY, 3000, seed=6))]


def test_day_truth_matches_written_truth(tmp_path) -> None:
    spec = DaySpec(DAY, 4000, seed=3)
    assert day_truth(spec) == write_firehose_day(spec, str(tmp_path), workers=1)


def test_live_records_arrive_in_order_inside_the_window() -> None:
    spec = DaySpec(DAY, 5000, seed=2)
    arrivals = [a for a, _ in iter_day_records(spec)]
    assert arrivals == sorted(arrivals)
    start = layout.day_start(DAY).timestamp()
    assert start <= arrivals[0]
    assert arrivals[-1] < start + 86400 + 3600


def test_bad_fault_rates_are_rejected() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultMix(late_rate=2)
    with pytest.raises(ValueError, match="half of all records"):
        FaultMix(invalid_rate=0.1)
