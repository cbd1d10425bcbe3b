"""Per-type validation against the tracking plan, on small DataFrames (real Spark, the job's
RecordCheck function).

Each case is one event that is valid under the contract; the plan decides its violations.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from eventlake.core import contract as C
from eventlake.core import plan as P
from eventlake.core.plan import tracking_plan
from eventlake.dayjob import lake
from eventlake.dayjob.plan_columns import VIOLATIONS, typed_column
from eventlake.dayjob.record_check import with_checks

pytestmark = pytest.mark.spark

UUID = "0b1f7a52-8a3c-4d7e-9f10-2b3c4d5e6f70"
CREATED_AT = 1764000000
PAYMENT = {
    "user_id": "use_1",
    "order_id": "ord_1",
    "amount": 12.5,
    "currency": "eur",
    "items": [{"sku": "sku_1", "qty": 2}],
}
APP = {"device_id": "dev_1", "app_version": "5.2.0", "os": "ios", "free_disk_mb": 100}


def event(name: str, **fields) -> dict:
    return {"event_uuid": UUID, "event_name": name, "created_at": CREATED_AT, **fields}


def payment(**changes) -> dict:
    fields = {**PAYMENT, **changes}
    return event("payment:order:created", **{k: v for k, v in fields.items() if v is not DROP})


DROP = object()

CASES = [
    ("fits", payment(), []),
    ("number as text", payment(amount="abc"), ["amount:wrong_type"]),
    ("number too large for a double", None, ["amount:wrong_type"]),
    ("string as number", payment(user_id=123), ["user_id:wrong_type"]),
    ("string as object", payment(user_id={"id": 1}), ["user_id:wrong_type"]),
    ("string as boolean", payment(user_id=True), ["user_id:wrong_type"]),
    ("string that looks like a number", payment(user_id="123"), []),
    ("required missing", payment(user_id=DROP), ["user_id:missing_field"]),
    ("required null", payment(user_id=None), ["user_id:missing_field"]),
    ("array as object", payment(items={}), ["items:wrong_type"]),
    ("array of numbers", payment(items=[1, 2]), ["items:wrong_type"]),
    ("undeclared field", payment(coupon="x"), ["coupon:undeclared_field"]),
    ("two faults", payment(amount="x", user_id=DROP), ["user_id:missing_field", "amount:wrong_type"]),
    ("unknown subtype", event("payment:refund:reversed", **PAYMENT), ["event_name:unknown_event_name"]),
    ("unknown type", event("wishlist:item:added", sku="x"), ["event_name:unknown_event_name"]),
    ("version string", event("app:opened", **APP), []),
    ("integer as float", event("app:opened", **{**APP, "free_disk_mb": 1.5}), ["free_disk_mb:wrong_type"]),
    ("integer as text", event("app:opened", **{**APP, "free_disk_mb": "5"}), ["free_disk_mb:wrong_type"]),
    ("shapeless object", event("app:opened", **APP, context={"a": [1]}), []),
    ("shapeless object as text", event("app:opened", **APP, context="{a"), ["context:wrong_type"]),
    ("shapeless object as array", event("app:opened", **APP, context=[1]), ["context:wrong_type"]),
    ("optional absent", event("subscription:renewed", user_id="u", subscription_id="s", plan="pro", amount=5), []),
    ("timestamp", event("subscription:renewed", user_id="u", subscription_id="s", plan="pro", amount=5, current_period_end="2026-12-01T00:00:00Z"), []),
    ("timestamp as text", event("subscription:renewed", user_id="u", subscription_id="s", plan="pro", amount=5, current_period_end="soon"), ["current_period_end:wrong_type"]),
    ("boolean as text", event("support:ticket:opened", user_id="u", ticket_id="t", priority="low", first_contact="yes"), ["first_contact:wrong_type"]),
    ("number as NaN text", payment(amount="NaN"), ["amount:wrong_type"]),
    ("integer too large for a double", json.dumps(payment(amount=0)).replace('"amount": 0', '"amount": 1' + "0" * 400), ["amount:wrong_type"]),
    ("repeated key, the last fits", json.dumps(payment()).replace('"amount": 12.5', '"amount": "x", "amount": 12.5'), []),
    ("repeated key, the last does not fit", json.dumps(payment()).replace('"amount": 12.5', '"amount": 12.5, "amount": "x"'), ["amount:wrong_type"]),
    ("repeated key, the last is null", json.dumps(payment()).replace('"amount": 12.5', '"amount": 12.5, "amount": null'), ["amount:missing_field"]),
    ("undeclared fields, sorted by code point", payment(zeta=1, Alpha=2, **{"\u00f1": 3, "\U0001f600": 4, "\uff5e": 5}), ["Alpha:undeclared_field", "zeta:undeclared_field", "\u00f1:undeclared_field", "\uff5e:undeclared_field", "\U0001f600:undeclared_field"]),
    ("undeclared nested field is not listed", payment(items=[{"sku": "s", "qty": 1, "gift": True}]), []),
    ("declared name nested in an undeclared object", payment(meta={"amount": "x", "user_id": 1}), ["meta:undeclared_field"]),
    ("escaped key", json.dumps(payment()).replace('"amount"', '"\\u0061mount"'), []),
]  # fmt: skip


def raw_of(name: str, doc: dict | str | None) -> str:
    """The case's record: a dict as JSON, a string as it is (what json.dumps cannot write)."""
    if doc is None:  # JSON allows it; a double cannot hold it
        return json.dumps(payment()).replace('"amount": 12.5', '"amount": 1e400')
    return doc if isinstance(doc, str) else json.dumps(doc)


