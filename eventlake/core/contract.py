"""The event contract: required fields, validation rules, reason codes and derived fields.

This module is the one definition of an event. The Lambda transform uses its Python form
(`validate_record`); the Glue job hands the same tables to a Java form of it
(`eventlake.dayjob.record_check`). A parity test runs both on a shared corpus.

Decisions (see docs/contract.md):
- `created_at` is Unix epoch *seconds* (int or float). A value that only makes sense as
  epoch milliseconds (it lands inside the plausible window once divided by 1000) is
  quarantined as `created_at_in_millis`, never silently rescaled.
- "Future" and "too old" are measured against the record's *arrival* time, not the wall
  clock of the job, so rerunning a day months later gives the same verdicts.
- A field that is present with JSON `null` counts as missing.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

# --- reason codes, in order of precedence (the first rule that fails names the reason) ---
RECORD_TOO_LARGE = "record_too_large"
UNPARSEABLE_JSON = "unparseable_json"
NOT_A_JSON_OBJECT = "not_a_json_object"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
BAD_UUID = "bad_uuid"
BAD_EVENT_NAME = "bad_event_name"
CREATED_AT_IN_MILLIS = "created_at_in_millis"
CREATED_AT_IN_FUTURE = "created_at_in_future"
CREATED_AT_TOO_OLD = "created_at_too_old"

CONTRACT_REASONS: tuple[str, ...] = (
    RECORD_TOO_LARGE,
    UNPARSEABLE_JSON,
    NOT_A_JSON_OBJECT,
    MISSING_FIELD,
    WRONG_TYPE,
    BAD_UUID,
    BAD_EVENT_NAME,
    CREATED_AT_IN_MILLIS,
    CREATED_AT_IN_FUTURE,
    CREATED_AT_TOO_OLD,
)
# Not a contract rule: the day job quarantines later copies of a uuid whose payload differs.
SYNTHETIC_DUPLICATE = "synthetic_duplicate"
# Nor is this: an event that breaks its type's declaration, under the type's quarantine policy.
SCHEMA_VIOLATION = "schema_violation"
QUARANTINE_REASONS: tuple[str, ...] = (*CONTRACT_REASONS, SYNTHETIC_DUPLICATE, SCHEMA_VIOLATION)

# --- limits ---
MAX_EVENT_BYTES = 1_000_000  # below Kinesis' 1 MiB record limit, so oversize can be quarantined
MILLIS_THRESHOLD = 1e11  # seconds >= 1e11 is year 5138; such values are looked at as millis
MAX_EVENT_NAME_LENGTH = 128
# Jackson (2.15 in Spark 3.5, 2.20 in Spark 4.1) rejects a number token longer than this by
# default, so the Python parser's fallback does too and both engines agree.
MAX_NUMBER_LENGTH = 1000
# Jackson allows 1,000 levels of nesting by default, and Spark parses a record wrapped in one
# more level ([record]), so a record may nest 999 levels (the record itself is level 1).
MAX_NESTING_DEPTH = 999
FIREHOSE_MAX_BUFFER_S = 900.0  # Firehose's longest buffering interval

# Regexes use ASCII classes only, so Python `re` and Java regex read them the same way.
UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
EVENT_NAME_SEGMENT = r"[a-z][a-z0-9_]*"
EVENT_NAME_PATTERN = rf"{EVENT_NAME_SEGMENT}(:{EVENT_NAME_SEGMENT})+"


@dataclass(frozen=True)
class FieldSpec:
    """One required field: its JSON type and, for strings, the format it must match."""

    name: str
    json_type: str  # "string" or "number"
    pattern: str | None = None
    max_length: int | None = None
    format_reason: str | None = None


REQUIRED_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("event_uuid", "string", UUID_PATTERN, 36, BAD_UUID),
    FieldSpec("event_name", "string", EVENT_NAME_PATTERN, MAX_EVENT_NAME_LENGTH, BAD_EVENT_NAME),
    FieldSpec("created_at", "number"),
)
REQUIRED_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in REQUIRED_FIELDS)
DERIVED_FIELDS: tuple[str, ...] = ("created_datetime", "event_type", "event_subtype")


@dataclass(frozen=True)
class ContractConfig:
    """Tunable bounds of the time rules, in seconds."""

    max_future_skew_s: float = 300.0
    max_event_age_s: float = 7 * 86400.0

    def __post_init__(self) -> None:
        if self.max_future_skew_s < 0 or self.max_event_age_s <= 0:
            raise ValueError("max_future_skew_s must be >= 0 and max_event_age_s > 0")

    def for_object_arrival(self, buffer_s: float = FIREHOSE_MAX_BUFFER_S) -> ContractConfig:
        """The bounds to use against a Firehose object's time instead of a record's arrival.

        The object's name carries the arrival of its *first* record; any record in it arrived
        up to one buffer interval (+1 s of name rounding) later. "Too old" is measured from
        the object time (the earliest possible arrival) and "in the future" from the latest,
        so the day job never rejects a record the transform, which knows each arrival, accepted.
        """
        return replace(self, max_future_skew_s=self.max_future_skew_s + buffer_s + 1.0)


DEFAULT_CONFIG = ContractConfig()


class Verdict(NamedTuple):
    """The result of validating one raw record (a tuple: it is made once per record)."""

    reason: str | None  # None means valid
    field: str | None = None  # the field the reason is about, if any
    event: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return self.reason is None

    @property
    def detail(self) -> str:
        return self.reason if self.field is None else f"{self.reason}:{self.field}"


_FULLMATCH = {f.name: re.compile(f.pattern).fullmatch for f in REQUIRED_FIELDS if f.pattern}
_STRING_TYPES = (str,)
NUMBER_TYPES = (int, float)  # exact types: bool is a subclass of int but not a number here
# (name, accepted exact types, fullmatch or None, max length, format reason), from the table.
_CHECKS = tuple(
    (
        f.name,
        _STRING_TYPES if f.json_type == "string" else NUMBER_TYPES,
        _FULLMATCH.get(f.name),
        f.max_length,
        f.format_reason,
    )
    for f in REQUIRED_FIELDS
)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _bounded_number(convert: Any) -> Any:
    def parse(token: str) -> Any:
        if len(token) > MAX_NUMBER_LENGTH:
            raise ValueError(f"number longer than {MAX_NUMBER_LENGTH} characters")
        return convert(token)

    return parse


_PARSE_INT, _PARSE_FLOAT = _bounded_number(int), _bounded_number(float)
_LONG_NUMBER_RUN = re.compile(rb"[-+.0-9eE]{%d}" % (MAX_NUMBER_LENGTH + 1)).search


def may_hold_long_number(text: bytes) -> bool:
    """False proves that no number token is longer than MAX_NUMBER_LENGTH (orjson does not
    check that); True only means a long run of number characters, maybe inside a string."""
    return len(text) > MAX_NUMBER_LENGTH and _LONG_NUMBER_RUN(text) is not None


def _parse_stdlib(text: bytes) -> Any:
    return json.loads(
        text.decode("utf-8"),
        parse_constant=_reject_constant,
        parse_int=_PARSE_INT,
        parse_float=_PARSE_FLOAT,
    )


def nesting_depth(value: Any) -> int:
    """Levels of objects and arrays in a parsed value (a scalar is 0), without recursion."""
    depth, level = 0, [(value, 1)]
    while level:
        item, at = level.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        depth = max(depth, at)
        level.extend((child, at + 1) for child in children)
    return depth


def _too_deep(text: bytes, value: Any) -> bool:
    # Only a text with that many brackets can be that deep; nearly every record is skipped.
    return (
        len(text) > 2 * MAX_NESTING_DEPTH
        and text.count(b"[") + text.count(b"{") > MAX_NESTING_DEPTH
        and nesting_depth(value) > MAX_NESTING_DEPTH
    )


def parse_json(text: bytes) -> Any:
    """Parse strictly: no NaN/Infinity, no trailing content, at most MAX_NESTING_DEPTH levels.
    Raises ValueError."""
    if may_hold_long_number(text):
        value = _parse_stdlib(text)
    else:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            # orjson also rejects lone surrogates and numbers beyond double range, which the
            # JVM (Jackson) accepts; fall back to the stdlib so both engines agree.
            value = _parse_stdlib(text)
    if _too_deep(text, value):
        raise ValueError(f"nested deeper than {MAX_NESTING_DEPTH} levels")
    return value


def as_seconds(created_at: float) -> float:
    """A numeric created_at as a float; an integer beyond double range becomes an infinity,
    as Jackson reads it into a double."""
    try:
        return float(created_at)
    except OverflowError:
        return math.inf if created_at > 0 else -math.inf


def time_reason(created_at: float, arrival_epoch_s: float, cfg: ContractConfig) -> str | None:
    """The time rules for a numeric created_at, relative to arrival."""
    earliest = arrival_epoch_s - cfg.max_event_age_s
    latest = arrival_epoch_s + cfg.max_future_skew_s
    if created_at >= MILLIS_THRESHOLD and earliest <= created_at / 1000.0 <= latest:
        return CREATED_AT_IN_MILLIS
    if created_at > latest:
        return CREATED_AT_IN_FUTURE
    if created_at < earliest:
        return CREATED_AT_TOO_OLD
    return None


def _first_failure(event: dict[str, Any], arrival_epoch_s: float, cfg: ContractConfig) -> Verdict:
    """Walk the rule table in precedence order: the exact reason for an invalid event."""
    values = [event.get(name) for name, *_ in _CHECKS]
    for (name, *_), value in zip(_CHECKS, values, strict=True):
        if value is None:
            return Verdict(MISSING_FIELD, name)
    for (name, types, *_), value in zip(_CHECKS, values, strict=True):
        if type(value) not in types:
            return Verdict(WRONG_TYPE, name)
    for (name, _, fullmatch, max_length, reason), value in zip(_CHECKS, values, strict=True):
        if fullmatch is not None and (len(value) > max_length or not fullmatch(value)):
            return Verdict(reason, name)
    reason = time_reason(as_seconds(event["created_at"]), arrival_epoch_s, cfg)
    return Verdict(reason, "created_at") if reason else Verdict(None, None, event)


# The hot path below is the same table, unrolled for speed; _first_failure stays the reference.
(
    (_UUID, _UUID_TYPES, _UUID_MATCH, _UUID_MAX, _),
    (_NAME, _NAME_TYPES, _NAME_MATCH, _NAME_MAX, _),
    (
        _CREATED,
        _CREATED_TYPES,
        *_,
    ),
) = _CHECKS


# A day has about a hundred distinct event names: remember the valid ones instead of
# matching the pattern for every record. Bounded, so hostile names cannot grow it.
_VALID_NAMES_SEEN: set[str] = set()
_VALID_NAMES_CAP = 4096


def _is_valid_name(name: str) -> bool:
    valid = len(name) <= _NAME_MAX and _NAME_MATCH(name) is not None
    if valid and len(_VALID_NAMES_SEEN) < _VALID_NAMES_CAP:
        _VALID_NAMES_SEEN.add(name)
    return valid


def passes_contract(
    event: Any, arrival_epoch_s: float, cfg: ContractConfig = DEFAULT_CONFIG
) -> bool:
    """True when a parsed JSON value is a valid event: the common case, checked in one go."""
    if type(event) is not dict:
        return False
    uuid, name, created = event.get(_UUID), event.get(_NAME), event.get(_CREATED)
    return (
        type(uuid) in _UUID_TYPES
        and type(name) in _NAME_TYPES
        and type(created) in _CREATED_TYPES
        and len(uuid) <= _UUID_MAX
        and _UUID_MATCH(uuid) is not None
        and (name in _VALID_NAMES_SEEN or _is_valid_name(name))
        and arrival_epoch_s - cfg.max_event_age_s <= created < MILLIS_THRESHOLD
        and created <= arrival_epoch_s + cfg.max_future_skew_s
    )


def check_event(
    event: Any, arrival_epoch_s: float, cfg: ContractConfig = DEFAULT_CONFIG
) -> Verdict:
    """Apply the contract to an already parsed JSON value."""
    if passes_contract(event, arrival_epoch_s, cfg):
        return Verdict(None, None, event)
    if type(event) is not dict:
        return Verdict(NOT_A_JSON_OBJECT)
    return _first_failure(event, arrival_epoch_s, cfg)


def validate_record(
    raw: bytes | str, arrival_epoch_s: float, cfg: ContractConfig = DEFAULT_CONFIG
) -> Verdict:
    """Validate one raw record (the text of one JSON object). Never raises."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > MAX_EVENT_BYTES:
        return Verdict(RECORD_TOO_LARGE)
    try:
        event = parse_json(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return Verdict(UNPARSEABLE_JSON)
    return check_event(event, arrival_epoch_s, cfg)


# --- derived fields ---


@lru_cache(maxsize=4096)
def _utc_minute(minutes: int) -> str:
    return datetime.fromtimestamp(minutes * 60, UTC).strftime("%Y-%m-%dT%H:%M")


def created_datetime(created_at: float) -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-24T13:45:12.345Z (truncated like Spark)."""
    micros = int(created_at * 1_000_000)
    seconds, micro = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    return f"{_utc_minute(minutes)}:{second:02d}.{micro // 1000:03d}Z"


def split_event_name(event_name: str) -> tuple[str, str]:
    """`payment:order:completed` -> ("payment", "order")."""
    parts = event_name.split(":")
    return parts[0], parts[1]


def derived_fields(event: dict[str, Any]) -> dict[str, str]:
    """The fields the transform adds to a valid event."""
    event_type, event_subtype = split_event_name(event["event_name"])
    return {
        "created_datetime": created_datetime(float(event["created_at"])),
        "event_type": event_type,
        "event_subtype": event_subtype,
    }
