"""Seeded synthetic event days with planted faults, in Firehose's S3 layout, plus a truth file.

One generator serves the tests, the demo, the producer and the benchmarks. A day is made of
25 independent chunks (hours 00-23 of the day, plus the first minutes after midnight, where
stragglers arrive), each seeded from (seed, chunk), so the output does not depend on how
many processes make it. Duplicates copy an earlier event of the same chunk.

Events follow the tracking plan (core/plan.py): each field's value comes from its `generate`
kind, and an optional field is present in about 70% of events. Planted plan faults are events
valid under the contract that break the plan in exactly one way (one `field:reason` entry): a
missing required field, a wrong type, an undeclared field, or an unknown event name (half of
them of a type the plan does not declare, carrying no type fields).

The truth file counts what was planted, from the generator's own knowledge, in the terms of
the nightly job's manifest: unique valid events per event_date and event_type, natural and
synthetic duplicates, invalid records per reason, records the run must defer to the next day,
and the plan violations of the written events: entries per event_name and reason
(`schema_violations`), and per event_type the events a "quarantine" policy would hold back
(`schema_blocking_by_type`; an undeclared type under its own name). It is an independent
check, not a re-run of the job's logic.
"""

from __future__ import annotations

import gzip
import math
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from eventlake.core import contract as C
from eventlake.core import layout, storage
from eventlake.core import plan as P
from eventlake.core.layout import DEFAULT_STREAM
from eventlake.core.plan import FieldDecl, tracking_plan

STRAGGLER_CHUNK = 24  # chunk index of the minutes right after midnight
STRAGGLER_WINDOW_S = (300.0, 600.0)  # stragglers arrive 5-10 minutes after midnight
EDGE_MARGIN_S = 300.0  # no arrival within 5 minutes of midnight: robust to replay jitter
TOO_LARGE_PAD = C.MAX_EVENT_BYTES + 100
OPTIONAL_FIELD_SHARE = 0.7  # an optional field is present in about this share of events
COUNTRIES = ("us", "gb", "de", "fr", "es", "it", "nl", "br", "in", "jp", "au", "ca", "mx", "pl")
WORDS = ("alpha", "river", "cloud", "delta", "ember", "forest", "harbor", "island", "jade")

INVALID_KINDS: tuple[str, ...] = tuple(
    r for r in C.CONTRACT_REASONS if r != C.RECORD_TOO_LARGE
)  # record_too_large has its own (tiny) rate: each one is a megabyte


@dataclass(frozen=True)
class FaultMix:
    """Rates are fractions of all records of the day."""

    natural_duplicate_rate: float = 0.01
    synthetic_duplicate_rate: float = 0.002
    late_rate: float = 0.005
    near_midnight_rate: float = 0.003
    invalid_rate: float = 0.0008  # for each contract reason except record_too_large
    too_large_rate: float = 0.00002
    concatenated_object_rate: float = 0.05  # objects written `{..}{..}` without newlines
    # Valid events that break the tracking plan in exactly one way.
    schema_missing_field_rate: float = 0.0005
    schema_wrong_type_rate: float = 0.0005
    schema_undeclared_field_rate: float = 0.0005
    schema_unknown_name_rate: float = 0.0005

    @classmethod
    def clean(cls) -> FaultMix:
        return cls(**{f.name: 0 for f in fields(cls)})

    def __post_init__(self) -> None:
        rates = asdict(self)
        if any(not 0 <= v <= 1 for v in rates.values()):
            raise ValueError("every rate must be between 0 and 1")
        per_record = sum(rates.values()) - self.concatenated_object_rate - self.near_midnight_rate
        per_record += self.invalid_rate * (len(INVALID_KINDS) - 1)
        if per_record >= 0.5:
            raise ValueError("fault rates add up to half of all records or more; lower them")


@dataclass(frozen=True)
class DaySpec:
    day: date
    events: int
    seed: int = 7
    faults: FaultMix = field(default_factory=FaultMix)
    stream_name: str = DEFAULT_STREAM
    buffer_bytes: int = 5 * 1024 * 1024
    buffer_seconds: float = 300.0


