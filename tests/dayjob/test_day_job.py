"""The day job end to end on generated days: exact counts, each uuid once, idempotent reruns."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from eventlake.dayjob import job as job_module
from eventlake.dayjob import lake
from eventlake.dayjob.counts import ReconciliationError
from eventlake.dayjob.entry import STAGES
from eventlake.dayjob.figures import EXAMPLES_PER_REASON
from eventlake.dayjob.hadoop_fs import HadoopFS
from eventlake.dayjob.job import run_day_job
from eventlake.tools.generator import DaySpec, FaultMix, write_firehose_day
from tests.dayjob.helpers import (
    DAY,
    Locations,
    error_object,
    event,
    firehose_object,
    lake_rows,
    make_locations,
    quarantine_rows,
    read_manifest,
    write_object,
)

pytestmark = pytest.mark.spark

NEXT_DAY = DAY + timedelta(days=1)
# Every fault kind the generator plants, at rates that show up in a small day.
EVERY_FAULT = FaultMix(
    natural_duplicate_rate=0.02,
    synthetic_duplicate_rate=0.01,
    late_rate=0.01,
    near_midnight_rate=0.02,
    invalid_rate=0.004,
    too_large_rate=0.001,
    concatenated_object_rate=0.3,
)


def day_spec(day: date, events: int = 2500) -> DaySpec:
    # Firehose's longest buffering interval keeps the object count (Spark's per-file cost) small.
    return DaySpec(day=day, events=events, seed=11, faults=EVERY_FAULT, buffer_seconds=900)


@pytest.fixture(scope="module")
def one_day(tmp_path_factory) -> tuple[Path, dict]:
    """Raw objects of day D only, and the generator's truth for run D."""
    raw = tmp_path_factory.mktemp("one_day") / "raw"
    truth = write_firehose_day(day_spec(DAY), str(raw), workers=1)
    return raw, truth


