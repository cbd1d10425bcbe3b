"""Replaying quarantined records: read run D's quarantine, repair, decide what goes back.

The repaired events go back through the front door (`eventlake produce`'s Producer into the
stream), so the transform and the nightly job validate them like any event: they arrive
today and land as late events in their own `event_date`. A second replay of the same set
writes nothing twice, because the nightly job's lookback finds their uuids in the lake.

A repair gets the event as a dict and returns the repaired dict, or None to leave it in
quarantine. Built-ins cover the reasons a producer bug typically causes; anything else is
`--fix module:function`. Every record is checked against the contract, as if it arrived
now, before it is sent: one that would be quarantined again stays, with the reason why.
"""

from __future__ import annotations

import importlib
import io
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from eventlake.core import contract as C
from eventlake.core import layout, storage
from eventlake.core.errors import UsageError
from eventlake.ingest.codec import from_base64

Fix = Callable[[dict[str, Any]], dict[str, Any] | None]


# --- built-in repairs ---


def fix_created_at_in_millis(event: dict[str, Any]) -> dict[str, Any] | None:
    """created_at / 1000 (epoch milliseconds -> seconds; whole seconds stay integers)."""
    value = event.get("created_at")
    if type(value) not in C.NUMBER_TYPES:
        return None
    event["created_at"] = (
        value // 1000 if type(value) is int and value % 1000 == 0 else value / 1000
    )
    return event


def fix_bad_uuid(event: dict[str, Any]) -> dict[str, Any] | None:
    """event_uuid lower-cased and trimmed (an upper-case or padded uuid)."""
    value = event.get("event_uuid")
    if not isinstance(value, str):
        return None
    event["event_uuid"] = value.strip().lower()
    return event


def fix_wrong_type(event: dict[str, Any]) -> dict[str, Any] | None:
    """created_at given as a numeric string -> the number."""
    value = event.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    event["created_at"] = int(number) if number.is_integer() and "." not in value else number
    return event


BUILT_IN_FIXES: dict[str, Fix] = {
    C.CREATED_AT_IN_MILLIS: fix_created_at_in_millis,
    C.BAD_UUID: fix_bad_uuid,
    C.WRONG_TYPE: fix_wrong_type,
}


def load_fix(name: str) -> Fix:
    """A built-in repair by name, or `module:function`."""
    if name in BUILT_IN_FIXES:
        return BUILT_IN_FIXES[name]
    module_name, _, function = name.partition(":")
    if not module_name or not function:
        known = ", ".join(BUILT_IN_FIXES)
        raise UsageError(f"--fix {name!r}: not a built-in ({known}) nor module:function")
    try:
        fix = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--fix {name}: {exc}") from exc
    if not callable(fix):
        raise UsageError(f"--fix {name}: not a function")
    return fix


# --- reading the quarantine ---


@dataclass(frozen=True)
class QuarantinedRecord:
    reason: str
    raw: bytes  # the record's exact bytes
    event_uuid: str | None
    source_key: str


def quarantine_run_uri(quarantine_uri: str, run_date: date) -> str:
    return layout.join_uri(
        layout.quarantine_events_uri(layout.normalize_uri(quarantine_uri)),
        layout.run_dir_name(run_date),
    )


def _uuid_in(raw: bytes) -> str | None:
    try:
        value = orjson.loads(raw).get("event_uuid")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def read_quarantine(
    quarantine_uri: str, run_date: date, reason: str | None = None
) -> list[QuarantinedRecord]:
    """Run D's quarantined rows (all reasons, or one), from its Parquet files."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is in the cli extra
        raise UsageError("reading the quarantine needs pyarrow: pip install pyarrow") from exc

    records = []
    for uri in storage.list_uris(quarantine_run_uri(quarantine_uri, run_date)):
        folder = uri.rsplit("/", 2)[-2]
        if not uri.endswith(".parquet") or not folder.startswith("reason="):
            continue
        row_reason = folder.removeprefix("reason=")
        if reason is not None and row_reason != reason:
            continue
        table = pq.read_table(io.BytesIO(storage.read_bytes(uri)))
        columns = set(table.column_names)
        for row in table.to_pylist():
            exact = row.get("raw_record_base64")
            raw = from_base64(exact) if exact else (row.get("raw_record") or "").encode("utf-8")
            # event_uuid is a column of newer quarantine files; older ones have it in the text.
            uuid = row.get("event_uuid") if "event_uuid" in columns else _uuid_in(raw)
            records.append(QuarantinedRecord(row_reason, raw, uuid, row.get("source_key") or ""))
    return records


# --- deciding ---


@dataclass(frozen=True)
class Decision:
    record: QuarantinedRecord
    data: bytes | None  # what is sent; None: it stays in quarantine
    why: str  # the repair that was applied, or why it stays
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after)

    @property
    def send(self) -> bool:
        return self.data is not None


def decide(
    record: QuarantinedRecord,
    fix: Fix | None,
    fix_name: str | None,
    arrival_s: float,
    config: C.ContractConfig = C.DEFAULT_CONFIG,
) -> Decision:
    """Repair one record and check it as if it arrived at `arrival_s`."""

    def stay(why: str) -> Decision:
        return Decision(record, None, why, {})

    if fix is None:
        if record.reason == C.SYNTHETIC_DUPLICATE:
            return stay("a later copy of a uuid with another payload: kept for inspection")
        fix = BUILT_IN_FIXES.get(record.reason)
        fix_name = record.reason
        if fix is None:
            return stay(f"no built-in repair for {record.reason}: give --fix module:function")
    try:
        event = C.parse_json(record.raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        event = None
    if type(event) is not dict:
        return stay("not a JSON object: a repair gets the event as a dict")
    # The transform derives these again; a copy that went through it once must not keep them.
    before = {k: v for k, v in event.items() if k not in C.DERIVED_FIELDS}
    repaired = fix(dict(before))
    if repaired is None:
        return stay(f"{fix_name} left it as it is (returned None)")
    data = orjson.dumps(repaired)
    verdict = C.validate_record(data, arrival_s, config)
    if not verdict.valid:
        return stay(f"still invalid after {fix_name}: {verdict.detail}")
    changes = {
        k: (before.get(k), repaired.get(k))
        for k in before.keys() | repaired.keys()
        if before.get(k) != repaired.get(k)
    }
    return Decision(record, data, f"repaired by {fix_name}", changes)


def plan(
    records: list[QuarantinedRecord], fix_name: str | None, arrival_s: float | None = None
) -> list[Decision]:
    fix = load_fix(fix_name) if fix_name else None
    now = time.time() if arrival_s is None else arrival_s
    return [decide(r, fix, fix_name, now) for r in records]


def summary_lines(decisions: list[Decision], examples: int = 3) -> list[str]:
    """What would be sent and why the rest stays, grouped; a few examples of the repairs."""
    groups = Counter((d.send, d.record.reason, d.why) for d in decisions)
    lines = [
        f"  {'send' if send else 'stay'} {count:>7,}  {reason:<22} {why}"
        for (send, reason, why), count in sorted(
            groups.items(), key=lambda g: (not g[0][0], g[0][1:])
        )
    ]
    shown = [d for d in decisions if d.send][:examples]
    if shown:
        lines.append("  for example:")
    for d in shown:
        change = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in sorted(d.changes.items()))
        lines.append(f"    {d.record.event_uuid}: {change or 'unchanged'}")
    return lines
