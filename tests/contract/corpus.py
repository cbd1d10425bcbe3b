"""Tricky raw records shared by the contract tests (Python form vs Spark form)."""

from __future__ import annotations

import json

ARRIVAL = 1_764_000_000.0  # 2025-11-24T16:00:00Z, the arrival time every case is judged at
U = "3f2b6c1e-8a4d-4f7e-9b2a-1c5d7e9f0a1b"
GOOD = {"event_uuid": U, "event_name": "account:created", "created_at": 1_763_999_000}


def rec(**changes: object) -> str:
    event = {**GOOD, **changes}
    return json.dumps({k: v for k, v in event.items() if v is not DROP})


DROP = object()

# (label, raw record text, expected reason or None, expected field or None)
CASES: list[tuple[str, str, str | None, str | None]] = [
    ("valid", rec(), None, None),
    ("valid float created_at", rec(created_at=1_763_999_000.25), None, None),
    ("valid three segments", rec(event_name="payment:order:completed"), None, None),
    (
        "valid extra fields",
        rec(plan="pro", seats=3, tags=["a", "b"], nested={"x": [1, {"y": 2}]}),
        None,
        None,
    ),
    ("valid unicode payload", rec(note="héllo ☃ \u2028"), None, None),
    ("valid whitespace around", "  " + rec() + "  ", None, None),
    ("valid pretty printed", json.dumps(GOOD, indent=2).replace("\n", " "), None, None),
    ("valid duplicate key last wins", rec()[:-1] + ', "event_name": "lesson:started"}', None, None),
    (
        "valid duplicate key after a wrong type",
        '{"created_at": "x", ' + rec()[1:],
        None,
        None,
    ),
    (
        "wrong type duplicate key after a valid one",
        rec()[:-1] + ', "created_at": "x"}',
        "wrong_type",
        "created_at",
    ),
    ("valid at future edge", rec(created_at=ARRIVAL + 300), None, None),
    ("valid at age edge", rec(created_at=ARRIVAL - 7 * 86400), None, None),
    ("valid array of objects in payload", rec(items=[{"sku": "a"}, {"sku": "b"}]), None, None),
    ("valid brace text in string", rec(note="}{ ] } {"), None, None),
    ("valid lone surrogate escape", rec()[:-1] + ', "x": "\\ud800"}', None, None),
    ("valid negative zero fraction", rec(created_at=1_763_999_000.0), None, None),
    ("unparseable truncated", rec()[:-5], "unparseable_json", None),
    (
        "unparseable number over 1000 digits",
        rec()[:-1] + ', "n": ' + "7" * 1001 + "}",
        "unparseable_json",
        None,
    ),
    ("valid number of 1000 digits", rec()[:-1] + ', "n": ' + "7" * 1000 + "}", None, None),
    (
        "unparseable fraction over 1000 characters",
        rec()[:-1] + ', "n": 1.' + "0" * 1000 + "}",
        "unparseable_json",
        None,
    ),
    ("valid long run of digits in a string", rec(note="7" * 1500), None, None),
    (
        "future created_at integer beyond double range",
        rec()[:-1].replace("1763999000", "1763999000" + "0" * 400) + "}",
        "created_at_in_future",
        "created_at",
    ),
    (
        "too old created_at negative beyond double range",
        rec()[:-1].replace("1763999000", "-1763999000" + "0" * 400) + "}",
        "created_at_too_old",
        "created_at",
    ),
    ("unparseable garbage", "not json at all", "unparseable_json", None),
    ("unparseable single quotes", "{'event_uuid': 'x'}", "unparseable_json", None),
    ("unparseable trailing comma", rec()[:-1] + ",}", "unparseable_json", None),
    ("unparseable NaN", rec()[:-1] + ', "x": NaN}', "unparseable_json", None),
    ("unparseable Infinity", rec()[:-1] + ', "x": Infinity}', "unparseable_json", None),
    ("unparseable trailing text", rec() + " xyz", "unparseable_json", None),
    ("unparseable trailing brace", rec() + "}", "unparseable_json", None),
    ("unparseable trailing bracket brace", rec() + "]}", "unparseable_json", None),
    ("unparseable two objects", rec() + rec(), "unparseable_json", None),
    ("unparseable comment", "/* c */ " + rec(), "unparseable_json", None),
    # Jackson's nesting limit (1,000 levels, one of them Spark's [record] wrap) is the contract's.
    ("valid nested 999 levels", rec()[:-1] + ',"d":' + "[" * 998 + "]" * 998 + "}", None, None),
    (
        "unparseable nested 1000 levels",
        rec()[:-1] + ',"d":' + "[" * 999 + "]" * 999 + "}",
        "unparseable_json",
        None,
    ),
    (
        "unparseable nested objects 1000 levels",
        rec()[:-1] + ',"d":' + '{"a":' * 999 + "1" + "}" * 999 + "}",
        "unparseable_json",
        None,
    ),
    (
        "unparseable nested 1024 levels (orjson's own limit)",
        rec()[:-1] + ',"d":' + "[" * 1023 + "]" * 1023 + "}",
        "unparseable_json",
        None,
    ),
    (
        "valid brackets inside a string do not nest",
        rec(note="[" * 1500 + "{" * 10),
        None,
        None,
    ),
    ("unparseable leading zero", rec()[:-1] + ', "x": 01}', "unparseable_json", None),
    ("unparseable unquoted key", "{event_uuid: 1}", "unparseable_json", None),
    ("unparseable open array", "[1, 2", "unparseable_json", None),
    ("unparseable raw control char", rec(note="a")[:-3] + '\u0001"}', "unparseable_json", None),
    ("not object array", json.dumps([GOOD]), "not_a_json_object", None),
    ("not object string", '"hello"', "not_a_json_object", None),
    ("not object number", "42", "not_a_json_object", None),
    ("not object null", "null", "not_a_json_object", None),
    ("not object true", "true", "not_a_json_object", None),
    ("missing uuid", rec(event_uuid=DROP), "missing_field", "event_uuid"),
    ("missing name", rec(event_name=DROP), "missing_field", "event_name"),
    ("missing created_at", rec(created_at=DROP), "missing_field", "created_at"),
    ("null uuid counts as missing", rec(event_uuid=None), "missing_field", "event_uuid"),
    ("empty object", "{}", "missing_field", "event_uuid"),
    ("missing beats wrong type", rec(event_uuid=5, created_at=DROP), "missing_field", "created_at"),
    ("uuid is number", rec(event_uuid=123), "wrong_type", "event_uuid"),
    ("uuid is bool", rec(event_uuid=True), "wrong_type", "event_uuid"),
    ("uuid is object", rec(event_uuid={"id": U}), "wrong_type", "event_uuid"),
    ("uuid is array", rec(event_uuid=[U]), "wrong_type", "event_uuid"),
    ("name is number", rec(event_name=7), "wrong_type", "event_name"),
    ("created_at is string", rec(created_at="1763999000"), "wrong_type", "created_at"),
    ("created_at is bool", rec(created_at=True), "wrong_type", "created_at"),
    ("created_at is object", rec(created_at={"s": 1}), "wrong_type", "created_at"),
    (
        "wrong type beats bad uuid",
        rec(event_uuid="nope", created_at="x"),
        "wrong_type",
        "created_at",
    ),
    ("uuid string looks like number", rec(event_uuid="123"), "bad_uuid", "event_uuid"),
    ("uuid string true", rec(event_uuid="true"), "bad_uuid", "event_uuid"),
    ("uuid uppercase", rec(event_uuid=U.upper()), "bad_uuid", "event_uuid"),
    ("uuid without hyphens", rec(event_uuid=U.replace("-", "")), "bad_uuid", "event_uuid"),
    ("uuid braces", rec(event_uuid="{" + U + "}"), "bad_uuid", "event_uuid"),
    ("uuid trailing newline", rec(event_uuid=U + "\n"), "bad_uuid", "event_uuid"),
    ("uuid empty", rec(event_uuid=""), "bad_uuid", "event_uuid"),
    ("uuid unicode digit", rec(event_uuid=U[:-1] + "\u0661"), "bad_uuid", "event_uuid"),
    ("name one segment", rec(event_name="account"), "bad_event_name", "event_name"),
    ("name uppercase", rec(event_name="Account:Created"), "bad_event_name", "event_name"),
    ("name empty segment", rec(event_name="account::created"), "bad_event_name", "event_name"),
    ("name trailing colon", rec(event_name="account:"), "bad_event_name", "event_name"),
    ("name with space", rec(event_name="account: created"), "bad_event_name", "event_name"),
    ("name with dash", rec(event_name="account:sign-up"), "bad_event_name", "event_name"),
    ("name starts with digit", rec(event_name="1account:created"), "bad_event_name", "event_name"),
    ("name too long", rec(event_name="a:" + "b" * 200), "bad_event_name", "event_name"),
    ("name trailing newline", rec(event_name="account:created\n"), "bad_event_name", "event_name"),
    ("created_at millis", rec(created_at=1_763_999_000_123), "created_at_in_millis", "created_at"),
    ("created_at future", rec(created_at=ARRIVAL + 301), "created_at_in_future", "created_at"),
    ("created_at far future", rec(created_at=4_000_000_000), "created_at_in_future", "created_at"),
    (
        "created_at huge int",
        rec()[:-1].replace("1763999000", "17000000000000000000000") + "}",
        "created_at_in_future",
        "created_at",
    ),
    (
        "created_at beyond double",
        rec()[:-1].replace("1763999000", "1e400") + "}",
        "created_at_in_future",
        "created_at",
    ),
    (
        "created_at too old",
        rec(created_at=ARRIVAL - 7 * 86400 - 1),
        "created_at_too_old",
        "created_at",
    ),
    ("created_at zero", rec(created_at=0), "created_at_too_old", "created_at"),
    ("created_at negative", rec(created_at=-5), "created_at_too_old", "created_at"),
    (
        "created_at micros",
        rec(created_at=1_763_999_000_123_456),
        "created_at_in_future",
        "created_at",
    ),
    ("too large", rec(blob="x" * 1_000_100), "record_too_large", None),
]