@pytest.fixture(scope="module")
def two_days(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("two_days") / "raw"
    write_firehose_day(day_spec(DAY, 1500), str(raw), workers=1)
    write_firehose_day(day_spec(NEXT_DAY, 1000), str(raw), workers=1)
    return raw


def lake_uuid_counts(spark, locations: Locations) -> Counter:
    return Counter(
        r[0]
        for r in spark.read.parquet(str(locations.lake / "events")).select("event_uuid").collect()
    )


def assert_matches_truth(spark, locations: Locations, manifest: dict, truth: dict) -> None:
    counts = manifest["counts"]
    assert counts["raw_records_in"] == truth["raw_records"]
    assert counts["raw_records_owned"] == truth["owned_records"]
    assert counts["raw_records_peeked"] == truth["peeked_records"]
    assert counts["written"] == truth["valid_unique"]
    assert counts["natural_duplicates"] == truth["natural_duplicates"]
    assert counts["synthetic_duplicates"] == truth["synthetic_duplicates"]
    assert counts["invalid_by_reason"] == truth["invalid_by_reason"]
    assert counts["deferred"] == truth["deferred"]
    assert counts["duplicates_in_lake"] == 0
    objects = manifest["raw_objects"]
    assert objects["owned"] + objects["peeked"] == truth["objects"]
    by_partition = {
        f"event_date={d}/event_type={t}": n
        for d, types in truth["valid_unique_by_event_date_type"].items()
        for t, n in types.items()
    }
    assert {p["partition"]: p["rows"] for p in manifest["lake_partitions"]} == by_partition
    late_by_date = Counter()
    for name, n in manifest["late_events_by_partition"].items():
        late_by_date[name.split("/")[0].removeprefix("event_date=")] += n
    assert dict(late_by_date) == truth["late_events_by_event_date"]
    uuids = lake_uuid_counts(spark, locations)
    assert sum(uuids.values()) == truth["valid_unique"], "lake rows differ from the valid events"
    assert max(uuids.values()) == 1, "a uuid is in the lake twice"
    quarantined = Counter(r.reason for r in quarantine_rows(spark, locations))
    assert quarantined == Counter(
        {**truth["invalid_by_reason"], "synthetic_duplicate": truth["synthetic_duplicates"]}
    )


def test_generated_day_with_every_fault_matches_the_truth_exactly(spark, one_day, tmp_path) -> None:
    raw, truth = one_day
    assert truth["invalid_by_reason"].keys() >= {"record_too_large", "unparseable_json"}
    assert truth["concatenated_objects"] > 0
    assert truth["deferred"] > 0
    assert truth["late_events_by_event_date"]
    locations = make_locations(tmp_path, raw)

    manifest = run_day_job(spark, locations.config()).to_dict()

    assert_matches_truth(spark, locations, manifest, truth)
    assert read_manifest(locations) == manifest | {
        "timings_s": read_manifest(locations)["timings_s"]
    }
    assert manifest["reconciliation"]["balanced"]
    assert not (locations.lake / "_staging").exists()
    assert_day_figures(spark, locations, manifest, truth)


def test_columns_with_a_value_per_event_are_written_without_a_dictionary(spark, locations) -> None:
    """Parquet tries a dictionary on every column; for uuid, payload, created_at... it only
    costs. Here every event has the same created_at, so Parquet would keep one if asked."""
    import pyarrow.parquet as pq

    events = [event(i, "2026-11-24T08:00:00") for i in range(200)]
    firehose_object(locations.raw, "2026-11-24T08:00:10", events)
    run_day_job(spark, locations.config())
    encoded: dict[bool, set[str]] = {True: set(), False: set()}
    for path in sorted((locations.lake / "events").rglob("*.parquet")):
        meta = pq.ParquetFile(path).metadata
        for i in range(meta.num_columns):
            column = meta.row_group(0).column(i)
            dictionary = any("DICTIONARY" in e for e in column.encodings)
            encoded[dictionary].add(column.path_in_schema)
    assert set(lake.NO_DICTIONARY) <= encoded[False]
    assert not encoded[True] & set(lake.NO_DICTIONARY)
    assert {"event_name", "source_key"} <= encoded[True], "the others keep their dictionary"


def assert_day_figures(spark, locations: Locations, manifest: dict, truth: dict) -> None:
    """What the day report plots: every written row in an hour, examples of every reason."""
    figures = manifest["figures"]
    assert sum(figures["written_by_created_hour"].values()) == truth["valid_unique"]
    raw_by_reason: dict[str, set[str]] = {}
    for row in quarantine_rows(spark, locations):
        raw_by_reason.setdefault(row.reason, set()).add(row.raw_record)
    examples = figures["quarantine_examples"]
    assert examples.keys() == raw_by_reason.keys(), "a reason without examples in the manifest"
    for reason, shown in examples.items():
        assert 1 <= len(shown) <= EXAMPLES_PER_REASON
        assert all(any(r.startswith(e) for r in raw_by_reason[reason]) for e in shown), (
            f"an example of {reason} is not one of its quarantined records"
        )
    # the demo's progress bar counts these stages: the job must name them in this order
    assert [s for s in STAGES if s in manifest["timings_s"]] == list(manifest["timings_s"])


def test_run_d_then_next_day_then_d_again_leaves_identical_rows(spark, two_days, tmp_path) -> None:
    locations = make_locations(tmp_path, two_days)
    first_d = run_day_job(spark, locations.config(DAY)).to_dict()
    next_day = run_day_job(spark, locations.config(NEXT_DAY)).to_dict()
    after_two_days = lake_rows(spark, locations)

    rerun_d = run_day_job(spark, locations.config(DAY)).to_dict()

    assert lake_rows(spark, locations) == after_two_days, "rerunning D changed the lake"
    assert rerun_d["counts"] == first_d["counts"]
    # D's stragglers (owned by D+1, peeked by D) reach the lake once, through run D.
    assert next_day["counts"]["duplicates_in_lake"] > 0
    uuids = lake_uuid_counts(spark, locations)
    assert max(uuids.values()) == 1, "a uuid is in the lake twice"
    assert sum(uuids.values()) == first_d["counts"]["written"] + next_day["counts"]["written"]


class PublishCrash(RuntimeError):
    pass


def test_runs_that_die_while_publishing_are_repaired_by_a_rerun(spark, one_day, tmp_path) -> None:
    raw, truth = one_day
    locations = make_locations(tmp_path, raw)
    with pytest.MonkeyPatch.context() as patch:  # killed between staging and publish
        patch.setattr(job_module.lake, "publish", _crash)
        with pytest.raises(PublishCrash):
            run_day_job(spark, locations.config())
    assert (locations.lake / "_staging").exists()
    assert lake_rows(spark, locations) == []
    assert not (locations.reports / "manifests").exists(), "a crashed run wrote a manifest"

    with pytest.MonkeyPatch.context() as patch:  # killed mid-publish: some sets moved, not all
        patch.setattr(HadoopFS, "move_dir", _move_then_crash(HadoopFS.move_dir, moves_allowed=3))
        with pytest.raises(PublishCrash):
            run_day_job(spark, locations.config())
    assert 0 < len(lake_rows(spark, locations)) < truth["valid_unique"]

    manifest = run_day_job(spark, locations.config()).to_dict()

    assert_matches_truth(spark, locations, manifest, truth)


def _crash(*_args, **_kwargs):
    raise PublishCrash("killed between staging and publish")


def _move_then_crash(real_move, moves_allowed: int):
    moves = []

    def move(self, source, target):
        if len(moves) == moves_allowed:
            raise PublishCrash("killed mid-publish")
        moves.append(target)
        real_move(self, source, target)

    return move


def test_error_prefix_records_are_revalidated_and_concatenations_split(spark, locations) -> None:
    raw = locations.raw
    e1, e2, e3, e4 = (event(i, "2026-11-24T08:00:00", plan="pro") for i in range(1, 5))
    firehose_object(raw, "2026-11-24T08:00:10", f"{e1}\n\n{e2}{e3}\n")
    # The transform Lambda failed on these; Firehose parked them base64-encoded.
    failed = error_object(raw, "2026-11-24T09:00:00", [e4, '{"event_uuid":"nope"}', e1, "{broken"])

    manifest = run_day_job(spark, locations.config()).to_dict()

    counts = manifest["counts"]
    assert counts["raw_records_in"] == 7
    assert counts["blank_lines"] == 1
    assert counts["written"] == 4
    assert counts["natural_duplicates"] == 1  # e1 again, through the error prefix
    assert counts["invalid_by_reason"] == {"missing_field": 1, "unparseable_json": 1}
    lake_uuids = sorted(
        r.event_uuid for r in spark.read.parquet(str(locations.lake / "events")).collect()
    )
    assert lake_uuids == sorted(f"00000000-0000-4000-8000-{i:012d}" for i in range(1, 5))
    quarantined = {
        r.raw_record: (r.reason, r.source_key) for r in quarantine_rows(spark, locations)
    }
    assert quarantined == {
        '{"event_uuid":"nope"}': ("missing_field", failed),
        "{broken": ("unparseable_json", failed),
    }


def test_counts_that_do_not_reconcile_fail_the_run_before_the_lake_changes(
    spark, locations, monkeypatch
) -> None:
    firehose_object(locations.raw, "2026-11-24T08:00:10", [event(1, "2026-11-24T08:00:00")])
    monkeypatch.setattr(lake, "staged_row_counts", lambda *_: {"event_date=x/event_type=y": 2})

    with pytest.raises(ReconciliationError, match="lake files hold 2 rows"):
        run_day_job(spark, locations.config())

    assert not (locations.lake / "events").exists()
    assert not (locations.reports / "manifests").exists()


def test_an_empty_day_writes_an_empty_balanced_manifest(spark, locations) -> None:
    locations.raw.mkdir()
    manifest = run_day_job(spark, locations.config()).to_dict()
    assert manifest["counts"]["raw_records_in"] == 0
    assert manifest["lake_partitions"] == []
    assert manifest["figures"] == {"written_by_created_hour": {}, "quarantine_examples": {}}
    assert read_manifest(locations)["reconciliation"]["balanced"]


def test_run_day_command_and_glue_script_run_the_same_job(spark, tmp_path, capsys) -> None:
    import runpy

    from eventlake.cli import main

    raw = tmp_path / "raw"
    firehose_object(raw, "2026-11-24T08:00:10", [event(i, "2026-11-24T08:00:00") for i in range(5)])
    firehose_object(raw, "2026-11-25T00:10:00", [event(9, "2026-11-25T00:09:00")], rid="b")
    by_cli = make_locations(tmp_path / "cli", raw)
    args = ["--date", DAY.isoformat(), "--raw", str(raw), "--lake", str(by_cli.lake)]
    args += [
        "--quarantine",
        str(by_cli.quarantine),
        "--reports",
        str(by_cli.reports),
        "--grace",
        "1h",
    ]
    assert main(["run-day", *args]) == 0
    assert "reconciled: 6 = 6" in capsys.readouterr().err
    assert read_manifest(by_cli)["counts"]["deferred"] == 1

    by_script = make_locations(tmp_path / "script", raw)
    script = Path(__file__).parents[2] / "glue_jobs" / "events_daily.py"
    glue = runpy.run_path(str(script))
    argv = [str(script), "--run_date", DAY.isoformat(), "--raw_uri", str(raw)]
    argv += ["--lake_uri", str(by_script.lake), "--quarantine_uri", str(by_script.quarantine)]
    argv += ["--reports_uri", str(by_script.reports), "--grace_minutes", "60"]
    assert glue["main"](argv) == 0
    assert len(lake_rows(spark, by_script)) == 5
    assert lake_rows(spark, by_script) == lake_rows(spark, by_cli)


def test_run_day_rejects_bad_input_with_a_clear_error(tmp_path, capsys) -> None:
    from eventlake.cli import main

    base = ["--lake", "l", "--quarantine", "q", "--reports", "r"]
    with pytest.raises(SystemExit) as impossible_day:  # argparse rejects it before the run
        main(["run-day", "--date", "2026-02-30", "--raw", str(tmp_path), *base])
    assert impossible_day.value.code == 2
    assert main(["run-day", "--date", "2026-02-03", "--raw", str(tmp_path / "missing"), *base]) == 2
    assert (
        main(["run-day", "--date", "2026-02-03", "--raw", str(tmp_path), "--grace", "soon", *base])
        == 2
    )
    assert "error" in capsys.readouterr().err


def test_unreadable_raw_objects_are_set_aside_and_the_day_still_runs(spark, locations) -> None:
    """A truncated gzip and a file that is not gzip, among readable objects: the day runs on
    the readable ones, and the two are copied unchanged to the quarantine and named in the
    manifest (the quality checks then fail on them)."""
    raw = locations.raw
    readable = [
        firehose_object(raw, f"2026-11-24T{hour:02d}:00:00", [event(hour, "2026-11-24T00:30:00")])
        for hour in range(1, 8)
    ]
    truncated = firehose_object(
        raw, "2026-11-24T09:00:00", [event(100 + i, "2026-11-24T08:00:00") for i in range(200)]
    )
    whole = (raw / truncated).read_bytes()
    (raw / truncated).write_bytes(whole[: len(whole) // 2])
    not_gzip = firehose_object(raw, "2026-11-24T10:00:00", [], rid="p")
    (raw / not_gzip).write_bytes(event(999, "2026-11-24T09:00:00").encode() + b"\n")

    manifest = run_day_job(spark, locations.config()).to_dict()

    unreadable = {o["key"]: o for o in manifest["unreadable_objects"]}
    assert set(unreadable) == {truncated, not_gzip}
    assert "EOFException" in unreadable[truncated]["reason"]
    assert "not a gzip file" in unreadable[not_gzip]["reason"]
    for key, entry in unreadable.items():
        copy = locations.quarantine / "objects" / f"run_date={DAY}" / key
        assert entry["copied_to"].endswith(key)
        assert copy.read_bytes() == (raw / key).read_bytes(), f"{key} was not copied unchanged"
    assert manifest["counts"]["unreadable_objects"] == 2
    assert manifest["counts"]["raw_records_in"] == len(readable)
    assert manifest["reconciliation"]["balanced"]
    assert sorted(lake_uuid_counts(spark, locations).values()) == [1] * len(readable)
    assert read_manifest(locations)["unreadable_objects"] == manifest["unreadable_objects"]


def test_a_day_with_only_readable_objects_lists_none_unreadable(spark, locations) -> None:
    firehose_object(locations.raw, "2026-11-24T01:00:00", [event(1, "2026-11-24T00:30:00")])
    manifest = run_day_job(spark, locations.config()).to_dict()
    assert manifest["unreadable_objects"] == []
    assert manifest["counts"]["unreadable_objects"] == 0
    assert "set_aside_unreadable" not in manifest["timings_s"]


def test_records_that_are_not_utf8_are_quarantined_with_their_exact_bytes(spark, locations) -> None:
    """Parquet strings must be valid UTF-8 (DuckDB and Athena reject the file otherwise):
    such a record is quarantined as unparseable_json, shown with U+FFFD replacements, and
    its exact bytes are kept in raw_record_base64."""
    import base64
    import gzip

    import duckdb

    good = event(1, "2026-11-24T00:30:00").encode()
    not_utf8 = [good[:-1] + b', "note": "\xff\xfe"}', b'{"event_uuid": "\xed\xa0\x80"}']
    key = firehose_object(locations.raw, "2026-11-24T01:00:00", [])
    (locations.raw / key).write_bytes(gzip.compress(b"\n".join([good, *not_utf8]) + b"\n"))

    manifest = run_day_job(spark, locations.config()).to_dict()

    assert manifest["counts"]["written"] == 1
    assert manifest["counts"]["invalid_by_reason"] == {"unparseable_json": 2}
    files = str(locations.quarantine / "events" / "**" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT raw_record, raw_record_base64 FROM read_parquet('{files}')"
    ).fetchall()  # reading the strings at all proves they are valid UTF-8
    assert sorted(base64.b64decode(b64) for _, b64 in rows) == sorted(not_utf8)
    assert all("\ufffd" in text for text, _ in rows)


def test_an_error_prefix_record_that_is_not_utf8_keeps_its_exact_bytes(spark, locations) -> None:
    """The transform sent it to Firehose's error prefix; the job must not 'repair' it into a
    valid event by decoding it with replacement characters."""
    import base64
    import gzip
    import json

    raw = event(7, "2026-11-24T00:30:00").encode()[:-1] + b', "note": "\xff"}'
    line = json.dumps(
        {"errorCode": "Lambda.ProcessingFailed", "rawData": base64.b64encode(raw).decode()}
    )
    key = error_object(locations.raw, "2026-11-24T01:00:00", ["{}"])
    (locations.raw / key).write_bytes(gzip.compress(line.encode() + b"\n"))

    manifest = run_day_job(spark, locations.config()).to_dict()

    assert manifest["counts"]["written"] == 0
    assert manifest["counts"]["invalid_by_reason"] == {"unparseable_json": 1}
    [row] = spark.read.parquet(str(locations.quarantine / "events")).collect()
    assert base64.b64decode(row.raw_record_base64) == raw


def test_raw_keys_with_glob_characters_spaces_and_unicode_are_read_literally(
    spark, locations
) -> None:
    """Spark expands glob patterns in the paths it reads: `[x]`, `{a,b}`, `*` and `?` in a raw
    key must not make the file vanish or fail the run."""
    keys = [
        write_object(
            locations.raw, f"events/2026/11/24/10/{name}.gz", [event(i, "2026-11-24T09:00:00")]
        )
        for i, name in enumerate(["weird [x] {a,b} *?", "space %20 é+#", "back\\slash"], start=1)
    ]

    manifest = run_day_job(spark, locations.config()).to_dict()

    per_object = {o["key"]: o["records"] for o in manifest["raw_objects"]["objects"]}
    assert per_object == dict.fromkeys(keys, 1)
    assert manifest["counts"]["written"] == 3
    assert manifest["reconciliation"]["balanced"]
