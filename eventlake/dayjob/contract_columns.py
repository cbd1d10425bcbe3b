"""The contract's derived fields as Spark columns, and the strict JSON options of every Spark JSON
function the job calls (the contract itself is record_check.py, one Java pass per record)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

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


def is_valid_utf8(raw: Column) -> Column:
    """The text's bytes are valid UTF-8. Spark keeps a line's bytes as read; turning them into
    a Java string replaces malformed bytes (and UTF-8-encoded lone surrogates), so a round trip
    differs exactly when the bytes are not valid UTF-8. Python's contract rejects such a record
    as unparseable_json, and Parquet readers such as DuckDB reject such strings."""
    return F.encode(raw, "UTF-8") == raw.cast("binary")


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
