"""The tracking plan as Spark columns: per-type validation and the typed fields of each type.

A valid event (under the contract) of type T is parsed once with T's declared fields as a
typed schema (`typed_<T>`; CASE WHEN parses only the row's own type). A value that does not
fit its declared type comes back null while its key is present.

`schema_violations` lists `field:reason` entries: the unknown event name, then the fields in
declaration order, then the undeclared fields, sorted. They come from PlanViolations.java, one
pass over the record's top-level keys that also tells what the typed parse cannot: whether a
key is there, whether its value is JSON null, whether a string field held a string. Written
as Spark columns, the same checks cost the job ~9 % more (the per-field code is too large for
the JIT, and the entries' filter runs interpreted; docs/benchmarks.md, 2026-12-04).

Under a type's `quarantine` policy an event with a blocking entry is invalid, with reason
`schema_violation` and the entry's field.
"""

from __future__ import annotations

import functools
import hashlib
import json

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from eventlake.core import contract as C
from eventlake.core import plan as P
from eventlake.dayjob.contract_columns import JSON_OPTIONS
from eventlake.dayjob.jvm import JAR_NAME

SCALAR_SPARK_TYPES = {
    "string": T.StringType(),
    "integer": T.LongType(),
    "number": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
}
VIOLATIONS = "schema_violations"
HELPER_CLASS = "eventlake.dayjob.PlanViolations"
COMMON_FIELDS: tuple[str, ...] = (*C.REQUIRED_FIELD_NAMES, *C.DERIVED_FIELDS)


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


def _helper_kind(decl: P.FieldDecl) -> str:
    """What PlanViolations checks of the token itself; the typed parse checks the rest."""
    if decl.type in ("string", "number"):
        return decl.type.upper()
    if not decl.has_shape:
        return f"{decl.type.upper()}_TEXT"
    return "PARSED"


def helper_spec(decl: P.EventTypeDecl) -> str:
    """The type's declaration as PlanViolations reads it (JSON)."""
    return json.dumps(
        {
            "fields": [
                {"name": f.name, "kind": _helper_kind(f), "required": f.required}
                for f in decl.fields
            ],
            "declared": [*COMMON_FIELDS, *decl.field_names],
            "unknown_name_entry": f"event_name:{P.UNKNOWN_EVENT_NAME}",
            "wrong_suffix": f":{P.WRONG_TYPE}",
            "missing_suffix": f":{P.MISSING_FIELD}",
            "undeclared_suffix": f":{P.UNDECLARED_FIELD}",
        },
        sort_keys=True,
    )


def _register_helper(spark: SparkSession, decl: P.EventTypeDecl) -> str:
    """Register the type's PlanViolations as a SQL function; its name names the spec."""
    from py4j.java_gateway import JavaClass

    spec = helper_spec(decl)
    name = f"eventlake_violations_{decl.name}_{hashlib.sha256(spec.encode()).hexdigest()[:12]}"
    helper = functools.reduce(getattr, HELPER_CLASS.split("."), spark._jvm)
    if not isinstance(helper, JavaClass):  # py4j's answer for a class it cannot load
        raise RuntimeError(
            f"{HELPER_CLASS} is not on the Spark classpath: the Glue job needs --extra-jars"
            f" <scripts>/eventlake/{JAR_NAME} (eventlake deploy uploads it), a local session"
            " spark.jars=eventlake.dayjob.jvm.local_jar() (local_session sets it)"
        )
    types = spark._jvm.org.apache.spark.sql.types.DataTypes
    returns = types.createArrayType(types.StringType)
    spark._jsparkSession.udf().register(name, helper(spec), returns)
    return name


def _type_violations(spark: SparkSession, raw: Column, decl: P.EventTypeDecl) -> Column:
    """The type's entries: the unknown name, then each field's, then the undeclared keys."""
    typed = F.col(typed_column(decl.name))
    null_mask = F.concat(
        F.lit(""), *[F.when(typed[f.name].isNull(), "1").otherwise("0") for f in decl.fields]
    )
    name_declared = F.col("event_name").isin(*decl.event_names)
    return F.call_function(_register_helper(spark, decl), raw, name_declared, null_mask)


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
        }
    )
    unknown_type = F.array(F.lit(f"event_name:{P.UNKNOWN_EVENT_NAME}"))
    violations = F.when(~valid, F.lit(None).cast("array<string>"))
    for decl in plan.types:
        violations = violations.when(
            F.col("event_type") == F.lit(decl.name), _type_violations(df.sparkSession, raw, decl)
        )
    checked = parsed.withColumn(VIOLATIONS, violations.otherwise(unknown_type))
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
