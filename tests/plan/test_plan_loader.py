"""The tracking plan loader: the shipped plan, and the errors a malformed plan raises."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from eventlake.core.plan import (
    FIELD_TYPES,
    PLAN_FOLDER,
    POLICIES,
    RESERVED_NAMES,
    PlanError,
    load_plan,
    parse_plan,
    tracking_plan,
)
from eventlake.core.plan_evolution import plan_from_dict
from eventlake.core.tables import EVENTS, lake_file_groups, table, type_tables

HEADER = {"version": 1}


def type_doc(**changes: Any) -> dict[str, Any]:
    doc = {
        "type": "payment",
        "names": ["order:created"],
        "fields": {"amount": {"type": "number", "required": True}},
    }
    return {**doc, **changes}


def test_the_shipped_plan_loads_and_every_type_has_fields_and_names() -> None:
    plan = tracking_plan()
    assert plan.types
    assert len(set(plan.type_names)) == len(plan.types)
    for t in plan.types:
        assert t.names, t.name
        assert t.fields, t.name
        assert t.table_name == f"events_{t.name}"
        assert all(name.startswith(f"{t.name}:") for name in t.event_names)
        assert not set(t.field_names) & RESERVED_NAMES, t.name
        assert {f.type for f in t.fields} <= set(FIELD_TYPES)
        assert t.policy in POLICIES


def test_a_plan_folder_loads_like_the_shipped_plan(tmp_path: Path) -> None:
    shipped = files("eventlake.core").joinpath(PLAN_FOLDER)
    shutil.copytree(str(shipped), tmp_path / "plan")
    assert load_plan(tmp_path / "plan") == tracking_plan()


def test_a_snapshot_reads_back_as_the_same_plan() -> None:
    doc = tracking_plan().to_dict()
    assert plan_from_dict(json.loads(json.dumps(doc))).to_dict() == doc


@pytest.mark.parametrize(
    ("field", "glue_type"),
    [
        ({"type": "integer"}, "bigint"),
        ({"type": "number"}, "double"),
        ({"type": "timestamp"}, "timestamp"),
        ({"type": "array", "items": {"type": "string"}}, "array<string>"),
        (
            {"type": "object", "fields": {"a": {"type": "integer"}, "b": {"type": "boolean"}}},
            "struct<a:bigint,b:boolean>",
        ),
        ({"type": "array"}, "string"),
        ({"type": "object"}, "string"),
    ],
)
def test_declared_types_map_to_glue_columns(field: dict[str, Any], glue_type: str) -> None:
    plan = parse_plan(HEADER, {"payment.json": type_doc(fields={"x": field})})
    assert plan.types[0].fields[0].glue_type == glue_type


def test_an_unknown_field_type_is_refused() -> None:
    doc = type_doc(fields={"amount": {"type": "money"}})
    with pytest.raises(PlanError, match=r"payment\.json: field 'amount' has type 'money'"):
        parse_plan(HEADER, {"payment.json": doc})


def test_a_nested_unknown_type_is_refused() -> None:
    items = {"type": "object", "fields": {"qty": {"type": "int"}}}
    doc = type_doc(fields={"items": {"type": "array", "items": items}})
    with pytest.raises(PlanError, match="field 'qty' has type 'int'"):
        parse_plan(HEADER, {"payment.json": doc})


@pytest.mark.parametrize("name", ["payload", "event_name", "created_datetime", "event_date"])
def test_a_common_column_name_is_reserved(name: str) -> None:
    doc = type_doc(fields={name: {"type": "string"}})
    with pytest.raises(PlanError, match=f"field '{name}' is a common column"):
        parse_plan(HEADER, {"payment.json": doc})


def test_the_file_name_must_match_the_type() -> None:
    with pytest.raises(PlanError, match=r"payments\.json: declares type 'payment'"):
        parse_plan(HEADER, {"payments.json": type_doc()})


def test_a_bad_type_policy_is_refused() -> None:
    with pytest.raises(PlanError, match="policy 'drop'"):
        parse_plan(HEADER, {"payment.json": type_doc(policy="drop")})


def test_a_bad_unknown_name_policy_is_refused() -> None:
    header = {**HEADER, "unknown_event_names": {"policy": "drop"}}
    with pytest.raises(PlanError, match="unknown_event_names policy 'drop'"):
        parse_plan(header, {"payment.json": type_doc()})


def test_items_on_a_scalar_is_refused() -> None:
    doc = type_doc(fields={"amount": {"type": "number", "items": {"type": "number"}}})
    with pytest.raises(PlanError, match="'items' but is not an array"):
        parse_plan(HEADER, {"payment.json": doc})


def test_types_share_one_file_group_unless_a_field_name_is_typed_two_ways() -> None:
    plan = parse_plan(
        HEADER,
        {
            "payment.json": type_doc(),
            "refund.json": type_doc(
                type="refund",
                names=["refund:issued"],
                fields={"amount": {"type": "string"}, "reason": {"type": "string"}},
            ),
            "order.json": type_doc(
                type="order",
                names=["order:placed"],
                fields={"amount": {"type": "number"}, "items": {"type": "integer"}},
            ),
        },
    )
    groups = lake_file_groups(plan.types)
    assert [g.types for g in groups] == [("order", "payment"), ("refund",)]
    assert [(c.name, c.type) for c in groups[0].typed] == [
        ("amount", "double"),
        ("items", "bigint"),
    ]
    assert [(c.name, c.type) for c in groups[1].typed] == [
        ("amount", "string"),
        ("reason", "string"),
    ]


def test_the_shipped_plan_is_written_in_one_pass() -> None:
    (group,) = lake_file_groups(tracking_plan().types)
    assert group.types == tracking_plan().type_names
    declared = {
        (c.name, c.type) for t in type_tables() for c in t.columns[len(table(EVENTS).columns) :]
    }
    assert {(c.name, c.type) for c in group.typed} == declared
