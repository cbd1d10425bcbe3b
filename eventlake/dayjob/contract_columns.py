"""The event contract as Spark column expressions, built from the tables in eventlake.core.contract.

Everything runs in the JVM (no Python UDF). The common case costs one JSON parse: the record
is parsed wrapped as `[record]` with a typed schema, which also rejects trailing content
(Jackson otherwise stops after the first object). Rows that fail that parse, or whose string
fields do not match their pattern, take lazily evaluated branches (CASE WHEN evaluates only
the branch it takes) with small "probe" parses that recover the JSON type of a field exactly.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from eventlake.core import contract as C

JSON_OPTIONS = {
    "mode": "PERMISSIVE",
    "allowNonNumericNumbers": "false",
    "allowSingleQuotes": "false",
    "allowUnquotedFieldNames": "false",
    "allowComments": "false",
    "allowNumericLeadingZeros": "false",
    "allowBackslashEscapingAnyCharacter": "false",
    "allowUnquotedControlChars": "false",
}

_CORRUPT = "_corrupt_record"
_STRICT_OPTIONS = {**JSON_OPTIONS, "columnNameOfCorruptRecord": _CORRUPT}
_MEMBER_SCHEMA = T.StructType(
    [T.StructField("v", T.StringType()), T.StructField(_CORRUPT, T.StringType())]
)
_SPARK_TYPES = {"string": T.StringType(), "number": T.DoubleType()}
_TYPED_SCHEMA = T.ArrayType(
    T.StructType([T.StructField(f.name, _SPARK_TYPES[f.json_type]) for f in C.REQUIRED_FIELDS])
)
# A probe succeeds only for one JSON token kind; a string is none of them.
_PROBE_TYPES = {
    "boolean": T.BooleanType(),
    "number": T.DoubleType(),
    "object": T.MapType(T.StringType(), T.StringType()),
    "array": T.ArrayType(T.StringType()),
}


def _java_fullmatch(pattern: str) -> str:
    return rf"^(?:{pattern})\z"


def probe_is_json(raw: Column, field: str, kind: str) -> Column:
    """The record's `field` holds a JSON value of this kind (boolean, number, object, array)."""
    schema = T.StructType([T.StructField(field, _PROBE_TYPES[kind])])
    return F.from_json(raw, schema, JSON_OPTIONS)[field].isNotNull()


def _is_json_string(raw: Column, field: str) -> Column:
    probes = [probe_is_json(raw, field, kind) for kind in _PROBE_TYPES]
    return ~(probes[0] | probes[1] | probes[2] | probes[3])


def _complete_json_value(raw: Column) -> Column:
    """True when `raw` is exactly one JSON value: wrapping it in `[...]` and in `{"v":...}`
    both parse only if nothing but whitespace follows the value."""
    as_array = F.from_json(F.concat(F.lit("["), raw, F.lit("]")), "array<string>", JSON_OPTIONS)
    as_member = F.from_json(
        F.concat(F.lit('{"v":'), raw, F.lit("}")), _MEMBER_SCHEMA, _STRICT_OPTIONS
    )
    # PERMISSIVE parsing keeps partial results, so a failure shows only in the corrupt column.
    # size(NULL) is NULL under ANSI mode (-1 without it): test for NULL first, so a failed
    # parse is False in both, never a NULL that a CASE WHEN skips.
    return as_array.isNotNull() & (F.size(as_array) == 1) & as_member[_CORRUPT].isNull()


def is_valid_utf8(raw: Column) -> Column:
    """The text's bytes are valid UTF-8. Spark keeps a line's bytes as read; turning them into
    a Java string replaces malformed bytes (and UTF-8-encoded lone surrogates), so a round trip
    differs exactly when the bytes are not valid UTF-8. Python's contract rejects such a record
    as unparseable_json, and Parquet readers such as DuckDB reject such strings."""
    return F.encode(raw, "UTF-8") == raw.cast("binary")


def _time_reason(created_at: Column, arrival: Column, cfg: C.ContractConfig) -> Column:
    earliest = arrival - F.lit(cfg.max_event_age_s)
    latest = arrival + F.lit(cfg.max_future_skew_s)
    as_seconds = created_at / F.lit(1000.0)
    return (
        F.when(
            (created_at >= F.lit(C.MILLIS_THRESHOLD))
            & (as_seconds >= earliest)
            & (as_seconds <= latest),
            F.lit(C.CREATED_AT_IN_MILLIS),
        )
        .when(created_at > latest, F.lit(C.CREATED_AT_IN_FUTURE))
        .when(created_at < earliest, F.lit(C.CREATED_AT_TOO_OLD))
    )


def _field_rules(
    raw: Column, value_of, present_of, number_ok_of, arrival: Column, cfg: C.ContractConfig
) -> Column:
    """CASE over the contract's rules in precedence order -> 'reason|field' or null if valid.

    `value_of(name)` gives the field's text (strings) or number, `present_of(name)` whether
    it is there and not null, `number_ok_of(name)` whether it really holds a JSON number.
    """
    expr = None

    def add(condition: Column, reason: str, field: str | None) -> None:
        nonlocal expr
        label = F.lit(f"{reason}|{field or ''}")
        expr = F.when(condition, label) if expr is None else expr.when(condition, label)

    for spec in C.REQUIRED_FIELDS:
        add(~present_of(spec.name), C.MISSING_FIELD, spec.name)
    for spec in C.REQUIRED_FIELDS:
        if spec.json_type == "string":
            matches = value_of(spec.name).rlike(_java_fullmatch(spec.pattern))
            # A pattern match proves a string; otherwise ask the probes (rare rows only).
            add(~matches & ~_is_json_string(raw, spec.name), C.WRONG_TYPE, spec.name)
        else:
            add(~number_ok_of(spec.name), C.WRONG_TYPE, spec.name)
    for spec in C.REQUIRED_FIELDS:
        if spec.pattern is None:
            continue
        text = value_of(spec.name)
        bad = (F.length(text) > F.lit(spec.max_length)) | ~text.rlike(_java_fullmatch(spec.pattern))
        add(bad, spec.format_reason, spec.name)
    time_reason = _time_reason(value_of("created_at").cast("double"), arrival, cfg)
    add(time_reason.isNotNull(), "__time__", "created_at")
    label = expr.otherwise(F.lit(None))
    return F.when(
        label == F.lit("__time__|created_at"), F.concat(time_reason, F.lit("|created_at"))
    ).otherwise(label)


