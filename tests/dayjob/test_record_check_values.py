"""RecordCheck's typed values against Spark's own JSON reader (from_json), value by value.

Inside a declared object or array, the lake's nested columns must read as Spark would have
read the payload; a top-level timestamp or shaped container fits exactly when from_json can
read it. Both run here on the same records, with the job's JSON options and SQL settings.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from eventlake.core import contract as C
from eventlake.core import plan as P
from eventlake.core.plan import tracking_plan
from eventlake.dayjob.contract_columns import JSON_OPTIONS
from eventlake.dayjob.plan_columns import VIOLATIONS, typed_column, typed_schema
from eventlake.dayjob.record_check import with_checks

pytestmark = pytest.mark.spark

CREATED_AT = 1_764_000_000
UUID = "0b1f7a52-8a3c-4d7e-9f10-2b3c4d5e6f70"


def field(name: str, kind: str, **shape) -> P.FieldDecl:
    return P.FieldDecl(name, kind, **shape)


SCALARS = (
    field("s", "string"),
    field("i", "integer"),
    field("n", "number"),
    field("b", "boolean"),
    field("t", "timestamp"),
    field("o", "object"),
    field("a", "array"),
)
PROBE = P.EventTypeDecl(
    name="probe",
    version=1,
    description="every kind of field, nested",
    policy=P.FLAG,
    names=("check",),
    fields=(
        field("ts", "timestamp"),
        field("nest", "object", fields=(*SCALARS, field("deep", "object", fields=(field("x", "integer"),)))),
        field("rows", "array", items=field("item", "object", fields=(field("s", "string"), field("i", "integer")))),
        field("ints", "array", items=field("item", "integer")),
        field("grid", "array", items=field("item", "array", items=field("item", "number"))),
        field("ctx", "object"),
        field("arr", "array"),
    ),
)  # fmt: skip
PLAN = dataclasses.replace(tracking_plan(), types=(PROBE,))

TIMESTAMPS = [
    '"2026-12-01T00:00:00Z"', '"2026-12-01"', '"2026-12-01 10:00:00"', '"2026-12-01T10:00"',
    '"2026-12-01T10:00:00.123456789+02:00"', '"2026-12-01T10:00:00.5-0130"',
    '"2026-12-01T10:00:00GMT"', '"GMT2026-12-01"', '" 2026-12-01 "', '"2026-12-01T10:00:00 UTC"',
    '"2026-12-01T10:00:00[Europe/Paris]"', '"2026-12-01T10:00:00Europe/Paris"', '"+12026-01-01"',
    '"2026"', '"2026-13-01"', '"2026-02-30"', '"soon"', '""', '" "', '"1764000000"',
    "1764000000", "-1", "0", "100000000000000", "9223372036854775807", "9223372036854775808",
    "1.5", "1e3", "true", "{}", "[]",
]  # fmt: skip
NESTED = [
    '{"s": "x", "i": 1, "n": 1.5, "b": true, "t": "2026-12-01", "o": {"k": [1, 2.50, 1e2]}, "a": [ 1 , "x" ]}',
    '{"s": 5, "i": "x", "n": "NaN", "b": "true", "t": 1.5, "o": 1.50, "a": {"k": null}}',
    '{"s": {"k": [true, null]}, "i": 1.0, "n": 1e400, "b": 1, "t": [], "o": "text", "a": false}',
    '{"s": null, "i": 9223372036854775808, "n": -0, "b": null, "t": "2026-12-01T10:00:00Z"}',
    '{"i": 3, "i": "x", "s": "a", "s": 7, "deep": {"x": 1, "x": 2.5}}',
    '{"deep": [1], "s": "after"}', '{"deep": {"x": "1"}, "unknown": {"s": 1}}', "{}",
    '{"s": "\\u00e9\\ud83d\\ude00", "o": {"\\u00e9": "\\u00e9"}}',
]  # fmt: skip
ROWS = [
    '[{"s": "a", "i": 1}, {"s": 2, "i": "x"}, null, {"i": 2, "extra": [1]}]',
    '[{"s": "a"}, 1, {"s": "b"}]', '[[{"s": "a"}]]', '[]', '{"s": "a"}',
    '[{"s": "a", "i": 1.5}, {"s": [1, {"k": 2}], "i": 9223372036854775807}]',
]  # fmt: skip
INTS = ["[1, 2, null]", '[1, "2"]', "[1, 2.0, 3]", "[[1]]", "[]", "1"]
GRID = ["[[1, 2.5], [], null, [null, 1e3]]", '[[1], [2, "x"], [3]]', "[1, [2]]", "[[[1]]]"]
CONTAINERS = ['{"a": [1, {"b": 2.50}], "c": "\\u00e9"}', "[ 1, [ 2 ] ]", '"text"', "3", "{}", "[]"]


def record(**fields: str) -> str:
    head = {"event_uuid": UUID, "event_name": "probe:check", "created_at": CREATED_AT}
    body = ", ".join(f'"{name}": {value}' for name, value in fields.items())
    return json.dumps(head)[:-1] + (", " + body if body else "") + "}"


def cases() -> list[tuple[str, str]]:
    out = [("ts", record(ts=v)) for v in TIMESTAMPS]
    out += [("nest", record(nest=v)) for v in NESTED]
    out += [("rows", record(rows=v)) for v in ROWS]
    out += [("ints", record(ints=v)) for v in INTS]
    out += [("grid", record(grid=v)) for v in GRID]
    out += [(name, record(**{name: v})) for v in CONTAINERS for name in ("ctx", "arr")]
    return out


def test_typed_values_read_as_spark_reads_the_payload(spark) -> None:
    from pyspark.sql import functions as F

    probe = cases()
    df = spark.createDataFrame(
        [(i, raw, float(CREATED_AT)) for i, (_, raw) in enumerate(probe)],
        "i int, raw_record string, arrival_epoch_s double",
    )
    schema = typed_schema(PROBE)
    ours, spark_reads = (
        F.col(typed_column(PROBE.name)),
        F.from_json("raw_record", schema, JSON_OPTIONS),
    )
    rows = (
        with_checks(df, C.DEFAULT_CONFIG, PLAN)
        .select(
            "i",
            "reason",
            VIOLATIONS,
            *[F.to_json(F.struct(ours[f.name].alias("v"))).alias(f"ours_{f.name}") for f in PROBE.fields],
            *[F.to_json(F.struct(spark_reads[f.name].alias("v"))).alias(f"spark_{f.name}") for f in PROBE.fields],
        )
        .orderBy("i")
        .collect()
    )  # fmt: skip
    mismatches = []
    for (name, raw), row in zip(probe, rows, strict=True):
        assert row.reason is None, raw
        ours_v, spark_v = row[f"ours_{name}"], row[f"spark_{name}"]
        misfit = f"{name}:{P.WRONG_TYPE}" in row[VIOLATIONS]
        kind = PROBE.fields[[f.name for f in PROBE.fields].index(name)]
        if misfit:
            assert ours_v == "{}", f"a misfit reads null: {raw}"
            # A shapeless container's column is text, which Spark makes of any token; for every
            # other kind, a top-level misfit is exactly a value Spark cannot read.
            if kind.has_shape and spark_v != "{}":
                mismatches.append(f"{raw}: ours misfit, spark {spark_v}")
        elif ours_v != spark_v:
            mismatches.append(f"{raw}: ours {ours_v}, spark {spark_v}")
    assert not mismatches, "\n".join(mismatches)
    fits = sum(
        f"{n}:{P.WRONG_TYPE}" not in r[VIOLATIONS] for (n, _), r in zip(probe, rows, strict=True)
    )
    assert 20 < fits < len(probe), "the corpus holds values that fit and values that do not"
