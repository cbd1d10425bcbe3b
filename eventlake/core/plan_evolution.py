"""Schema evolution: which tracking plan changes the readers of older partitions survive.

A released plan is kept as a snapshot, `tracking_plan/released/v<N>.json` (exactly
`TrackingPlan.to_dict()`). `compare(released, current)` lists the changes that are allowed
(new optional fields and types, new event names, integer -> number, policies) and refuses
the rest: a removed or retyped column, a required field older partitions lack, a removed
event name, a new field whose name the type's older files already carry with another type.
`eventlake schemas check` and `release` are the command-line side.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from eventlake.core.plan import PLAN_FOLDER, EventTypeDecl, FieldDecl, TrackingPlan, parse_plan
from eventlake.core.tables import lake_file_groups

RELEASED_FOLDER = "released"
SNAPSHOT_NAME = re.compile(r"v([0-9]+)\.json")
BREAKS = "readers of older partitions break"
# The one column type change older partitions survive (top-level columns only).
WIDENING = ("bigint", "double")  # integer -> number


@dataclass(frozen=True)
class Comparison:
    released_version: int
    version: int
    same: bool  # the plan equals the released snapshot
    allowed: tuple[str, ...]
    refused: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.refused


def released_folder() -> Traversable:
    """The snapshots shipped with the package (package data, so it also reads from a zip)."""
    return files("eventlake.core").joinpath(PLAN_FOLDER, RELEASED_FOLDER)


def snapshot_text(plan: TrackingPlan) -> str:
    return json.dumps(plan.to_dict(), indent=2) + "\n"


def latest_release(folder: Traversable) -> tuple[int, dict[str, Any]] | None:
    """(N, snapshot) of the highest v<N>.json in `folder`; None if there is none."""
    if not folder.is_dir():
        return None
    versions = {
        int(m.group(1)): entry
        for entry in folder.iterdir()
        if (m := SNAPSHOT_NAME.fullmatch(entry.name))
    }
    if not versions:
        return None
    n = max(versions)
    return n, json.loads(versions[n].read_text())


def plan_from_dict(doc: dict[str, Any]) -> TrackingPlan:
    """The plan a snapshot (`TrackingPlan.to_dict()`) describes, checked like the plan files."""
    header = {key: value for key, value in doc.items() if key != "types"}
    type_docs = {f"{name}.json": {"type": name, **t} for name, t in doc["types"].items()}
    return parse_plan(header, type_docs)


def compare(released: TrackingPlan, current: TrackingPlan) -> Comparison:
    """The changes from `released` to `current`, split into allowed and refused."""
    allowed: list[str] = []
    refused: list[str] = []
    carried = {
        t: {c.name: c.type for c in group.typed}
        for group in lake_file_groups(released.types)
        for t in group.types
    }
    if released.unknown_name_policy != current.unknown_name_policy:
        allowed.append(
            f"plan: unknown event names policy "
            f"{released.unknown_name_policy} -> {current.unknown_name_policy}"
        )
    for old in released.types:
        new = current.type(old.name)
        table = old.table_name
        if new is None:
            refused.append(f"{table}: type {old.name!r} is removed: queries of the table break")
            continue
        if old.version != new.version:
            allowed.append(f"{table}: type version {old.version} -> {new.version}")
        if old.policy != new.policy:
            allowed.append(f"{table}: policy {old.policy} -> {new.policy}")
        for name in old.event_names:
            if name not in new.event_names:
                refused.append(
                    f"{table}: event name {name!r} is removed: events already in the lake carry it"
                )
        for name in new.event_names:
            if name not in old.event_names:
                allowed.append(f"{table}: new event name {name!r}")
        _compare_fields(table, "", old.fields, new.fields, "", allowed, refused)
        refused.extend(_clashes_with_carried_columns(old, new, carried[old.name]))
    for new in current.types:
        if released.type(new.name) is None:
            allowed.append(f"{new.table_name}: new event type {new.name!r} (a new table)")
    same = released.to_dict() == current.to_dict()
    if not same and current.version <= released.version:
        refused.append(
            f"plan: differs from released v{released.version} but plan.json's version is "
            f"{current.version}: bump it to {released.version + 1}"
        )
    return Comparison(released.version, current.version, same, tuple(allowed), tuple(refused))


def _clashes_with_carried_columns(
    old: EventTypeDecl, new: EventTypeDecl, carried: dict[str, str]
) -> list[str]:
    """A new field whose name the type's older files already carry with another type.

    The types of one file group are written in one pass, so a type's files also hold the
    group's other fields (NULL there): events_<type> would read such a column with the wrong
    type in the older partitions."""
    clashes = []
    for field in new.fields:
        was = carried.get(field.name)
        if field.name in old.field_names or was in (None, field.glue_type):
            continue
        if (was, field.glue_type) == WIDENING:
            continue
        clashes.append(
            f"{new.table_name}: new field {field.name!r} ({field.glue_type}): older {new.name} "
            f"files already carry a column {field.name} {was} (another type's field, written in "
            f"the same pass): {BREAKS}; declare it as {was} or name it differently"
        )
    return clashes


def _compare_fields(
    table: str,
    parent: str,
    old_fields: tuple[FieldDecl, ...],
    new_fields: tuple[FieldDecl, ...],
    column: str,
    allowed: list[str],
    refused: list[str],
) -> None:
    """Fields of a type (parent "") or of a declared object (parent e.g. "items[].").

    `column` describes the top-level column a nested field lives in ("" at the top).
    """
    old_by_name = {f.name: f for f in old_fields}
    new_by_name = {f.name: f for f in new_fields}
    for name, old in old_by_name.items():
        path = parent + name
        new = new_by_name.get(name)
        where = column or f"column {name} {old.glue_type}"
        if new is None:
            refused.append(
                f"{table}: field {path!r} is removed ({where}): queries that read it break"
            )
        else:
            where = column or f"column {name} {old.glue_type} -> {new.glue_type}"
            _compare_field(table, path, old, new, where, not parent, allowed, refused)
    for name, new in new_by_name.items():
        if name in old_by_name:
            continue
        path = parent + name
        if new.required:
            refused.append(
                f"{table}: new field {path!r} is required, but older partitions have no value: "
                "add it as optional"
            )
        else:
            where = column or f"column {name} {new.glue_type}"
            allowed.append(
                f"{table}: new optional field {path!r} ({where}; older partitions read NULL)"
            )


def _compare_field(
    table: str,
    path: str,
    old: FieldDecl,
    new: FieldDecl,
    column: str,
    top: bool,
    allowed: list[str],
    refused: list[str],
) -> None:
    if not old.required and new.required:
        refused.append(
            f"{table}: field {path!r} becomes required, but older partitions have rows without it"
        )
    elif old.required and not new.required:
        allowed.append(f"{table}: field {path!r} becomes optional (newer rows may be NULL)")
    if top and (old.glue_type, new.glue_type) == WIDENING:
        allowed.append(f"{table}: field {path!r} widens integer -> number ({column})")
    elif old.type != new.type or old.has_shape != new.has_shape:
        refused.append(
            f"{table}: field {path!r} changes type {_describe(old)} -> {_describe(new)} "
            f"({column}): {BREAKS}"
        )
    elif old.items is not None and new.items is not None:
        _compare_field(table, path + "[]", old.items, new.items, column, False, allowed, refused)
    elif old.fields is not None and new.fields is not None:
        _compare_fields(table, path + ".", old.fields, new.fields, column, allowed, refused)


def _describe(f: FieldDecl) -> str:
    return f.type if f.has_shape else f"{f.type} (JSON text)"
