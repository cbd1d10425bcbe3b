"""The tracking plan as Spark columns: per-type validation and the typed fields of each type.

A valid event (under the contract) of type T is parsed once with T's declared fields as a
typed schema (`typed_<T>`; CASE WHEN parses only the row's own type). A value that does not
fit its declared type comes back null while its key is present, which is all the checks need.
String fields are the exception (a number's text fits a string column), so a string value that
looks like another JSON token is probed, on those rare rows only.

`schema_violations` lists `field:reason` entries, in declaration order, then the undeclared
fields. Under a type's `quarantine` policy an event with a blocking entry is invalid, with
reason `schema_violation` and the entry's field.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from eventlake.core import contract as C
from eventlake.core import plan as P
from eventlake.dayjob.contract_columns import JSON_OPTIONS, probe_is_json

SCALAR_SPARK_TYPES = {
    "string": T.StringType(),
    "integer": T.LongType(),
    "number": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
}
VIOLATIONS = "schema_violations"
COMMON_FIELDS: tuple[str, ...] = (*C.REQUIRED_FIELD_NAMES, *C.DERIVED_FIELDS)
# The first characters of another JSON token's text: a number, an object or an array.
_NOT_A_STRING_STARTS = tuple("-0123456789{[")


def spark_type(decl: P.FieldDecl) -> T.DataType:
    if decl.type in SCALAR_SPARK_TYPES:
        return SCALAR_SPARK_TYPES[decl.type]
    if not decl.has_shape:
        return T.StringType()  # Spark gives a container's JSON text for a string field
    if decl.type == "array":
        assert decl.items is not None
        return T.ArrayType(spark_type(decl.items))
    assert decl.fields is not None
    return T.StructType([T.StructField(f.name, spark_type(f)) for f in decl.fields])


def typed_schema(decl: P.EventTypeDecl) -> T.StructType:
    return T.StructType([T.StructField(f.name, spark_type(f)) for f in decl.fields])


def typed_column(type_name: str) -> str:
    return f"typed_{type_name}"


def typed_columns(plan: P.TrackingPlan) -> tuple[str, ...]:
    return tuple(typed_column(t.name) for t in plan.types)


def _not_a_string(raw: Column, name: str, text: Column) -> Column:
    """The text a string field came back as is really a number, object, array or boolean."""
    first = F.substring(text, 1, 1)
    by_first = (
        F.when(first == F.lit("{"), probe_is_json(raw, name, "object"))
        .when(first == F.lit("["), probe_is_json(raw, name, "array"))
        .when(first.isin("t", "f"), probe_is_json(raw, name, "boolean"))
        .otherwise(probe_is_json(raw, name, "number"))
    )
    # Cheap tests first: nearly every string starts with a letter and is not true or false.
    maybe = first.isin(*_NOT_A_STRING_STARTS) | text.isin("true", "false")
    return maybe & by_first


def _shapeless_mismatch(raw: Column, decl: P.FieldDecl, text: Column) -> Column:
    """A container without a declared shape arrives as JSON text: is it that container?"""
    opener = "{" if decl.type == "object" else "["
    return ~text.startswith(opener) | ~probe_is_json(raw, decl.name, decl.type)


def _field_entry(raw: Column, keys: Column, typed: Column, decl: P.FieldDecl) -> Column:
    """The field's entry (null when it fits): missing, or a value of the wrong type."""
    value = typed[decl.name]
    # A null value is absent, JSON null (both missing), or present with another type.
    not_json_null = F.get_json_object(raw, f"$.{decl.name}").isNotNull()
    wrong_if_null = value.isNull() & F.array_contains(keys, decl.name) & not_json_null
    if decl.type == "string":
        wrong = wrong_if_null | (value.isNotNull() & _not_a_string(raw, decl.name, value))
    elif not decl.has_shape:
        wrong = wrong_if_null | (value.isNotNull() & _shapeless_mismatch(raw, decl, value))
    elif decl.type == "number":
        # 1e400 parses as infinity: a number no column can hold.
        not_finite = F.isnan(value) | (F.abs(value) == F.lit(float("inf")))
        wrong = wrong_if_null | (value.isNotNull() & not_finite)
    else:
        wrong = wrong_if_null
    entry = F.when(wrong, F.lit(f"{decl.name}:{P.WRONG_TYPE}"))
    if decl.required:
        entry = entry.when(value.isNull(), F.lit(f"{decl.name}:{P.MISSING_FIELD}"))
    return entry


def _type_violations(raw: Column, keys: Column, decl: P.EventTypeDecl) -> Column:
    typed = F.col(typed_column(decl.name))
    entries = [_field_entry(raw, keys, typed, f) for f in decl.fields]
    name_known = F.col("event_name").isin(*decl.event_names)
    entries.insert(0, F.when(~name_known, F.lit(f"event_name:{P.UNKNOWN_EVENT_NAME}")))
    declared = F.array(*[F.lit(n) for n in (*COMMON_FIELDS, *decl.field_names)])
    undeclared = F.transform(
        F.array_sort(F.array_except(keys, declared)),
        lambda k: F.concat(k, F.lit(f":{P.UNDECLARED_FIELD}")),
    )
    checked = F.filter(F.array(*entries), lambda e: e.isNotNull())
    return F.concat(checked, undeclared)


def _policy_of(plan: P.TrackingPlan) -> Column:
    policy = F.lit(plan.unknown_name_policy)
    for decl in plan.types:
        policy = F.when(F.col("event_type") == F.lit(decl.name), F.lit(decl.policy)).otherwise(
            policy
        )
    return policy


def _is_blocking(entry: Column) -> Column:
    return ~entry.endswith(f":{P.UNDECLARED_FIELD}")


def with_plan_check(df: DataFrame, plan: P.TrackingPlan, raw_col: str = "raw_record") -> DataFrame:
    """Add typed_<T> per planned type and schema_violations to records after with_verdict and
    with_partition_fields; under a quarantine policy, set reason and reason_field.

    Built as successive projections: the typed parses are materialised once, then referenced.
    A plan without types is no plan: nothing is checked (every valid event gets no entries).
    """
    raw = F.col(raw_col)
    valid = F.col("reason").isNull()
    if not plan.types:
        return df.withColumn(VIOLATIONS, F.when(valid, F.array().cast("array<string>")))
    parsed = df.withColumns(
        {
            **{
                typed_column(t.name): F.when(
                    valid & (F.col("event_type") == F.lit(t.name)),
                    F.from_json(raw, typed_schema(t), JSON_OPTIONS),
                )
                for t in plan.types
            },
            "_keys": F.when(valid, F.json_object_keys(raw)),
        }
    )
    unknown_type = F.array(F.lit(f"event_name:{P.UNKNOWN_EVENT_NAME}"))
    violations = F.when(~valid, F.lit(None).cast("array<string>"))
    for decl in plan.types:
        violations = violations.when(
            F.col("event_type") == F.lit(decl.name), _type_violations(raw, F.col("_keys"), decl)
        )
    checked = parsed.withColumn(VIOLATIONS, violations.otherwise(unknown_type)).drop("_keys")
    blocking = F.filter(F.col(VIOLATIONS), _is_blocking)
    quarantined = valid & (_policy_of(plan) == F.lit(P.QUARANTINE)) & (F.size(blocking) > 0)
    return checked.withColumns(
        {
            "reason": F.when(quarantined, F.lit(C.SCHEMA_VIOLATION)).otherwise(F.col("reason")),
            "reason_field": F.when(
                quarantined, F.substring_index(blocking.getItem(0), ":", 1)
            ).otherwise(F.col("reason_field")),
        }
    )
