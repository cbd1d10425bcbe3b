"""The tracking plan's typed values as Spark types: one struct column `typed_<T>` per planned
type, holding T's declared fields (record_check.py fills them; lake.py writes them)."""

from __future__ import annotations

from pyspark.sql import types as T

from eventlake.core import plan as P

SCALAR_SPARK_TYPES = {
    "string": T.StringType(),
    "integer": T.LongType(),
    "number": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
}
VIOLATIONS = "schema_violations"


def spark_type(decl: P.FieldDecl) -> T.DataType:
    if decl.type in SCALAR_SPARK_TYPES:
        return SCALAR_SPARK_TYPES[decl.type]
    if not decl.has_shape:
        return T.StringType()  # a container without a declared shape is kept as JSON text
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
