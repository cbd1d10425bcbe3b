"""Give every raw record of run D exactly one outcome: written, invalid, duplicate or deferred.

The dedupe shuffles only uuids: a uuid with one copy in the day and none in the lake (nearly
all of them) needs no decision. Only the copies of contested uuids are ranked by arrival,
and their outcomes are joined back to the records by (line_id, piece).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from typing import Protocol

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from eventlake.core.contract import DERIVED_FIELDS
from eventlake.dayjob.contract_columns import JSON_OPTIONS
from eventlake.dayjob.sources import OWNED, PEEKED
from eventlake.dayjob.uuid_index import uuid_key

WRITTEN = "written"
INVALID = "invalid"
NATURAL_DUPLICATE = "natural_duplicate"
SYNTHETIC_DUPLICATE = "synthetic_duplicate"
DUPLICATE_IN_LAKE = "duplicate_in_lake"
SYNTHETIC_DUPLICATE_IN_LAKE = "synthetic_duplicate_in_lake"
DEFERRED = "deferred"
BLANK = "blank"  # not a record: a blank line, counted on its own
RECORD_OUTCOMES: tuple[str, ...] = (
    WRITTEN,
    INVALID,
    NATURAL_DUPLICATE,
    SYNTHETIC_DUPLICATE,
    DUPLICATE_IN_LAKE,
    SYNTHETIC_DUPLICATE_IN_LAKE,
    DEFERRED,
)
# Earliest arrival first; source key and position in the file make the order total.
ARRIVAL_ORDER: tuple[str, ...] = ("arrival_ts", "source_key", "line_id", "piece")
# Above this many contested copies (duplicates, or uuids already in the lake) the outcomes
# are joined back with a shuffle instead of a broadcast.
BROADCAST_MAX_DECISIONS = 1_000_000
# Up to this many uuids of the day (8 bytes each once hashed) the lake probe broadcasts them;
# above it (days of billions of events) the probe is a shuffle join on the hash.
BROADCAST_MAX_DAY_KEYS = 50_000_000


def with_ownership(records: DataFrame, run_date: date) -> DataFrame:
    """`belongs`: the record is run D's. Every record of an owned object is; a record of a
    peeked (grace) object is only if it is valid and created on or before D."""
    valid = F.col("reason").isNull()
    peeked_but_ours = (
        (F.col("role") == F.lit(PEEKED)) & valid & (F.col("event_date") <= F.lit(run_date))
    )
    owned = F.coalesce(F.col("role") == F.lit(OWNED), F.lit(False))
    return records.withColumn("belongs", owned | F.coalesce(peeked_but_ours, F.lit(False)))


def is_dedupe_candidate() -> Column:
    return ~F.col("is_blank") & F.col("belongs") & F.col("reason").isNull()


def canonical_payload(raw: Column) -> Column:
    """The event with the derived fields removed and keys sorted, as text.

    Copies that passed through the transform Lambda carry derived fields and may be
    re-serialised; a copy from Firehose's error prefix is the producer's original text.
    Both are the same event when this canonical form matches.
    """
    as_map = F.from_json(raw, "map<string,string>", JSON_OPTIONS)
    derived = [F.lit(name) for name in DERIVED_FIELDS]
    kept = F.map_filter(as_map, lambda k, _: ~k.isin(*derived))
    return F.to_json(F.array_sort(F.map_entries(kept)))


def same_payload(raw: Column, first_raw: Column) -> Column:
    return (raw == first_raw) | (canonical_payload(raw) == canonical_payload(first_raw))


class LakeLookback(Protocol):
    """The lake rows written by earlier runs within the lookback (see lake.LookbackLake)."""

    def hits(self, day_keys: DataFrame) -> DataFrame:
        """(event_uuid, payload_hash, part) of the lake rows whose uuid_key (see uuid_index)
        is among day_keys' uuid_key, with the name of the partition each is in. payload_hash
        is null in files written before it existed."""
        ...

    def payloads(self, parts: list[str]) -> DataFrame:
        """(event_uuid, payload) of the rows in these partitions only."""
        ...


def payload_hash(raw: Column) -> Column:
    """The fingerprint the lake keeps of each row's payload (its exact text)."""
    return F.xxhash64(raw)


@contextmanager
def lake_copies(
    candidates: DataFrame, lake: LakeLookback, at_most: int | None = None
) -> Iterator[DataFrame]:
    """(event_uuid, lake_hash, lake_payload) for the lake rows whose uuid may be among the
    day's candidates, valid inside the `with` block.

    The lookback is never shuffled: the 64-bit hashes of the day's uuids are broadcast and
    the lake's uuid index probes them as it is scanned (on a day above BROADCAST_MAX_DAY_KEYS
    the hashes are shuffled instead). A hash collision matches no record later: uuids are
    compared exactly when the outcomes are joined.

    A day copy whose text hashes to the lake row's payload_hash is that row's event: nothing
    more is read. Only for the others (another text, or a lake file without the hash) are
    payloads read, from the partitions that hold them, for those uuids alone.

    `at_most`: a bound on the candidates already known (the day's records), which spares a
    scan of the day to count them.
    """
    day_keys = candidates.select(uuid_key(F.col("event_uuid")).alias("uuid_key"))
    if (candidates.count() if at_most is None else at_most) <= BROADCAST_MAX_DAY_KEYS:
        day_keys = F.broadcast(day_keys)
    hits = lake.hits(day_keys).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        copies = candidates.select("event_uuid", "raw_record").join(F.broadcast(hits), "event_uuid")
        differing = copies.where(
            ~payload_hash(F.col("raw_record")).eqNullSafe(F.col("payload_hash"))
        )
        unsettled = differing.select("event_uuid", "part").distinct().collect()
        parts = sorted({r.part for r in unsettled})
        found = hits.groupBy("event_uuid").agg(F.min("payload_hash").alias("lake_hash"))
        if not parts:
            yield found.withColumn("lake_payload", F.lit(None).cast("string"))
            return
        uuids = F.broadcast(
            found.sparkSession.createDataFrame(
                sorted({(r.event_uuid,) for r in unsettled}), "event_uuid string"
            )
        )
        payloads = lake.payloads(parts).join(uuids, "event_uuid", "left_semi")
        lake_payload = payloads.groupBy("event_uuid").agg(F.min("payload").alias("lake_payload"))
        yield found.join(lake_payload, "event_uuid", "left")
    finally:
        hits.unpersist()