def _main_parse_ok(raw: Column, typed: Column) -> Column:
    """The [record] parse gave exactly one object and nothing trails it."""
    # A `]` inside the record could hide trailing content from the [..] wrap; re-check those.
    return (
        typed.isNotNull()
        & (F.size(typed) == 1)
        & typed.getItem(0).isNotNull()
        & F.rtrim(raw).endswith("}")
        & (~raw.contains("]") | _complete_json_value(raw))
    )


def verdict_label(raw: Column, typed: Column, main_ok: Column, arrival: Column, cfg) -> Column:
    """'reason|field' for an invalid record, null for a valid one.

    `typed` is the already materialised [record] parse and `main_ok` its verdict; the
    fallback parses below run only for the rows whose branch needs them.
    """
    first = typed.getItem(0)
    as_map = F.from_json(raw, "map<string,string>", JSON_OPTIONS)
    # A number field that failed its typed conversion is null in `first` but present in the map.
    main_rules = _field_rules(
        raw,
        lambda name: first[name],
        lambda name: first[name].isNotNull() | as_map[name].isNotNull(),
        lambda name: first[name].isNotNull(),
        arrival,
        cfg,
    )
    map_rules = _field_rules(
        raw,
        lambda name: as_map[name],
        lambda name: as_map[name].isNotNull(),
        lambda name: probe_is_json(raw, name, "number"),
        arrival,
        cfg,
    )
    fallback = (
        F.when(~_complete_json_value(raw), F.lit(f"{C.UNPARSEABLE_JSON}|"))
        .when(as_map.isNull() | ~F.rtrim(raw).endswith("}"), F.lit(f"{C.NOT_A_JSON_OBJECT}|"))
        .otherwise(map_rules)
    )
    return (
        F.when(F.octet_length(raw) > F.lit(C.MAX_EVENT_BYTES), F.lit(f"{C.RECORD_TOO_LARGE}|"))
        .when(~is_valid_utf8(raw), F.lit(f"{C.UNPARSEABLE_JSON}|"))
        .when(main_ok, main_rules)
        .otherwise(fallback)
    )


def with_verdict(
    df: DataFrame,
    cfg: C.ContractConfig = C.DEFAULT_CONFIG,
    raw_col: str = "raw_record",
    arrival_col: str = "arrival_epoch_s",
) -> DataFrame:
    """Add event_uuid, event_name, created_at (valid rows), reason and reason_field (null if valid).

    Built as successive projections so that the one expensive parse is materialised once and
    referenced by column; Spark does not inline a costly expression that is used many times.
    """
    raw = F.col(raw_col)
    wrapped = F.concat(F.lit("["), raw, F.lit("]"))
    parsed = df.withColumn("_typed", F.from_json(wrapped, _TYPED_SCHEMA, JSON_OPTIONS))
    parsed = parsed.withColumn("_main_ok", _main_parse_ok(raw, F.col("_typed")))
    arrival = F.col(arrival_col).cast("double")
    labelled = parsed.withColumn(
        "_label", verdict_label(raw, F.col("_typed"), F.col("_main_ok"), arrival, cfg)
    )
    label = F.col("_label")
    first = F.col("_typed").getItem(0)
    valid = label.isNull()
    field = F.substring_index(label, "|", -1)
    return labelled.select(
        *[F.col(c) for c in df.columns],
        F.when(valid, first["event_uuid"]).alias("event_uuid"),
        F.when(valid, first["event_name"]).alias("event_name"),
        F.when(valid, first["created_at"]).alias("created_at"),
        F.substring_index(label, "|", 1).alias("reason"),
        F.when(field != F.lit(""), field).alias("reason_field"),
    )


def _derived_columns() -> dict[str, Column]:
    ts = F.timestamp_seconds(F.col("created_at"))
    return {
        "created_datetime": F.date_format(ts, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"),
        "event_type": F.split(F.col("event_name"), ":").getItem(0),
        "event_subtype": F.split(F.col("event_name"), ":").getItem(1),
        "event_date": F.to_date(ts),
    }


def with_derived(df: DataFrame) -> DataFrame:
    """Add created_datetime (ISO 8601 UTC, ms), event_type, event_subtype and event_date.

    Assumes the session time zone is UTC (the job sets it).
    """
    return df.withColumns(_derived_columns())


def with_partition_fields(df: DataFrame) -> DataFrame:
    """Add only event_type and event_date (what ownership, counts and partitioning need)."""
    columns = _derived_columns()
    return df.withColumns({name: columns[name] for name in ("event_type", "event_date")})


def with_display_fields(df: DataFrame) -> DataFrame:
    """Add only created_datetime and event_subtype: the job derives them for written rows."""
    columns = _derived_columns()
    return df.withColumns({name: columns[name] for name in ("created_datetime", "event_subtype")})
