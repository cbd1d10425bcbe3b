"""The lake side: which directories the dedupe reads, and the publish protocol."""

from __future__ import annotations

from datetime import date

import pytest

from eventlake.dayjob import lake
from eventlake.dayjob.hadoop_fs import HadoopFS
from tests.dayjob.helpers import DAY, make_locations

pytestmark = pytest.mark.spark


def touch(path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "part-0.parquet").write_bytes(b"x")


def test_lookback_reads_only_earlier_runs_of_the_lookback_dates(spark, locations) -> None:
    events = locations.lake / "events"
    wanted = [
        events / "event_date=2026-11-17/event_type=app/run_date=2026-11-18",  # D - 7
        events / "event_date=2026-11-24/event_type=app/run_date=2026-11-23",
        events / "event_date=2026-11-25/event_type=quiz/run_date=2026-11-23",  # D + 1
    ]
    ignored = [
        events / "event_date=2026-11-16/event_type=app/run_date=2026-11-17",  # before lookback
        events / "event_date=2026-11-24/event_type=app/run_date=2026-11-24",  # run D itself
        events / "event_date=2026-11-24/event_type=app/run_date=2026-11-25",  # a later run
        events / "event_date=2026-11-26/event_type=app/run_date=2026-11-23",  # after D + 1
    ]
    for directory in wanted + ignored:
        touch(directory)

    found = lake.lookback_dirs(HadoopFS(spark), locations.config())

    assert sorted(d.split("/events/")[1] for d in found) == sorted(
        str(d.relative_to(events)) for d in wanted
    )


def test_publish_replaces_exactly_run_d_file_sets(spark, locations) -> None:
    events = locations.lake / "events"
    other_run = events / "event_date=2026-11-23/event_type=app/run_date=2026-11-23"
    stale = events / "event_date=2026-11-23/event_type=app/run_date=2026-11-24"
    stale_alone = events / "event_date=2026-11-20/event_type=quiz/run_date=2026-11-24"
    for directory in (other_run, stale, stale_alone):
        touch(directory)
    staging = locations.lake / "_staging" / "run_date=2026-11-24"
    touch(staging / "event_date=2026-11-24/event_type=app")
    touch(staging / "event_date=2026-11-23/event_type=app")

    lake.publish(HadoopFS(spark), locations.config().locations)

    run_dirs = sorted(str(p.relative_to(events)) for p in events.glob("*/*/run_date=*"))
    assert run_dirs == [
        "event_date=2026-11-23/event_type=app/run_date=2026-11-23",
        "event_date=2026-11-23/event_type=app/run_date=2026-11-24",
        "event_date=2026-11-24/event_type=app/run_date=2026-11-24",
    ]
    assert not (events / "event_date=2026-11-20").exists(), "empty partition folders are tidied"
    assert not (locations.lake / "_staging").exists()
    assert (other_run / "part-0.parquet").exists()


def test_run_date_is_read_from_the_directory_name() -> None:
    assert lake.run_date_of("file:/l/events/event_date=x/event_type=y/run_date=2026-11-24") == DAY
    assert lake.run_date_of("file:/l/events/event_date=x/event_type=y/run_date=junk") is None
    assert lake.lookback_dates(make_locations_config())[0] == date(2026, 11, 17)


def make_locations_config():
    from pathlib import Path

    return make_locations(Path("/tmp/unused")).config()
