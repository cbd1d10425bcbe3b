"""Recovery end to end on generated days, through the real path: Kinesis (moto),
firehose-local (the transform), raw, the day job on local Spark, the lake and the manifest."""

from __future__ import annotations

import gzip
import shutil
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from eventlake.cli import main as eventlake
from eventlake.core import contract as C
from eventlake.core import layout
from eventlake.dayjob.job import run_day_job
from eventlake.local.firehose import DaySimulation, DeliveryConfig, FirehoseLocal
from eventlake.local.kinesis import LocalKinesis
from eventlake.tools.generator import DaySpec, FaultMix, write_firehose_day
from tests.dayjob.helpers import Locations, make_locations

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# Enough of every invalid kind to show up in a small day.
FAULTS = FaultMix(invalid_rate=0.004, too_large_rate=0.0, concatenated_object_rate=0.1)


def lake_rows(spark, locations: Locations) -> list[tuple[str, str, str]]:
    """(event_uuid, event_date, run_date) of every lake row."""
    folder = locations.lake / "events"
    if not folder.exists():
        return []
    rows = spark.read.parquet(str(folder)).select("event_uuid", "event_date", "run_date").collect()
    return sorted((r.event_uuid, str(r.event_date), str(r.run_date)) for r in rows)


def deliver(kinesis: LocalKinesis, stream: str, raw: Path, day: date, checkpoint: Path) -> int:
    """firehose-local, with arrivals mapped to 02:00 of `day`: what the stream got lands there."""
    simulation = DaySimulation(day, offset_s=2 * 3600, anchor_ms=int(time.time() * 1000))
    config = DeliveryConfig(
        stream=stream,
        raw_uri=layout.normalize_uri(str(raw)),
        delivery_stream="eventlake-delivery",
        checkpoint_path=checkpoint,
        poll_interval_s=0.02,
        simulation=simulation,
    )
    stats = FirehoseLocal(kinesis.client(), config).run(until_idle_s=0.5)
    assert stats.processing_failed == 0, stats.reasons
    return stats.delivered