def checked_frame(spark, raws: list[str], plan: P.TrackingPlan | None = None):
    df = spark.createDataFrame(
        [(i, raw, float(CREATED_AT)) for i, raw in enumerate(raws)],
        "i int, raw_record string, arrival_epoch_s double",
    )
    return with_checks(df, C.DEFAULT_CONFIG, plan or tracking_plan()).orderBy("i")


def checked(spark, raws: list[str], plan: P.TrackingPlan | None = None):
    return checked_frame(spark, raws, plan).collect()


def test_each_case_gives_exactly_its_violations(spark) -> None:
    rows = checked(spark, [raw_of(name, doc) for name, doc, _ in CASES])
    got = {name: row[VIOLATIONS] for (name, _, _), row in zip(CASES, rows, strict=True)}
    assert got == {name: expected for name, _, expected in CASES}
    assert all(row.reason is None for row in rows), "flag is the default: nothing quarantined"


def test_typed_values_are_null_where_they_did_not_fit(spark) -> None:
    good, bad_amount = checked(spark, [json.dumps(payment()), json.dumps(payment(amount="abc"))])
    typed = good[typed_column("payment")]
    assert (typed.amount, typed.currency) == (12.5, "eur")
    assert [(i.sku, i.qty) for i in typed["items"]] == [("sku_1", 2)]
    assert bad_amount[typed_column("payment")].amount is None
    assert good[typed_column("app")] is None, "only the row's own type is parsed"


def test_the_lake_value_is_null_wherever_the_field_has_a_wrong_type_entry(spark) -> None:
    """A repeated key's last value counts, as in Python, whatever an earlier one was (Spark's
    from_json would keep the last value that converted), and a string field holds no
    number's text."""
    repeated = json.dumps(payment()).replace('"amount": 12.5', '"amount": 12.5, "amount": "x"')
    integer = json.dumps(event("app:opened", **APP)).replace(
        '"free_disk_mb": 100', '"free_disk_mb": 3, "free_disk_mb": 1.5'
    )
    decl, app = tracking_plan().type("payment"), tracking_plan().type("app")
    fields = {f.name: f for f in (*decl.fields, *app.fields)}
    got = (
        checked_frame(spark, [repeated, json.dumps(payment(user_id=123)), integer])
        .select(
            *[lake._typed_value(decl, fields[n]).alias(n) for n in ("amount", "user_id")],
            lake._typed_value(app, fields["free_disk_mb"]).alias("free_disk_mb"),
            VIOLATIONS,
        )
        .collect()
    )
    assert [tuple(r) for r in got] == [
        (None, "use_1", None, ["amount:wrong_type"]),
        (12.5, None, None, ["user_id:wrong_type"]),
        (None, None, None, ["free_disk_mb:wrong_type"]),
    ]


def test_an_invalid_record_gets_no_plan_check(spark) -> None:
    (row,) = checked(spark, [json.dumps({**payment(amount="abc"), "event_uuid": "nope"})])
    assert row[VIOLATIONS] is None
    assert (row.reason, row.reason_field) == (C.BAD_UUID, "event_uuid")
    assert row[typed_column("payment")] is None


def quarantine_policy(type_name: str) -> P.TrackingPlan:
    plan = tracking_plan()
    types = tuple(
        dataclasses.replace(t, policy=P.QUARANTINE) if t.name == type_name else t
        for t in plan.types
    )
    return dataclasses.replace(plan, types=types)


def test_quarantine_policy_makes_blocking_violations_invalid(spark) -> None:
    raws = [
        json.dumps(payment(amount="abc")),
        json.dumps(payment(user_id=DROP)),
        json.dumps(payment(coupon="x")),  # informational only
        json.dumps(event("app:opened", **{**APP, "os": 1})),  # another type, still flag
    ]
    rows = checked(spark, raws, quarantine_policy("payment"))
    got = [(r.reason, r.reason_field) for r in rows]
    assert got == [
        (C.SCHEMA_VIOLATION, "amount"),
        (C.SCHEMA_VIOLATION, "user_id"),
        (None, None),
        (None, None),
    ]
    assert rows[3][VIOLATIONS] == ["os:wrong_type"]
