"""The tracking plan: the declared event types, their fields and their violation policies.

The plan is data (`tracking_plan/plan.json` and one `tracking_plan/types/<type>.json` per
type, shipped inside the package so the Lambda, the Glue job and MWAA read the same bytes).
This module loads and checks it, and maps declared types to Glue (Hive) column types. The
generator, the day job, Soda, the catalog and the docs all read the plan through here.

Field types: string, integer, number, boolean, timestamp, array, object. An array declares
its element under "items"; an object declares its fields under "fields". A container without
a declared shape is stored as JSON text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from eventlake.core.contract import DERIVED_FIELDS, REQUIRED_FIELD_NAMES

PLAN_FOLDER = "tracking_plan"
SCALAR_GLUE_TYPES = {
    "string": "string",
    "integer": "bigint",
    "number": "double",
    "boolean": "boolean",
    "timestamp": "timestamp",
}
FIELD_TYPES: tuple[str, ...] = (*SCALAR_GLUE_TYPES, "array", "object")
FLAG = "flag"
QUARANTINE = "quarantine"
POLICIES: tuple[str, ...] = (FLAG, QUARANTINE)
# Violation reasons, written as `field:reason` entries in the lake's schema_violations column.
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
UNDECLARED_FIELD = "undeclared_field"  # for information: never quarantined
UNKNOWN_EVENT_NAME = "unknown_event_name"
VIOLATION_REASONS: tuple[str, ...] = (
    MISSING_FIELD,
    WRONG_TYPE,
    UNDECLARED_FIELD,
    UNKNOWN_EVENT_NAME,
)
BLOCKING_REASONS: tuple[str, ...] = (MISSING_FIELD, WRONG_TYPE, UNKNOWN_EVENT_NAME)
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
# Columns every lake file has: a declared field may not take one of these names.
RESERVED_NAMES = frozenset(
    {
        *REQUIRED_FIELD_NAMES,
        *DERIVED_FIELDS,
        "created_ts",
        "payload",
        "source_key",
        "arrival_ts",
        "schema_violations",
        "event_date",
        "run_date",
    }
)


class PlanError(ValueError):
    """The tracking plan is malformed: which file, which field, what is wrong."""


@dataclass(frozen=True)
class FieldDecl:
    name: str
    type: str
    required: bool = False
    description: str = ""
    items: FieldDecl | None = None  # an array's element
    fields: tuple[FieldDecl, ...] | None = None  # an object's fields
    generate: str | None = None  # how the generator makes a value; nothing else reads it

    @property
    def has_shape(self) -> bool:
        """False for an array or object whose shape is not declared (stored as JSON text)."""
        if self.type == "array":
            return self.items is not None
        if self.type == "object":
            return self.fields is not None
        return True

    @property
    def glue_type(self) -> str:
        if self.type in SCALAR_GLUE_TYPES:
            return SCALAR_GLUE_TYPES[self.type]
        if not self.has_shape:
            return "string"
        if self.type == "array":
            assert self.items is not None
            return f"array<{self.items.glue_type}>"
        assert self.fields is not None
        return "struct<" + ",".join(f"{f.name}:{f.glue_type}" for f in self.fields) + ">"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "required": self.required}
        if self.items is not None:
            out["items"] = self.items.to_dict()
        if self.fields is not None:
            out["fields"] = {f.name: f.to_dict() for f in self.fields}
        return out


@dataclass(frozen=True)
class EventTypeDecl:
    name: str
    version: int
    description: str
    policy: str
    names: tuple[str, ...]  # subtypes, e.g. "order:created"
    fields: tuple[FieldDecl, ...]
    traffic_weight: float = 1.0  # the generator's share of traffic

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}:{sub}" for sub in self.names)

    @property
    def table_name(self) -> str:
        return f"events_{self.name}"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def to_dict(self) -> dict[str, Any]:
        """The parts that readers depend on (what `eventlake schemas check` compares)."""
        return {
            "version": self.version,
            "policy": self.policy,
            "names": list(self.names),
            "fields": {f.name: f.to_dict() for f in self.fields},
        }


@dataclass(frozen=True)
class TrackingPlan:
    version: int
    types: tuple[EventTypeDecl, ...]
    unknown_name_policy: str
    violation_rate_warn: float

    def type(self, name: str) -> EventTypeDecl | None:
        return next((t for t in self.types if t.name == name), None)

    @property
    def type_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(n for t in self.types for n in t.event_names)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "unknown_event_names": {"policy": self.unknown_name_policy},
            "types": {t.name: t.to_dict() for t in self.types},
        }


def _field(name: str, spec: Any, where: str) -> FieldDecl:
    if not isinstance(spec, dict):
        raise PlanError(f"{where}: field {name!r} must be an object")
    if not NAME_PATTERN.fullmatch(name):
        raise PlanError(f"{where}: field name {name!r} must match {NAME_PATTERN.pattern}")
    kind = spec.get("type")
    if kind not in FIELD_TYPES:
        raise PlanError(f"{where}: field {name!r} has type {kind!r}; expected one of {FIELD_TYPES}")
    items = fields = None
    if "items" in spec:
        if kind != "array":
            raise PlanError(f"{where}: field {name!r} has 'items' but is not an array")
        items = _field("item", spec["items"], f"{where}: {name}")
    if "fields" in spec:
        if kind != "object":
            raise PlanError(f"{where}: field {name!r} has 'fields' but is not an object")
        fields = tuple(_field(n, s, f"{where}: {name}") for n, s in spec["fields"].items())
    return FieldDecl(
        name=name,
        type=kind,
        required=bool(spec.get("required", False)),
        description=str(spec.get("description", "")),
        items=items,
        fields=fields,
        generate=spec.get("generate"),
    )


def parse_type(doc: dict[str, Any], where: str) -> EventTypeDecl:
    name = doc.get("type", "")
    if not NAME_PATTERN.fullmatch(str(name)):
        raise PlanError(f"{where}: 'type' must match {NAME_PATTERN.pattern}, got {name!r}")
    policy = doc.get("policy", FLAG)
    if policy not in POLICIES:
        raise PlanError(f"{where}: policy {policy!r}; expected one of {POLICIES}")
    fields = tuple(_field(n, s, where) for n, s in doc.get("fields", {}).items())
    for f in fields:
        if f.name in RESERVED_NAMES:
            raise PlanError(f"{where}: field {f.name!r} is a common column of every event")
    return EventTypeDecl(
        name=name,
        version=int(doc.get("version", 1)),
        description=str(doc.get("description", "")),
        policy=policy,
        names=tuple(doc.get("names", ())),
        fields=fields,
        traffic_weight=float(doc.get("traffic_weight", 1.0)),
    )


def parse_plan(header: dict[str, Any], type_docs: dict[str, dict[str, Any]]) -> TrackingPlan:
    """Build and check a plan from its header and {file name: type document}."""
    types = []
    for file_name, doc in sorted(type_docs.items()):
        decl = parse_type(doc, file_name)
        if file_name.removesuffix(".json") != decl.name:
            raise PlanError(f"{file_name}: declares type {decl.name!r}; name the file after it")
        types.append(decl)
    policy = header.get("unknown_event_names", {}).get("policy", FLAG)
    if policy not in POLICIES:
        raise PlanError(f"plan.json: unknown_event_names policy {policy!r}")
    return TrackingPlan(
        version=int(header["version"]),
        types=tuple(types),
        unknown_name_policy=policy,
        violation_rate_warn=float(header.get("quality", {}).get("violation_rate_warn", 0.01)),
    )


@cache
def tracking_plan() -> TrackingPlan:
    """The plan shipped with the package (read as package data: in Glue it is in a zip)."""
    return load_plan(files(__package__).joinpath(PLAN_FOLDER))


def load_plan(root: Traversable) -> TrackingPlan:
    """The plan in a folder holding plan.json and types/ (a package resource or a Path)."""
    header = json.loads(root.joinpath("plan.json").read_text())
    type_docs = {
        entry.name: json.loads(entry.read_text())
        for entry in root.joinpath("types").iterdir()
        if entry.name.endswith(".json")
    }
    return parse_plan(header, type_docs)