def test_quarantine_replay_lands_repaired_records_late_in_their_day_and_twice_adds_nothing(
    spark, kinesis: LocalKinesis, stream: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # A recent day: the replayed events arrive now and must still be within the max age.
    day = datetime.now(UTC).date() - timedelta(days=3)
    raw = tmp_path / "raw"
    truth = write_firehose_day(
        DaySpec(day, 3000, seed=16, faults=FAULTS, buffer_seconds=900), str(raw), workers=1
    )
    locations = make_locations(tmp_path, raw)
    millis = truth["invalid_by_reason"][C.CREATED_AT_IN_MILLIS]
    assert millis > 5, "the generated day plants too few created_at_in_millis records"
    run_day_job(spark, locations.config(day))
    replay = ["quarantine", "replay", "--run-date", day.isoformat(), "--quarantine",
              str(locations.quarantine), "--reason", C.CREATED_AT_IN_MILLIS, "--fix",
              C.CREATED_AT_IN_MILLIS, "--stream", stream, "--endpoint-url", kinesis.endpoint_url,
              "--rate", "0", "--quiet", "--spool", str(tmp_path / "spool.ndjson")]  # fmt: skip
    checkpoint = tmp_path / "firehose-checkpoint.json"

    assert eventlake([*replay, "--summary-json", str(tmp_path / "first.json")]) == 0
    first = orjson.loads((tmp_path / "first.json").read_bytes())
    assert first["send"] == millis, capsys.readouterr().out
    assert deliver(kinesis, stream, raw, day + timedelta(days=1), checkpoint) == millis
    next_day = run_day_job(spark, locations.config(day + timedelta(days=1)))

    late = next_day.late_events_by_partition
    assert sum(late.values()) == millis, "the repaired records must be counted as late"
    assert {p.split("/")[0] for p in late} == {f"event_date={day}"}
    rows = lake_rows(spark, locations)
    # Run D+1 also writes D's stragglers created after midnight (event_date D+1); what it
    # wrote into event_date D is exactly the replayed set.
    by_next_run = {u: d for u, d, run in rows if run == str(day + timedelta(days=1))}
    assert {u for u, d in by_next_run.items() if d == str(day)} == set(first["uuids"])
    assert max(Counter(u for u, _, _ in rows).values()) == 1

    assert eventlake(replay) == 0  # the same set again
    assert deliver(kinesis, stream, raw, day + timedelta(days=2), checkpoint) == millis
    third = run_day_job(spark, locations.config(day + timedelta(days=2)))

    assert third.counts.duplicates_in_lake == millis, "the lookback must catch the second copy"
    assert third.counts.written == 0
    assert lake_rows(spark, locations) == rows, "replaying again added rows to the lake"


def objects_of_hour(raw: Path, day: date, hour: int) -> list[Path]:
    folder = raw / layout.render_prefix(
        layout.firehose_prefix(), datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    )
    return sorted(folder.glob("*.gz"))


def test_a_restored_raw_object_is_replayed_by_rerunning_its_day_and_the_days_after(
    spark, tmp_path: Path
) -> None:
    """docs/runbook.md: the rerun of the day is the replay; rerun the later days too when the
    restored records may already have been written by them."""
    day, next_day = date(2026, 11, 24), date(2026, 11, 25)
    complete = tmp_path / "complete" / "raw"
    write_firehose_day(
        DaySpec(day, 1500, seed=21, faults=FAULTS, buffer_seconds=900), str(complete), workers=1
    )
    write_firehose_day(
        DaySpec(next_day, 1000, seed=22, faults=FAULTS, buffer_seconds=900),
        str(complete),
        workers=1,
    )
    # A producer retry: a few of the noon object's events arrive again the next morning.
    noon_object = objects_of_hour(complete, day, 12)[0]
    copies = [line for line in gzip.decompress(noon_object.read_bytes()).splitlines()
              if C.validate_record(line, layout.day_start(next_day).timestamp()).valid][:5]  # fmt: skip
    assert len(copies) == 5
    retry_key = layout.raw_object_key(
        layout.DEFAULT_STREAM, layout.day_start(next_day) + timedelta(hours=3)
    )
    (complete / retry_key).parent.mkdir(parents=True, exist_ok=True)
    (complete / retry_key).write_bytes(gzip.compress(b"\n".join(copies) + b"\n"))
    copied = {orjson.loads(c)["event_uuid"] for c in copies}
    expected = make_locations(tmp_path / "complete", complete)
    expected_day = run_day_job(spark, expected.config(day))
    run_day_job(spark, expected.config(next_day))

    # The same days, but the noon object was missing (restored from a backup later).
    raw = tmp_path / "restored" / "raw"
    shutil.copytree(complete, raw)
    missing = raw / noon_object.relative_to(complete)
    backup = tmp_path / "backup.gz"
    missing.rename(backup)
    locations = make_locations(tmp_path / "restored", raw)
    run_day_job(spark, locations.config(day))
    assert run_day_job(spark, locations.config(next_day)).late_events >= len(copies)

    backup.rename(missing)
    rerun = run_day_job(spark, locations.config(day))
    assert rerun.raw_objects.owned == expected_day.raw_objects.owned
    assert rerun.counts == expected_day.counts, "the rerun of D must read the restored object"
    twice = Counter(u for u, _, _ in lake_rows(spark, locations))
    assert {u for u, n in twice.items() if n > 1} == copied, (
        "rerunning D alone writes the copies a second time: the next day must be rerun too"
    )
    rerun_next = run_day_job(spark, locations.config(next_day))
    assert rerun_next.counts.duplicates_in_lake >= len(copies)
    assert lake_rows(spark, locations) == lake_rows(spark, expected), (
        "after the reruns the lake must be what it would have been with the object in place"
    )
