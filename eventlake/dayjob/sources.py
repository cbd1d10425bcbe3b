"""Which raw objects run D reads, and how their lines become one row per raw record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from eventlake.core.job_params import DayJobParams
from eventlake.core.layout import (
    arrival_from_key,
    firehose_error_prefix,
    firehose_prefix,
    join_uri,
    render_prefix,
    run_window,
)
from eventlake.dayjob.contract_columns import JSON_OPTIONS, is_valid_utf8
from eventlake.dayjob.hadoop_fs import HadoopFS

OWNED = "owned"
PEEKED = "peeked"
FIREHOSE = "firehose"
PROCESSING_FAILED = "processing-failed"  # Firehose's error-output-type for Lambda failures
# A raw U+001E cannot occur inside valid JSON text (control characters must be escaped).
_PIECE_SEPARATOR = "\u001e"
_OBJECT_BOUNDARY = r"\}\s*\{"


@dataclass(frozen=True)
class RawObject:
    """One raw object in run D's read window."""

    path: str  # Hadoop form, for the reader
    input_name: str  # what input_file_name() returns for it
    key: str  # relative to the raw root, e.g. events/2026/11/24/13/stream-1-....gz
    size: int
    arrival: datetime
    role: str  # OWNED or PEEKED
    origin: str  # FIREHOSE or PROCESSING_FAILED
    named: bool  # False when the name holds no usable arrival time (hour prefix used)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "bytes": self.size,
            "arrival": self.arrival.isoformat(),
            "role": self.role,
            "origin": self.origin,
            "arrival_from": "object_name" if self.named else "hour_prefix",
        }


def _listed_hours(params: DayJobParams) -> list[tuple[datetime, str]]:
    """(hour, role) for every hour prefix run D lists: 24 owned hours plus the grace hours."""
    start, owned_end, read_end = run_window(params.run_date, params.grace)
    hours, hour = [], start
    while hour < read_end:
        hours.append((hour, OWNED if hour < owned_end else PEEKED))
        hour += timedelta(hours=1)
    return hours


def object_arrival(key: str, hour: datetime) -> tuple[datetime, bool]:
    """The arrival time in the object's name if it lies in its hour prefix, else the hour.

    Using the prefix hour whenever the name disagrees guarantees that exactly one run,
    the one whose window holds that hour, owns every object that sits under the layout.
    """
    named = arrival_from_key(key)
    if named is not None and hour <= named < hour + timedelta(hours=1):
        return named, True
    return hour, False


def list_raw_objects(fs: HadoopFS, params: DayJobParams) -> list[RawObject]:
    """Every raw object run D owns or peeks at; lists only the needed hour prefixes."""
    _, owned_end, read_end = run_window(params.run_date, params.grace)
    roots = (
        (FIREHOSE, firehose_prefix(), ""),
        (PROCESSING_FAILED, firehose_error_prefix(), PROCESSING_FAILED),
    )
    objects = []
    for hour, _ in _listed_hours(params):
        for origin, expression, error_type in roots:
            prefix = render_prefix(expression, hour, error_type)
            for entry in fs.list_files(join_uri(params.raw_uri, prefix)):
                key = prefix + entry.relative
                arrival, named = object_arrival(key, hour)
                if arrival >= read_end:
                    continue  # in the last grace hour but after the grace: run D+1 only
                role = OWNED if arrival < owned_end else PEEKED
                objects.append(
                    RawObject(
                        entry.path, entry.input_name, key, entry.size, arrival, role, origin, named
                    )
                )
    return sorted(objects, key=lambda o: (o.arrival, o.key))


OBJECT_SCHEMA = T.StructType(
    [
        T.StructField("input_name", T.StringType(), False),
        T.StructField("source_key", T.StringType(), False),
        T.StructField("arrival_ts", T.TimestampType(), False),
        T.StructField("role", T.StringType(), False),
        T.StructField("origin", T.StringType(), False),
    ]
)


LINE_SCHEMA = T.StructType(
    [
        T.StructField("line", T.StringType()),
        T.StructField("line_id", T.LongType()),
        *[f for f in OBJECT_SCHEMA.fields if f.name != "input_name"],
    ]
)


_GLOB_CHARACTERS = re.compile(r"([\\\[\]{}*?])")


def literal_paths(objects: list[RawObject]) -> list[str]:
    """The objects' paths with glob characters escaped: Spark expands `[x]`, `{a,b}`, `*` and
    `?` in the paths it reads, and a raw key may contain them."""
    return [_GLOB_CHARACTERS.sub(r"\\\1", o.path) for o in objects]


