"""Schema evolution: `compare` allows what older partitions' readers survive, refuses the rest."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from eventlake.core.plan import tracking_plan
from eventlake.core.plan_evolution import Comparison, compare, plan_from_dict

# A released plan, as `TrackingPlan.to_dict()` writes it.
RELEASED: dict[str, Any] = {
    "version": 1,
    "unknown_event_names": {"policy": "flag"},
    "types": {
        "payment": {
            "version": 1,
            "policy": "flag",
            "names": ["order:created", "order:refunded"],
            "fields": {
                "amount": {"type": "number", "required": True},
                "currency": {"type": "string", "required": False},
                "items": {
                    "type": "array",
                    "required": True,
                    "items": {
                        "type": "object",
                        "required": False,
                        "fields": {
                            "sku": {"type": "string", "required": True},
                            "qty": {"type": "integer", "required": True},
                        },
                    },
                },
                "context": {"type": "object", "required": False},
            },
        },
        "search": {
            "version": 1,
            "policy": "flag",
            "names": ["performed"],
            "fields": {"results": {"type": "integer", "required": True}},
        },
    },
}


def evolve(edit: Callable[[dict[str, Any]], None], bump: bool = True) -> Comparison:
    """Compare RELEASED with a copy changed by `edit` (and its version bumped)."""
    doc = copy.deepcopy(RELEASED)
    edit(doc)
    if bump:
        doc["version"] += 1
    return compare(plan_from_dict(RELEASED), plan_from_dict(doc))


def payment(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["types"]["payment"]["fields"]


def only(lines: tuple[str, ...]) -> str:
    assert len(lines) == 1, lines
    return lines[0]


def test_the_same_plan_passes_and_says_so() -> None:
    result = evolve(lambda doc: None, bump=False)
    assert result.same
    assert result.ok
    assert result.allowed == ()


def test_the_shipped_plan_equals_itself() -> None:
    result = compare(tracking_plan(), plan_from_dict(tracking_plan().to_dict()))
    assert result.same
    assert result.ok


def test_an_added_optional_field_passes_as_a_new_column() -> None:
    result = evolve(lambda doc: payment(doc).update(coupon={"type": "string"}))
    assert result.ok
    assert not result.same
    line = only(result.allowed)
    assert line.startswith("events_payment: new optional field 'coupon'")
    assert "column coupon string" in line


def test_a_removed_field_fails_naming_the_field_and_the_table() -> None:
    result = evolve(lambda doc: payment(doc).pop("currency"))
    assert not result.ok
    line = only(result.refused)
    assert line.startswith("events_payment: field 'currency' is removed")


def test_a_type_change_fails_naming_the_field_the_table_and_the_columns() -> None:
    result = evolve(lambda doc: payment(doc)["amount"].update(type="string"))
    assert not result.ok
    assert only(result.refused) == (
        "events_payment: field 'amount' changes type number -> string "
        "(column amount double -> string): readers of older partitions break"
    )


def test_integer_widens_to_number() -> None:
    result = evolve(lambda doc: doc["types"]["search"]["fields"]["results"].update(type="number"))
    assert result.ok
    line = only(result.allowed)
    assert "events_search: field 'results' widens integer -> number" in line
    assert "bigint -> double" in line


def test_number_does_not_narrow_to_integer() -> None:
    result = evolve(lambda doc: payment(doc)["amount"].update(type="integer"))
    assert "events_payment: field 'amount' changes type number -> integer" in only(result.refused)


def test_an_optional_field_does_not_become_required() -> None:
    result = evolve(lambda doc: payment(doc)["currency"].update(required=True))
    assert "events_payment: field 'currency' becomes required" in only(result.refused)


def test_a_new_required_field_fails() -> None:
    result = evolve(lambda doc: payment(doc).update(coupon={"type": "string", "required": True}))
    line = only(result.refused)
    assert "events_payment: new field 'coupon' is required" in line
    assert "add it as optional" in line


def test_a_removed_type_fails() -> None:
    result = evolve(lambda doc: doc["types"].pop("search"))
    assert "events_search: type 'search' is removed" in only(result.refused)


def test_a_new_type_passes_as_a_new_table() -> None:
    def add_refund(doc: dict[str, Any]) -> None:
        doc["types"]["refund"] = copy.deepcopy(doc["types"]["search"])

    result = evolve(add_refund)
    assert result.ok
    assert "events_refund: new event type 'refund'" in only(result.allowed)


def test_a_removed_event_name_fails_and_an_added_one_passes() -> None:
    names = ["order:created", "order:cancelled"]
    result = evolve(lambda doc: doc["types"]["payment"].update(names=names))
    assert "events_payment: event name 'payment:order:refunded' is removed" in only(result.refused)
    assert "events_payment: new event name 'payment:order:cancelled'" in only(result.allowed)


def test_a_policy_change_passes() -> None:
    result = evolve(lambda doc: doc["types"]["payment"].update(policy="quarantine"))
    assert result.ok
    assert "events_payment: policy flag -> quarantine" in only(result.allowed)


def test_a_nested_type_change_names_the_field_path() -> None:
    result = evolve(
        lambda doc: payment(doc)["items"]["items"]["fields"]["qty"].update(type="string")
    )
    line = only(result.refused)
    assert line.startswith("events_payment: field 'items[].qty' changes type integer -> string")
    assert "column items array<struct<sku:string,qty:bigint>> -> " in line


def test_a_nested_field_does_not_widen() -> None:
    result = evolve(
        lambda doc: payment(doc)["items"]["items"]["fields"]["qty"].update(type="number")
    )
    assert "field 'items[].qty' changes type integer -> number" in only(result.refused)


def test_a_removed_nested_field_fails() -> None:
    result = evolve(lambda doc: payment(doc)["items"]["items"]["fields"].pop("sku"))
    assert "events_payment: field 'items[].sku' is removed" in only(result.refused)


def test_an_optional_nested_field_passes() -> None:
    price = {"type": "number", "required": False}
    result = evolve(lambda doc: payment(doc)["items"]["items"]["fields"].update(price=price))
    assert result.ok
    assert "events_payment: new optional field 'items[].price'" in only(result.allowed)


@pytest.mark.parametrize(
    "context",
    [
        {"type": "object", "fields": {"os": {"type": "string"}}},  # JSON text -> a struct
        {"type": "array"},  # still JSON text, but no longer an object
    ],
)
def test_json_text_does_not_change_shape(context: dict[str, Any]) -> None:
    result = evolve(lambda doc: payment(doc).update(context=context))
    assert "events_payment: field 'context' changes type object (JSON text) ->" in only(
        result.refused
    )


def test_a_change_without_a_version_bump_fails() -> None:
    result = evolve(lambda doc: payment(doc).update(coupon={"type": "string"}), bump=False)
    assert only(result.allowed).startswith("events_payment: new optional field 'coupon'")
    line = only(result.refused)
    assert "differs from released v1 but plan.json's version is 1" in line
    assert "bump it to 2" in line


def search(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["types"]["search"]["fields"]


def test_a_new_field_may_not_retype_a_column_its_files_already_carry() -> None:
    """payment and search share one write, so search's files hold payment's `amount`."""
    result = evolve(lambda doc: search(doc).update(amount={"type": "string"}))
    line = only(result.refused)
    assert line.startswith("events_search: new field 'amount' (string)")
    assert "already carry a column amount double" in line


def test_a_new_field_may_take_a_carried_column_with_its_own_type() -> None:
    result = evolve(lambda doc: search(doc).update(amount={"type": "number"}))
    assert result.ok, result.refused


def test_a_new_field_may_widen_a_carried_integer_column_to_number() -> None:
    """payment's files hold search's `results` (bigint); payment may declare it a number."""
    result = evolve(lambda doc: payment(doc).update(results={"type": "number"}))
    assert result.ok, result.refused
