"""The generator: Firehose layout, determinism, and a truth file that an independent count confirms.

The tracking plan's side is checked by a small checker written here from the plan's
declarations (not the day job's code): every written event is judged, and its entries counted.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from eventlake.core import contract as C
from eventlake.core import layout
from eventlake.core.plan import FieldDecl, tracking_plan
from eventlake.tools.generator import (
    SCHEMA_FAULTS,
    STRAGGLER_CHUNK,
    DaySpec,
    FaultMix,
    day_truth,
    iter_day_records,
    plan_chunk,
    write_firehose_day,
)

DAY = date(2026, 11, 24)
# The day job judges "future" against the object's first arrival widened by Firehose's
# longest buffer interval; the independent count below does the same.
JOB_RULES = C.ContractConfig(max_future_skew_s=300 + 900)
PLAN = tracking_plan()
BLOCKING = ("missing_field", "wrong_type", "unknown_event_name")


def has_declared_type(decl: FieldDecl, value: Any) -> bool:
    if decl.type == "string":
        return isinstance(value, str)
    if decl.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if decl.type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if decl.type == "boolean":
        return isinstance(value, bool)
    if decl.type == "timestamp":
        try:
            return isinstance(value, str) and datetime.fromisoformat(value) is not None
        except ValueError:
            return False
    if decl.type == "array":
        return isinstance(value, list) and (
            decl.items is None or all(has_declared_type(decl.items, v) for v in value)
        )
    assert decl.type == "object"
    return isinstance(value, dict) and (
        decl.fields is None
        or all(
            has_declared_type(f, value[f.name]) if f.name in value else not f.required
            for f in decl.fields
        )
    )


def plan_entries(event: dict) -> list[str]:
    """The `field:reason` entries of a valid event against the tracking plan."""
    decl = PLAN.type(event["event_name"].split(":")[0])
    if decl is None:
        return ["event_name:unknown_event_name"]
    entries = []
    if event["event_name"] not in decl.event_names:
        entries.append("event_name:unknown_event_name")
    for f in decl.fields:
        if f.name not in event:
            entries += [f"{f.name}:missing_field"] if f.required else []
        elif not has_declared_type(f, event[f.name]):
            entries.append(f"{f.name}:wrong_type")
    common = set(C.REQUIRED_FIELD_NAMES)
    entries += [f"{k}:undeclared_field" for k in event if k not in common | set(decl.field_names)]
    return entries


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
    violations: dict[str, Counter] = {}
    blocking = Counter()
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
                    event_type = event["event_name"].split(":")[0]
                    valid[(event_date, event_type)] += 1
                    entries = plan_entries(event)
                    assert len(entries) <= 1, f"more than one violation: {entries}"
                    for entry in entries:
                        reason = entry.rsplit(":", 1)[1]
                        violations.setdefault(event["event_name"], Counter())[reason] += 1
                        blocking[event_type] += reason in BLOCKING
    by_date: dict = {}
    for (d, t), n in sorted(valid.items()):
        by_date.setdefault(d, {})[t] = n
    return {
        "valid_unique_by_event_date_type": by_date,
        "invalid_by_reason": dict(invalid),
        "natural_duplicates": natural,
        "synthetic_duplicates": synthetic,
        "deferred": deferred,
        "schema_violations": {name: dict(by) for name, by in violations.items()},
        "schema_blocking_by_type": {t: n for t, n in blocking.items() if n},
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("raw")
    faults = FaultMix(
        invalid_rate=0.004,
        too_large_rate=0.0005,
        concatenated_object_rate=0.3,
        schema_missing_field_rate=0.002,
        schema_wrong_type_rate=0.002,
        schema_undeclared_field_rate=0.002,
        schema_unknown_name_rate=0.002,
    )
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


def test_truth_has_every_plan_violation(generated) -> None:
    _, truth = generated
    reasons = Counter()
    for by_reason in truth["schema_violations"].values():
        reasons.update(by_reason)
    assert set(reasons) == {"missing_field", "wrong_type", "undeclared_field", "unknown_event_name"}
    blocking = truth["schema_blocking_by_type"]
    assert sum(blocking.values()) == sum(reasons.values()) - reasons["undeclared_field"]
    undeclared = {t for t in blocking if PLAN.type(t) is None}
    assert undeclared, "no event of an undeclared type"
    assert set(truth["valid_unique_by_event_date_type"][DAY.isoformat()]) >= undeclared
    unknown_subtypes = [
        name
        for name, by_reason in truth["schema_violations"].items()
        if "unknown_event_name" in by_reason and PLAN.type(name.split(":")[0]) is not None
    ]
    assert unknown_subtypes, "no unknown subtype of a declared type"


def planted_records(spec: DaySpec) -> list:
    return [r for c in range(STRAGGLER_CHUNK + 1) for r in plan_chunk(spec, c)]


def test_each_planted_fault_breaks_the_plan_once_and_passes_the_contract() -> None:
    planted = Counter()
    for rec in planted_records(DaySpec(DAY, 20_000, seed=4)):
        verdict = C.validate_record(rec.data, rec.arrival, JOB_RULES)
        if rec.kind in SCHEMA_FAULTS:
            assert verdict.valid, rec.data
            assert plan_entries(verdict.event) == [rec.schema_violation], rec.data
            planted[rec.kind] += 1
        elif verdict.valid:
            assert plan_entries(verdict.event) == [], rec.data
    assert set(planted) == set(SCHEMA_FAULTS)


def test_planted_faults_are_deterministic() -> None:
    spec = DaySpec(DAY, 8000, seed=4)
    first = [(r.arrival, r.data) for r in planted_records(spec) if r.kind in SCHEMA_FAULTS]
    assert first
    assert first == [(r.arrival, r.data) for r in planted_records(spec) if r.kind in SCHEMA_FAULTS]


def test_clean_mix_plants_no_plan_violations() -> None:
    assert set(asdict(FaultMix.clean()).values()) == {0}
    spec = DaySpec(DAY, 5000, seed=8, faults=FaultMix.clean())
    truth = day_truth(spec)
    assert truth["schema_violations"] == {}
    assert truth["schema_blocking_by_type"] == {}
    for _, raw in iter_day_records(spec):
        assert plan_entries(json.loads(raw)) == []


def test_optional_fields_are_sometimes_absent_and_sometimes_present() -> None:
    spec = DaySpec(DAY, 5000, seed=8, faults=FaultMix.clean())
    present, seen = Counter(), Counter()
    for _, raw in iter_day_records(spec):
        event = json.loads(raw)
        decl = PLAN.type(event["event_name"].split(":")[0])
        for f in decl.fields:
            if not f.required:
                seen[(decl.name, f.name)] += 1
                present[(decl.name, f.name)] += f.name in event
    assert seen, "the plan declares no optional field"
    for name, n in seen.items():
        assert 0.55 < present[name] / n < 0.85, f"{name}: present in {present[name]} of {n}"


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