@dataclass
class PlannedRecord:
    arrival: float  # epoch seconds the record reaches Kinesis
    data: bytes
    kind: str  # valid | late | natural_duplicate | synthetic_duplicate | straggler | <reason>
    #            | schema_<violation> (see SCHEMA_FAULTS)
    event_date: date | None = None
    event_type: str | None = None
    event_name: str | None = None
    schema_violation: str | None = None  # the planted `field:reason` entry


# --- events ---


def _uuid4(rng: random.Random) -> str:
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF << 76)) | (0x4 << 76)  # version 4
    bits = (bits & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _value_maker(kind: str, name: str):
    if kind == "id":
        prefix = name.removesuffix("_id")[:3]
        return lambda rng: f"{prefix}_{rng.getrandbits(36):x}"
    if kind.startswith("int:"):
        lo, hi = (int(x) for x in kind[4:].split("-"))
        return lambda rng: lo + int(rng.random() * (hi - lo + 1))
    if kind.startswith("choice:"):
        options = tuple(kind[7:].split("|"))
        return lambda rng: options[int(rng.random() * len(options))]
    if kind == "money":
        return lambda rng: round(rng.random() * 500, 2)
    if kind == "bool":
        return lambda rng: rng.random() < 0.5
    if kind == "country":
        return lambda rng: COUNTRIES[int(rng.random() * len(COUNTRIES))]
    if kind == "text":
        return lambda rng: f"{WORDS[int(rng.random() * 9)]} {WORDS[int(rng.random() * 9)]}"
    if kind == "timestamp":
        return lambda rng: datetime.fromtimestamp(1.7e9 + rng.random() * 1e8, UTC).isoformat()
    if kind == "context":
        return lambda rng: {
            "locale": COUNTRIES[int(rng.random() * 14)],
            "dark_mode": rng.random() < 0.5,
        }
    if kind == "items":
        return lambda rng: [
            {"sku": f"sku_{rng.getrandbits(20):x}", "qty": 1 + int(rng.random() * 3)}
            for _ in range(1 + int(rng.random() * 3))
        ]
    raise ValueError(f"unknown field kind {kind}")


PLAN = tracking_plan()
_NAMES: list[tuple[str, str]] = []  # (event_type, event_name), repeated by traffic weight
_MAKERS: dict[str, tuple[tuple[FieldDecl, Any], ...]] = {}
for _t in PLAN.types:
    _MAKERS[_t.name] = tuple((f, _value_maker(f.generate or "", f.name)) for f in _t.fields)
    _NAMES.extend(
        (_t.name, name) for name in _t.event_names for _ in range(round(_t.traffic_weight * 4))
    )


def make_event(rng: random.Random, created_at: float) -> dict[str, Any]:
    event_type, event_name = _NAMES[int(rng.random() * len(_NAMES))]
    event: dict[str, Any] = {
        "event_uuid": _uuid4(rng),
        "event_name": event_name,
        "created_at": created_at,
    }
    for decl, make in _MAKERS[event_type]:
        if decl.required or rng.random() < OPTIONAL_FIELD_SHARE:
            event[decl.name] = make(rng)
    return event


# --- planted tracking plan faults ---

SCHEMA_FAULTS: dict[str, str] = {  # planted kind: the violation reason it makes
    "schema_missing_field": P.MISSING_FIELD,
    "schema_wrong_type": P.WRONG_TYPE,
    "schema_undeclared_field": P.UNDECLARED_FIELD,
    "schema_unknown_name": P.UNKNOWN_EVENT_NAME,
}
WRONG_VALUES = {  # declared type: a value of another JSON type (object fields are left alone)
    "string": lambda rng: int(rng.random() * 1000),
    "number": lambda rng: "abc",
    "integer": lambda rng: "abc" if rng.random() < 0.5 else 1.5,
    "boolean": lambda rng: "yes",
    "array": lambda rng: {},
    "timestamp": lambda rng: "not a time",
}
UNDECLARED_FIELD_NAME = "x_promo"
UNDECLARED_TYPE_EVENT_NAMES = ("wishlist:item:added", "wishlist:item:removed", "referral:sent")
UNDECLARED_SUBTYPES = ("refund:reversed", "legacy:synced")


def _check_undeclared_names() -> None:
    declared_fields = {f.name for t in PLAN.types for f in t.fields}
    if UNDECLARED_FIELD_NAME in declared_fields | P.RESERVED_NAMES:
        raise ValueError(f"{UNDECLARED_FIELD_NAME} is declared: pick another undeclared field")
    for name in UNDECLARED_TYPE_EVENT_NAMES:
        if PLAN.type(name.split(":", 1)[0]) is not None:
            raise ValueError(f"the type of {name} is declared: pick another undeclared type")
    if set(UNDECLARED_SUBTYPES) & {n for t in PLAN.types for n in t.names}:
        raise ValueError("an undeclared subtype is declared: pick another")


_check_undeclared_names()


def _pick(rng: random.Random, options):
    return options[int(rng.random() * len(options))]


def _break_plan(rng: random.Random, kind: str, event: dict[str, Any]) -> str:
    """Make `event` break the plan in exactly one way; return its `field:reason` entry."""
    decl = PLAN.type(event["event_name"].split(":", 1)[0])
    assert decl is not None
    if kind == "schema_missing_field":
        name = _pick(rng, [f.name for f in decl.fields if f.required])
        del event[name]
        return f"{name}:{P.MISSING_FIELD}"
    if kind == "schema_wrong_type":
        target = _pick(rng, [f for f in decl.fields if f.name in event and f.type in WRONG_VALUES])
        event[target.name] = WRONG_VALUES[target.type](rng)
        return f"{target.name}:{P.WRONG_TYPE}"
    if kind == "schema_undeclared_field":
        event[UNDECLARED_FIELD_NAME] = f"promo_{_pick(rng, WORDS)}"
        return f"{UNDECLARED_FIELD_NAME}:{P.UNDECLARED_FIELD}"
    if rng.random() < 0.5:  # a type the plan does not declare: it has no type fields
        for f in decl.fields:
            event.pop(f.name, None)
        event["event_name"] = _pick(rng, UNDECLARED_TYPE_EVENT_NAMES)
    else:  # a declared type, with its valid fields, and a subtype it does not declare
        event["event_name"] = f"{decl.name}:{_pick(rng, UNDECLARED_SUBTYPES)}"
    return f"event_name:{P.UNKNOWN_EVENT_NAME}"


def _created_at(rng: random.Random, arrival: float, latency: float) -> int | float:
    created = arrival - latency
    return round(created, 3) if rng.random() < 0.2 else int(created)


def _event_date(created_at: float) -> date:
    return datetime.fromtimestamp(math.floor(created_at), UTC).date()


def _make_invalid(rng: random.Random, reason: str, arrival: float) -> bytes:
    event = make_event(rng, _created_at(rng, arrival, 1.0))
    if reason == C.UNPARSEABLE_JSON:
        data = orjson.dumps(event)
        return data[: len(data) // 2]
    if reason == C.NOT_A_JSON_OBJECT:
        return orjson.dumps([event])
    if reason == C.MISSING_FIELD:
        del event[C.REQUIRED_FIELD_NAMES[int(rng.random() * 3)]]
    elif reason == C.WRONG_TYPE:
        event["created_at"] = str(event["created_at"])
    elif reason == C.BAD_UUID:
        event["event_uuid"] = event["event_uuid"].upper()
    elif reason == C.BAD_EVENT_NAME:
        event["event_name"] = event["event_name"].replace(":", " ").title()
    elif reason == C.CREATED_AT_IN_MILLIS:
        event["created_at"] = int(arrival - 1.0) * 1000
    elif reason == C.CREATED_AT_IN_FUTURE:
        event["created_at"] = int(arrival + 86400 * (2 + rng.random() * 28))
    elif reason == C.CREATED_AT_TOO_OLD:
        event["created_at"] = int(arrival - 86400 * (30 + rng.random() * 300))
    elif reason == C.RECORD_TOO_LARGE:
        event["blob"] = "x" * TOO_LARGE_PAD
    return orjson.dumps(event)


# --- one chunk (an hour of the day, or the stragglers after midnight) ---


def _chunk_bounds(spec: DaySpec, chunk: int) -> tuple[float, float]:
    start = layout.day_start(spec.day).timestamp()
    if chunk == STRAGGLER_CHUNK:
        return start + 86400 + STRAGGLER_WINDOW_S[0], start + 86400 + STRAGGLER_WINDOW_S[1]
    lo = start + chunk * 3600 + (EDGE_MARGIN_S if chunk == 0 else 0.0)
    hi = start + (chunk + 1) * 3600 - (EDGE_MARGIN_S if chunk == 23 else 0.0)
    return lo, hi


def chunk_sizes(spec: DaySpec) -> list[int]:
    """Records per chunk: a diurnal curve over the 24 hours, plus the stragglers."""
    stragglers = round(spec.events * spec.faults.near_midnight_rate)
    owned = spec.events - stragglers
    weights = [1.0 + 0.6 * math.sin((h - 8) / 24 * 2 * math.pi) for h in range(24)]
    total = sum(weights)
    sizes = [int(owned * w / total) for w in weights]
    for h in range(owned - sum(sizes)):
        sizes[h % 24] += 1
    return [*sizes, stragglers]


def _kind_thresholds(f: FaultMix) -> list[tuple[float, str]]:
    kinds = [
        (f.natural_duplicate_rate, "natural_duplicate"),
        (f.synthetic_duplicate_rate, "synthetic_duplicate"),
        (f.late_rate, "late"),
        (f.too_large_rate, C.RECORD_TOO_LARGE),
        *((f.invalid_rate, reason) for reason in INVALID_KINDS),
        (f.schema_missing_field_rate, "schema_missing_field"),
        (f.schema_wrong_type_rate, "schema_wrong_type"),
        (f.schema_undeclared_field_rate, "schema_undeclared_field"),
        (f.schema_unknown_name_rate, "schema_unknown_name"),
    ]
    thresholds, acc = [], 0.0
    for rate, kind in kinds:
        acc += rate
        thresholds.append((acc, kind))
    return thresholds


def plan_chunk(spec: DaySpec, chunk: int) -> list[PlannedRecord]:
    """The records of one chunk, in arrival order."""
    n = chunk_sizes(spec)[chunk]
    rng = random.Random(f"{spec.seed}:{spec.day}:{chunk}")
    lo, hi = _chunk_bounds(spec, chunk)
    step = (hi - lo) / max(n, 1)
    thresholds = _kind_thresholds(spec.faults)
    recent: list[tuple[dict[str, Any], bytes]] = []  # originals that later records may copy
    if chunk == STRAGGLER_CHUNK and n:  # retries that straddle midnight copy the last hour
        recent = [
            (orjson.loads(r.data), r.data)
            for r in plan_chunk(spec, STRAGGLER_CHUNK - 1)[-2000:]
            if r.kind in ("valid", "late")
        ]
    records: list[PlannedRecord] = []
    for i in range(n):
        arrival = lo + (i + rng.random()) * step
        kind = "valid"
        violation = None
        if chunk == STRAGGLER_CHUNK:
            dup = rng.random() < min(0.2, spec.faults.natural_duplicate_rate * 10)
            kind = "natural_duplicate" if dup else "straggler"
        else:
            u = rng.random()
            for limit, name in thresholds:
                if u < limit:
                    kind = name
                    break
        if kind in ("natural_duplicate", "synthetic_duplicate") and not recent:
            kind = "valid"
        if kind == "natural_duplicate":
            event, data = recent[int(rng.random() * len(recent))]
        elif kind == "synthetic_duplicate":
            original, _ = recent[int(rng.random() * len(recent))]
            event = dict(original)
            first_field = next(k for k in event if k not in C.REQUIRED_FIELD_NAMES)
            event[first_field] = f"changed_{rng.getrandbits(24):x}"
            data = orjson.dumps(event)
        elif kind in ("valid", "late", "straggler"):
            if kind == "late":
                latency = 3600 + rng.random() * (6 * 86400 - 3600)
            elif kind == "straggler":  # mostly created before midnight; some after (deferred)
                latency = 300 + rng.random() * 900 if rng.random() < 0.7 else rng.random() * 30
            else:
                latency = min(rng.expovariate(0.5), 30.0)
            event = make_event(rng, _created_at(rng, arrival, latency))
            data = orjson.dumps(event)
            recent.append((event, data))
            if len(recent) > 4096:
                del recent[:2048]
        elif kind in SCHEMA_FAULTS:  # never a duplicate's source: each entry counts once
            event = make_event(rng, _created_at(rng, arrival, min(rng.expovariate(0.5), 30.0)))
            violation = _break_plan(rng, kind, event)
            data = orjson.dumps(event)
        else:
            records.append(PlannedRecord(arrival, _make_invalid(rng, kind, arrival), kind))
            continue
        name = event["event_name"]
        event_date = _event_date(event["created_at"])
        records.append(
            PlannedRecord(arrival, data, kind, event_date, name.split(":", 1)[0], name, violation)
        )
    return records


# --- Firehose objects ---


@dataclass
class RawObject:
    key: str
    arrival: datetime
    records: list[PlannedRecord]
    concatenated: bool


def cut_objects(spec: DaySpec, chunk: int, records: list[PlannedRecord]) -> list[RawObject]:
    """Buffer records like Firehose: cut by size or age. Buffers never span an hour."""
    rng = random.Random(f"{spec.seed}:{spec.day}:{chunk}:objects")
    objects: list[RawObject] = []
    current: list[PlannedRecord] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if not current:
            return
        first = datetime.fromtimestamp(math.floor(current[0].arrival), UTC)
        rid = _uuid4(rng)
        concatenated = rng.random() < spec.faults.concatenated_object_rate
        key = layout.raw_object_key(spec.stream_name, first, random_id=rid)
        objects.append(RawObject(key, first, current, concatenated))
        current, size = [], 0

    for rec in records:
        if current and (
            size + len(rec.data) > spec.buffer_bytes
            or rec.arrival - current[0].arrival >= spec.buffer_seconds
        ):
            flush()
        current.append(rec)
        size += len(rec.data) + 1
    flush()
    return objects


_NON_OBJECT = (C.UNPARSEABLE_JSON, C.NOT_A_JSON_OBJECT)


def object_body(obj: RawObject) -> bytes:
    """gzip NDJSON. A concatenated object joins JSON objects with no separator, as Firehose
    does when no transform adds newlines; records that are not objects stay on own lines."""
    if not obj.concatenated:
        return gzip.compress(b"\n".join(r.data for r in obj.records) + b"\n", 1, mtime=0)
    parts = []
    for prev, rec in zip([None, *obj.records], obj.records, strict=False):
        breaks = prev is not None and (rec.kind in _NON_OBJECT or prev.kind in _NON_OBJECT)
        parts.append(b"\n" + rec.data if breaks else rec.data)
    return gzip.compress(b"".join(parts), 1, mtime=0)


# --- truth ---


def _tally(spec: DaySpec, objects: list[RawObject]) -> dict[str, Any]:
    """Counts in the nightly job's terms, for the run of spec.day."""
    owned_end = layout.day_start(spec.day + timedelta(days=1))
    valid = Counter()
    late = Counter()
    counts = Counter()
    invalid = Counter()
    schema = Counter()  # (event_name, reason): entries
    blocking = Counter()  # event_type: events with a blocking violation
    for obj in objects:
        peeked = obj.arrival >= owned_end
        counts["peeked_records" if peeked else "owned_records"] += len(obj.records)
        counts["objects"] += 1
        counts["concatenated_objects"] += obj.concatenated
        for rec in obj.records:
            is_event = rec.event_date is not None
            if peeked and not (is_event and rec.event_date <= spec.day):
                counts["deferred"] += 1
            elif rec.kind in ("natural_duplicate", "synthetic_duplicate"):
                counts[f"{rec.kind}s"] += 1
            elif is_event:
                valid[(rec.event_date.isoformat(), rec.event_type)] += 1
                if rec.event_date < spec.day:
                    late[rec.event_date.isoformat()] += 1
                if rec.kind in SCHEMA_FAULTS:
                    reason = SCHEMA_FAULTS[rec.kind]
                    schema[(rec.event_name, reason)] += 1
                    if reason in P.BLOCKING_REASONS:
                        blocking[rec.event_type] += 1
            else:
                invalid[rec.kind] += 1
    return {
        "counts": counts,
        "valid": valid,
        "late": late,
        "invalid": invalid,
        "schema": schema,
        "blocking": blocking,
    }


def _make_chunk(spec: DaySpec, chunk: int, out: str | None) -> dict[str, Any]:
    records = plan_chunk(spec, chunk)
    objects = cut_objects(spec, chunk, records)
    if out is not None:
        for obj in objects:
            storage.write_bytes(layout.join_uri(out, obj.key), object_body(obj))
    return _tally(spec, objects)


def truth_document(spec: DaySpec, tallies: list[dict[str, Any]]) -> dict[str, Any]:
    counts, valid, late, invalid = Counter(), Counter(), Counter(), Counter()
    schema, blocking = Counter(), Counter()
    for t in tallies:
        counts.update(t["counts"])
        valid.update(t["valid"])
        late.update(t["late"])
        invalid.update(t["invalid"])
        schema.update(t["schema"])
        blocking.update(t["blocking"])
    by_date: dict[str, dict[str, int]] = {}
    for (event_date, event_type), n in sorted(valid.items()):
        by_date.setdefault(event_date, {})[event_type] = n
    violations: dict[str, dict[str, int]] = {}
    for event_name, reason in sorted(schema):
        violations.setdefault(event_name, {})[reason] = schema[(event_name, reason)]
    raw = counts["owned_records"] + counts["peeked_records"]
    truth = {
        "run_date": spec.day.isoformat(),
        "seed": spec.seed,
        "events_requested": spec.events,
        "faults": asdict(spec.faults),
        "raw_records": raw,
        "owned_records": counts["owned_records"],
        "peeked_records": counts["peeked_records"],
        "objects": counts["objects"],
        "concatenated_objects": counts["concatenated_objects"],
        "valid_unique": sum(valid.values()),
        "valid_unique_by_event_date_type": by_date,
        "late_events_by_event_date": dict(sorted(late.items())),
        "natural_duplicates": counts["natural_duplicates"],
        "synthetic_duplicates": counts["synthetic_duplicates"],
        "invalid_by_reason": {r: invalid[r] for r in C.CONTRACT_REASONS if invalid[r]},
        "invalid_total": sum(invalid.values()),
        "deferred": counts["deferred"],
        "schema_violations": violations,
        "schema_blocking_by_type": dict(sorted(blocking.items())),
    }
    accounted = (
        truth["valid_unique"]
        + truth["invalid_total"]
        + truth["natural_duplicates"]
        + truth["synthetic_duplicates"]
        + truth["deferred"]
    )
    if accounted != raw:
        raise AssertionError(f"truth does not reconcile: {accounted} != {raw}")
    return truth


def truth_uri(out: str, day: date) -> str:
    return layout.join_uri(out, "truth", f"{day.isoformat()}.json")


def write_firehose_day(spec: DaySpec, out: str, workers: int = 2, progress=None) -> dict[str, Any]:
    """Write one day of raw objects under `out` in Firehose's layout, plus the truth file."""
    out = layout.normalize_uri(out)
    chunks = range(STRAGGLER_CHUNK + 1)
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_make_chunk, spec, c, out) for c in chunks]
            tallies = []
            for fut in futures:
                tallies.append(fut.result())
                if progress:
                    progress()
    else:
        tallies = []
        for c in chunks:
            tallies.append(_make_chunk(spec, c, out))
            if progress:
                progress()
    truth = truth_document(spec, tallies)
    storage.write_bytes(truth_uri(out, spec.day), orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    return truth


def iter_day_records(spec: DaySpec) -> Iterator[tuple[float, bytes]]:
    """(intended arrival epoch seconds, raw record) in arrival order, for live producers."""
    for chunk in range(STRAGGLER_CHUNK + 1):
        for rec in plan_chunk(spec, chunk):
            yield rec.arrival, rec.data


def day_truth(spec: DaySpec) -> dict[str, Any]:
    """The truth document of a day without writing anything (as if delivered like Firehose)."""
    tallies = [_tally(spec, cut_objects(spec, c, plan_chunk(spec, c))) for c in range(25)]
    return truth_document(spec, tallies)


__all__ = [
    "DaySpec",
    "FaultMix",
    "day_truth",
    "iter_day_records",
    "make_event",
    "replace",
    "write_firehose_day",
]