def contested_uuids(candidates: DataFrame, in_lake: DataFrame | None) -> DataFrame:
    """(event_uuid, in_lake, lake_hash, lake_payload): the uuids with more than one copy in
    the day, and those already in the lake (with what the lake holds of them).

    Only the day's uuid column is shuffled, so the full records never move for the dedupe.
    """
    repeated = (
        candidates.groupBy("event_uuid")
        .count()
        .where(F.col("count") > 1)
        .select(
            "event_uuid",
            F.lit(False).alias("in_lake"),
            F.lit(None).cast("bigint").alias("lake_hash"),
            F.lit(None).cast("string").alias("lake_payload"),
        )
    )
    if in_lake is None:
        return repeated
    return (
        repeated.unionByName(in_lake.withColumn("in_lake", F.lit(True)))
        .groupBy("event_uuid")
        .agg(
            F.max("in_lake").alias("in_lake"),
            F.max("lake_hash").alias("lake_hash"),
            F.max("lake_payload").alias("lake_payload"),
        )
    )


def contested_outcomes(
    candidates: DataFrame, contested: DataFrame, broadcast: bool = False
) -> DataFrame:
    """(line_id, piece, decided) for every copy of a contested uuid.

    A uuid already in the lake: every copy of the day is judged against the lake's payload,
    a duplicate in the lake if it is the same event and a synthetic duplicate in the lake if
    not. Otherwise the earliest arrival is written and later copies are natural or synthetic
    duplicates of it.

    With `broadcast` (the contested uuids are few) only the contested copies are shuffled for
    the ranking; otherwise every candidate record is shuffled for the join.
    """
    rows = candidates.join(F.broadcast(contested) if broadcast else contested, "event_uuid")
    window = Window.partitionBy("event_uuid").orderBy(*ARRIVAL_ORDER)
    ranked = rows.select(
        "line_id",
        "piece",
        "raw_record",
        "in_lake",
        "lake_hash",
        "lake_payload",
        F.row_number().over(window).alias("day_rank"),
        F.first("raw_record").over(window).alias("first_raw"),
    )
    raw = F.col("raw_record")
    duplicate = F.when(same_payload(raw, F.col("first_raw")), F.lit(NATURAL_DUPLICATE)).otherwise(
        F.lit(SYNTHETIC_DUPLICATE)
    )
    same_as_lake = F.coalesce(payload_hash(raw) == F.col("lake_hash"), F.lit(False)) | F.coalesce(
        same_payload(raw, F.col("lake_payload")), F.lit(False)
    )
    in_lake = F.when(same_as_lake, F.lit(DUPLICATE_IN_LAKE)).otherwise(
        F.lit(SYNTHETIC_DUPLICATE_IN_LAKE)
    )
    decided = (
        F.when(F.col("in_lake"), in_lake)
        .when(F.col("day_rank") > 1, duplicate)
        .otherwise(F.lit(WRITTEN))
    )
    return ranked.select("line_id", "piece", decided.alias("decided"))


def with_outcome(records: DataFrame, decided: DataFrame, broadcast: bool) -> DataFrame:
    """Add `outcome` to every row; `decided` holds the contested copies' outcomes."""
    decisions = F.broadcast(decided) if broadcast else decided
    joined = records.join(decisions, ["line_id", "piece"], "left")
    outcome = (
        F.when(F.col("is_blank"), F.lit(BLANK))
        .when(~F.col("belongs"), F.lit(DEFERRED))
        .when(F.col("reason").isNotNull(), F.lit(INVALID))
        .otherwise(F.coalesce(F.col("decided"), F.lit(WRITTEN)))
    )
    return joined.withColumn("outcome", outcome).drop("decided")


@contextmanager
def classify(
    records: DataFrame, lake: LakeLookback | None, records_count: int | None = None
) -> Iterator[DataFrame]:
    """`records` (after with_checks, with_partition_fields, with_ownership) with an `outcome`
    on every row, valid inside the `with` block.

    `records` is read three times (uuid counts, contested copies, final join): persist it.
    Counting the contested uuids first lets their copies be ranked with a broadcast when they
    are few (nearly always), instead of shuffling every record.
    """
    candidates = records.where(is_dedupe_candidate())
    with ExitStack() as kept:
        with ExitStack() as scratch:  # freed once the decisions are cached
            in_lake = (
                None
                if lake is None
                else scratch.enter_context(lake_copies(candidates, lake, records_count))
            )
            contested = contested_uuids(candidates, in_lake).persist(StorageLevel.MEMORY_AND_DISK)
            scratch.callback(contested.unpersist)
            few = contested.count() <= BROADCAST_MAX_DECISIONS
            decided = contested_outcomes(candidates, contested, broadcast=few)
            decided = decided.persist(StorageLevel.MEMORY_AND_DISK)
            kept.callback(decided.unpersist)
            decisions = decided.count()
        yield with_outcome(records, decided, broadcast=decisions <= BROADCAST_MAX_DECISIONS)