def objects_frame(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    rows = [(o.input_name, o.key, o.arrival.astimezone(UTC), o.role, o.origin) for o in objects]
    return spark.createDataFrame(rows, OBJECT_SCHEMA)


def read_lines(spark: SparkSession, objects: list[RawObject]) -> DataFrame:
    """One row per text line: line, line_id (file order), plus the object's attributes.

    Spark's text reader decompresses gzip by extension; a gzip file is never split, so
    monotonically_increasing_id() grows with line order inside a file.
    """
    if not objects:
        return spark.createDataFrame([], LINE_SCHEMA)
    lines = spark.read.text(literal_paths(objects)).select(
        F.col("value").alias("line"),
        F.monotonically_increasing_id().alias("line_id"),
        F.input_file_name().alias("input_name"),
    )
    # A left join: a line whose file name matches no listed object keeps its name as the
    # source key and no role, and the reconciliation then fails the run instead of losing it.
    joined = lines.join(F.broadcast(objects_frame(spark, objects)), "input_name", "left")
    return joined.withColumn("source_key", F.coalesce("source_key", "input_name")).drop(
        "input_name"
    )


def decoded_error_line(line: Column) -> Column:
    """Firehose's error format holds the original record as base64 `rawData`.

    A line without a decodable `rawData` stays as it is, so it is validated (and
    quarantined) as what it is rather than lost.
    """
    raw_data = F.get_json_object(line, "$.rawData")
    decoded = F.unbase64(raw_data).cast("string")
    # Trailing whitespace is trimmed only from valid UTF-8: a regex would turn other bytes into
    # U+FFFD first, and the contract must see (and the quarantine keep) the bytes as sent.
    trimmed = F.when(is_valid_utf8(decoded), F.regexp_replace(decoded, r"\s+$", "")).otherwise(
        decoded
    )
    return F.when(raw_data.isNotNull() & decoded.isNotNull(), trimmed).otherwise(line)


def _is_json_object(piece: Column) -> Column:
    trimmed = F.trim(piece)
    return (
        trimmed.startswith("{")
        & trimmed.endswith("}")
        & F.from_json(piece, "map<string,string>", JSON_OPTIONS).isNotNull()
    )


def may_hold_boundary(line: Column) -> Column:
    """False only for lines that certainly hold no `}\\s*{`: those whose first `}` is their
    last character (one flat object per line, nearly every line). A cheap byte scan that
    spares the common line the regular expression."""
    return F.instr(line, "}") != F.length(line)


def record_pieces(line: Column) -> Column:
    """The records in one line: `{...}{...}` (Firehose without newlines) is several objects.

    The line is split at `}{` boundaries only if every piece then parses as a JSON object;
    otherwise the whole line is one record (a `}{` inside a string must not cut a record).
    """
    pieces = F.split(
        F.regexp_replace(line, _OBJECT_BOUNDARY, "}" + _PIECE_SEPARATOR + "{"), _PIECE_SEPARATOR
    )
    whole = F.array(line)
    # Nested, so the split and the parse checks run only on lines that hold a boundary.
    split_if_objects = F.when(F.forall(pieces, _is_json_object), pieces).otherwise(whole)
    # Splitting goes through a Java string, which would replace bytes that are not UTF-8: such
    # a line stays whole, with its bytes, and the contract judges it.
    has_boundary = may_hold_boundary(line) & line.rlike(_OBJECT_BOUNDARY) & is_valid_utf8(line)
    return F.when(has_boundary, split_if_objects).otherwise(whole)


def is_blank_line(line: Column) -> Column:
    """Empty or whitespace only; a line that starts with `{` (nearly all) is decided at once."""
    return F.when(line.startswith("{"), F.lit(False)).otherwise(~line.rlike(r"\S"))


def raw_records(lines: DataFrame) -> DataFrame:
    """Lines -> one row per raw record (raw_record, piece) plus blank lines (is_blank).

    Blank lines are kept as rows flagged is_blank, so the manifest can count them in the
    same pass; they are not records.
    """
    text = F.when(
        F.col("origin") == F.lit(PROCESSING_FAILED), decoded_error_line(F.col("line"))
    ).otherwise(F.col("line"))
    with_text = lines.withColumn("line", text)
    is_blank = is_blank_line(F.col("line"))
    pieces = F.when(is_blank, F.array(F.col("line"))).otherwise(record_pieces(F.col("line")))
    exploded = with_text.select(
        *[c for c in with_text.columns if c != "line"],
        is_blank.alias("is_blank"),
        F.posexplode(pieces).alias("piece", "raw_record"),
    )
    return exploded.withColumn("arrival_epoch_s", F.unix_timestamp("arrival_ts").cast("double"))


# --- objects Spark cannot read ---

# What a read failure says when the input itself is bad (a truncated gzip, a file that is not
# gzip at all), as opposed to a failure of the job. I/O errors on S3 match too; the bisection
# below re-reads, so only an object that fails every time is set aside.
_UNREADABLE_MARKERS = (
    "java.io.EOFException",
    "java.util.zip.ZipException",
    "java.io.IOException",
    "Not in GZIP format",
    "incorrect header check",
    "Unexpected end of input stream",
)


def is_unreadable_input_error(exc: BaseException) -> bool:
    text = str(exc)
    return any(marker in text for marker in _UNREADABLE_MARKERS)


def _short_reason(text: str) -> str:
    lines = [line.strip() for line in text.splitlines()]
    causes = [line for line in lines if any(m in line for m in _UNREADABLE_MARKERS)]
    reason = (causes[-1] if causes else lines[0] if lines else "unreadable").removeprefix(
        "Caused by: "
    )
    return reason[:300]


def read_error(spark: SparkSession, objects: list[RawObject]) -> str | None:
    """None when Spark reads every line of these objects, else why it cannot."""
    try:
        spark.read.text(literal_paths(objects)).count()
    except Exception as exc:
        if not is_unreadable_input_error(exc):
            raise
        return _short_reason(str(exc))
    return None


def find_unreadable(spark: SparkSession, objects: list[RawObject]) -> list[tuple[RawObject, str]]:
    """Among objects that just failed to read together, the ones Spark cannot read, each with
    the reason, found by bisection.

    A half that reads cleanly is cleared whole, so k bad objects among n cost about
    k * log2(n) reads of halving groups. An object is set aside only after failing alone
    too, so one transient I/O error in a group read does not condemn it.
    """
    if len(objects) <= 1:
        reason = read_error(spark, objects) if objects else None
        return [] if reason is None else [(objects[0], reason)]
    middle = len(objects) // 2
    return [
        bad
        for half in (objects[:middle], objects[middle:])
        if len(half) == 1 or read_error(spark, half) is not None
        for bad in find_unreadable(spark, half)
    ]
