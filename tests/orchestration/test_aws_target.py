"""The aws target's first nights on an emulated account: infra/ applied to a moto server with
the real AWS provider, then events_daily run night after night with every task executed by
its real operator.

What stands in for what AWS runs and moto cannot (see tests/emulated_aws.py):
- the Glue job's script: moto records the run; the stand-in runs glue_jobs/events_daily.py on
  local Spark with the run's merged arguments, on local copies of the buckets, syncs the
  outputs back and sets the run's final state (SUCCEEDED, or the state a test asks for);
- Athena: quality_checks runs its real operator, whose scan process is
  tests/orchestration/athena_standin.py: the same Soda contract on a DuckDB view built only
  from what moto's Glue catalog says (columns and registered partitions at their locations);
- MWAA: the DAG runs in `dag.test()`, with the [eventlake] settings Terraform gives MWAA.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow.parquet as pq
import pytest

from eventlake.core import storage
from eventlake.core.contract import validate_record
from eventlake.core.layout import (
    arrival_from_key,
    day_report_uri,
    manifest_uri,
    soda_report_uri,
    split_s3,
)
from eventlake.core.manifest import Counts, Manifest, RawObjects, Reconciliation
from eventlake.core.tables import type_tables
from eventlake.orchestration import catalog_steps
from eventlake.orchestration.settings import EventlakeSettings
from tests.dayjob.test_declared_tables import glue_type
from tests.emulated_aws import (
    REPO,
    TFVARS,
    GlueStandIn,
    RunPlan,
    apply_stack,
    download_bucket,
    over_tls,
    with_error_message,
)
from tests.generator.test_generator import split_records
from tests.orchestration.athena_standin import SEEN_FILE
from tests.orchestration.conftest import load_dag_module

pytestmark = [pytest.mark.airflow, pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(1800)]

NIGHTS = (date(2026, 11, 24), date(2026, 11, 25))
GATE_DAY = date(2026, 11, 26)  # a night whose catalog step is disabled
EVENTS_PER_DAY = 3_000
# Days for the runs that must fail, each earlier than every day run before it (tests run in
# this order): `depends_on_past` holds a day whose previous run failed, and dag.test would
# wait for it forever.
REATTACH_DAY = date(2026, 11, 20)
FAILING_CASES = (
    ("STOPPED", "true"),
    ("STOPPED", "false"),
    ("TIMEOUT", "true"),
    ("TIMEOUT", "false"),
)
FAILING_DAYS = {case: REATTACH_DAY - timedelta(days=1 + i) for i, case in enumerate(FAILING_CASES)}
STALE_DAY = min(FAILING_DAYS.values()) - timedelta(days=1)
TASKS = ("wait_for_raw_window", "run_day_job", "register_partitions", "quality_checks", "publish")

# `terraform plan` after the apply still shows these; each is moto's, not infra/'s.
MOTO_LIMITATIONS = {
    ("module.orchestration.aws_vpc_security_group_egress_rule.mwaa_self", "description"): (
        "moto keeps no description on a security group rule (no ModifySecurityGroupRules)"
    ),
    ("module.orchestration.aws_vpc_security_group_ingress_rule.mwaa_self", "description"): (
        "moto keeps no description on a security group rule (no ModifySecurityGroupRules)"
    ),
    **{
        (f'module.storage.aws_s3_bucket_notification.this["{b}"]', "eventbridge"): (
            "moto returns no EventBridgeConfiguration from GetBucketNotificationConfiguration"
        )
        for b in ("raw", "lake", "quarantine", "reports", "scripts", "mwaa")
    },
    ("module.streaming.aws_kinesis_firehose_delivery_stream.raw", "extended_s3_configuration"): (
        "moto keeps only LambdaArn of the Lambda processor's parameters (no buffer hints)"
    ),
    ("module.streaming.aws_kinesis_stream.events", "tags_all"): (
        "moto does not store the tags CreateStream is given"
    ),
    ("module.transform.aws_lambda_function.transform", "logging_config"): (
        "moto returns no LoggingConfig for a function"
    ),
}


@pytest.fixture(scope="module")
def account(tmp_path_factory, airflow_db):
    """A fresh emulated account with infra/ applied and generated raw days in its raw bucket."""
    from moto.glue.models import FakeJobRun
    from moto.moto_api import state_manager
    from moto.s3.models import FakeBucket
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    patch = pytest.MonkeyPatch()
    try:
        stack = apply_stack(endpoint, tmp_path_factory.mktemp("stack"))
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_DEFAULT_REGION", stack.region)
        storage._s3.cache_clear()  # the cached client must point at this server
        # A run stays STARTING until the stand-in has run its script and set its state.
        state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 10**9})
        patch.setattr(FakeJobRun, "as_dict", with_error_message(FakeJobRun.as_dict))
        patch.setattr(FakeBucket, "get_permission", over_tls)
        days = (*NIGHTS, GATE_DAY, REATTACH_DAY, *FAILING_DAYS.values(), STALE_DAY)
        truths = {day: write_raw_day(stack, day) for day in days}
        yield Account(stack, truths, tmp_path_factory.mktemp("glue"))
    finally:
        state_manager.unset_transition("glue::job_run")
        patch.undo()
        storage._s3.cache_clear()
        server.stop()


class Account:
    def __init__(self, stack, truths: dict[date, dict[str, Any]], glue_workdir: Path) -> None:
        self.stack = stack
        self.truths = truths
        self.glue_workdir = glue_workdir
        outputs = stack.outputs
        self.settings = dict(outputs["airflow_eventlake_settings"])
        self.database = outputs["glue_database"]
        self.job_name = outputs["glue_job_name"]
        self.buckets = outputs["bucket_names"]
        self.glue = boto3.client("glue", endpoint_url=stack.endpoint, region_name=stack.region)
        self.s3 = boto3.client("s3", endpoint_url=stack.endpoint, region_name=stack.region)

    def stand_in(self, *plans: RunPlan) -> GlueStandIn:
        return GlueStandIn(self.stack, self.job_name, self.glue_workdir, list(plans))

    def run_partitions(self, table: str, day: date) -> set[tuple[str, ...]]:
        pages = self.glue.get_paginator("get_partitions").paginate(
            DatabaseName=self.database, TableName=table, Expression=f"run_date = '{day}'"
        )
        return {tuple(p["Values"]) for page in pages for p in page["Partitions"]}

    def manifest(self, day: date) -> Manifest:
        return Manifest.read(self.settings["reports_uri"], day)

    def late_in_grace(self, day: date, folder: Path) -> int:
        """Valid events of the next generated day that arrive in run D's grace hour, created
        on or before D (late events): run D takes them, and the truth of D cannot know them.
        Counted with the Python contract on that day made again (the generator is seeded)."""
        from eventlake.tools.generator import write_firehose_day

        after = day + timedelta(days=1)
        if after not in self.truths:
            return 0
        write_firehose_day(day_spec(after), str(folder), workers=1)
        day_end = datetime.combine(after, datetime.min.time(), UTC).timestamp()
        taken = 0
        for path in sorted((folder / "events" / after.strftime("%Y/%m/%d/00")).glob("*.gz")):
            arrival = arrival_from_key(path.name).timestamp()
            for line in gzip.decompress(path.read_bytes()).decode("utf-8", "replace").splitlines():
                for record in split_records(line):
                    verdict = validate_record(record, arrival)
                    taken += verdict.valid and verdict.event["created_at"] < day_end
        return taken


def day_spec(day: date):
    from eventlake.tools.generator import DaySpec

    events = EVENTS_PER_DAY if day in (*NIGHTS, GATE_DAY) else 300
    return DaySpec(day=day, events=events, seed=day.day)


def write_raw_day(stack, day: date) -> dict[str, Any]:
    """A generated day with every fault, delivered into the raw bucket in Firehose's layout."""
    from eventlake.tools.generator import write_firehose_day

    return write_firehose_day(day_spec(day), stack.outputs["uris"]["raw"], workers=1)


def soda_wrapper(folder: Path) -> str:
    """An interpreter path for `soda_python`: runs the Athena stand-in with the scan's arguments."""
    script = folder / "soda-python"
    script.write_text(
        "#!/bin/sh\n# stands in for the Soda venv's python: `<python> -m eventlake.quality.scan ...`\n"
        f'shift 2\nexec "{os.sys.executable}" "{REPO}/tests/orchestration/athena_standin.py" "$@"\n'
    )
    script.chmod(0o755)
    return str(script)


def run_night(account: Account, monkeypatch, tmp_path: Path, day: date, **overrides: str):
    settings = {
        **account.settings,
        "soda_python": soda_wrapper(tmp_path),
        "glue_poll_seconds": "1",
        "start_date": STALE_DAY.isoformat(),
        **overrides,
    }
    monkeypatch.setenv(SEEN_FILE, str(tmp_path / f"seen-{day}.json"))
    module = load_dag_module(monkeypatch, **settings)
    logical = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return module.dag.test(logical_date=logical)


def states(dag_run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


# --- the stack ---


def test_a_second_plan_after_the_apply_changes_only_what_moto_cannot_keep(account) -> None:
    plan = account.stack.terraform("plan", "-input=false", "-out=again.plan", *TFVARS)
    assert plan.returncode == 0, plan.stdout[-3000:]
    shown = json.loads(account.stack.terraform("show", "-json", "again.plan").stdout)
    changed = set()
    for resource in shown["resource_changes"]:
        if resource["change"]["actions"] == ["no-op"]:
            continue
        assert resource["change"]["actions"] == ["update"], (
            f"{resource['address']} would be replaced"
        )
        before, after = resource["change"]["before"], resource["change"]["after"]
        changed |= {
            (resource["address"], k)
            for k in set(before) | set(after)
            if before.get(k) != after.get(k)
        }
    unexplained = changed - set(MOTO_LIMITATIONS)
    assert not unexplained, f"the plan after apply changes {sorted(unexplained)}"
    mwaa = [r for r in shown["resource_changes"] if r["type"] == "aws_mwaa_environment"]
    assert mwaa == [], "create_mwaa = false must leave the MWAA environment out"


def test_the_declared_tables_exist_with_typed_partition_keys(account) -> None:
    tables = account.glue.get_tables(DatabaseName=account.database)["TableList"]
    by_name = {t["Name"]: t for t in tables}
    assert set(by_name) == {"events", "events_audit", "quarantine", "manifests"}
    keys = {k["Name"]: k["Type"] for k in by_name["events"]["PartitionKeys"]}
    assert keys == {"event_date": "date", "event_type": "string", "run_date": "date"}
    columns = {c["Name"]: c["Type"] for c in by_name["events"]["StorageDescriptor"]["Columns"]}
    assert columns["created_ts"] == "timestamp", "created_at must be usable as a timestamp"


# --- the nights ---


@pytest.fixture(scope="module")
def two_nights(account, airflow_db, tmp_path_factory) -> dict[date, dict[str, Any]]:
    """Nights 1 and 2 of events_daily on the fresh account, in order."""
    results = {}
    for night in NIGHTS:
        folder = tmp_path_factory.mktemp(f"night-{night}")
        with pytest.MonkeyPatch.context() as patch, account.stand_in() as glue:
            dag_run = run_night(account, patch, folder, night)
        seen = json.loads((folder / f"seen-{night}.json").read_text())
        results[night] = {"states": states(dag_run), "runs": list(glue.handled), "seen": seen}
    return results


@pytest.mark.parametrize("night", NIGHTS)
def test_each_night_ends_green_with_every_task_executed(
    account, two_nights, night, tmp_path
) -> None:
    result = two_nights[night]
    assert result["states"] == dict.fromkeys(TASKS, "success")
    (run_id,) = result["runs"]
    manifest = account.manifest(night)
    assert manifest.job_run_id == run_id, "the manifest must be the one this Glue run wrote"
    assert manifest.reconciliation.balanced
    if night == NIGHTS[0]:  # later nights also own the stragglers of the night before
        late = account.late_in_grace(night, tmp_path)
        expected = account.truths[night]["valid_unique"] + late
        assert manifest.counts.written == expected

    lake = {tuple(p.partition.split("/")) for p in manifest.lake_partitions}
    expected = {(e.split("=")[1], t.split("=")[1], night.isoformat()) for e, t in lake}
    seen = {tuple(values) for values in result["seen"]}
    assert expected <= seen, "when quality_checks started, events_audit lacked run D's partitions"
    assert account.run_partitions("events_audit", night) == expected
    assert account.run_partitions("events", night) == expected, "publish must expose run D"
    quarantined = {
        (night.isoformat(), p.partition.split("=")[1]) for p in manifest.quarantine_partitions
    }
    assert account.run_partitions("quarantine", night) == quarantined
    assert account.run_partitions("manifests", night) == {(night.isoformat(),)}


@pytest.mark.parametrize("night", NIGHTS)
def test_each_night_writes_its_day_report_to_the_reports_bucket(account, two_nights, night) -> None:
    """The real quality operator writes reports/days/D/index.html to S3, as a page."""
    uri = day_report_uri(account.settings["reports_uri"], night)
    bucket, key = split_s3(uri)
    head = account.s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentType"].startswith("text/html"), "a page opened from S3 must be HTML"
    html = storage.read_bytes(uri).decode()
    counts = account.manifest(night).counts
    assert f'data-figure="raw_records_in">{counts.raw_records_in}<' in html
    assert f'data-figure="written">{counts.written}<' in html
    for reason, n in counts.invalid_by_reason.items():
        assert f'data-reason="{reason}">{n}<' in html
    # the second night's trend reads the first night's manifest from the bucket
    history = 1 if night == NIGHTS[1] else 0
    assert f"The day against the {history} days before" in html


def test_after_two_nights_no_event_is_in_the_lake_twice(account, two_nights, tmp_path) -> None:
    lake = tmp_path / "lake"
    download_bucket(account.s3, account.buckets["lake"], lake)
    rows, unique = duckdb.execute(
        f"SELECT count(*), count(DISTINCT event_uuid) FROM read_parquet('{lake}/events/*/*/*/*.parquet')"
    ).fetchone()
    assert rows == unique
    assert rows == sum(account.manifest(n).counts.written for n in NIGHTS)


def test_each_type_table_in_glue_is_the_files_the_job_wrote_for_its_type(
    account, two_nights, tmp_path
) -> None:
    """publish made events_<type> from the plan, the job wrote the files: they must agree.

    Athena reads Parquet by column name, so each Glue column must be in every file of its
    type, with its type; the files' other columns (the rest of the type's write group) are
    not the table's."""
    lake = tmp_path / "lake"
    download_bucket(account.s3, account.buckets["lake"], lake)
    published = set().union(*(account.run_partitions("events", n) for n in NIGHTS))
    for spec in type_tables():
        described = account.glue.get_table(DatabaseName=account.database, Name=spec.name)
        columns = described["Table"]["StorageDescriptor"]["Columns"]
        files = sorted(lake.glob(f"events/*/event_type={spec.event_type}/*/*.parquet"))
        assert files, f"the nights wrote no {spec.event_type} events"
        for file in files:
            written = [(f.name, glue_type(f.type)) for f in pq.read_schema(file)]
            declared = [(c["Name"], c["Type"]) for c in columns]
            missing = [d for d in declared if d not in written]
            assert not missing, f"{file.relative_to(lake)} lacks {missing}"
        mine = set().union(*(account.run_partitions(spec.name, n) for n in NIGHTS))
        assert mine == {v for v in published if v[1] == spec.event_type}, spec.name


def test_a_retry_reattaches_to_the_run_still_in_progress(
    account, two_nights, monkeypatch, tmp_path
) -> None:
    """A run of the day is still going when the task (re)starts: it waits for that run."""
    from eventlake.orchestration import day_job

    day = REATTACH_DAY
    started = account.glue.start_job_run(
        JobName=account.job_name,
        Arguments=EventlakeSettings.from_mapping(account.settings).job.to_arguments(
            day.isoformat()
        ),
    )["JobRunId"]
    found = []
    original = day_job.find_active_run
    monkeypatch.setattr(
        day_job, "find_active_run", lambda *a: found.append(original(*a)) or found[-1]
    )
    # The stand-in finishes the run only after the task looked for it.
    with account.stand_in(RunPlan(wait_until=lambda: bool(found))) as glue:
        dag_run = run_night(account, monkeypatch, tmp_path, day)
    assert states(dag_run)["run_day_job"] == "success"
    assert found[0][0] == started
    assert glue.handled == [started], "a second Glue run was started for the day"
    assert account.manifest(day).job_run_id == started


def test_without_the_catalog_step_the_audit_fails_and_the_day_stays_unpublished(
    account, two_nights, monkeypatch, tmp_path
) -> None:
    """The audit reads the catalog, not the folders: skip registration and Soda sees no day."""
    monkeypatch.setattr(
        catalog_steps.RegisterPartitionsOperator, "execute", lambda self, context: {}
    )
    with account.stand_in():
        dag_run = run_night(account, monkeypatch, tmp_path, GATE_DAY)
    result = states(dag_run)
    assert result["run_day_job"] == "success"
    assert result["quality_checks"] == "failed", result
    assert result["publish"] == "upstream_failed"
    assert account.run_partitions("events", GATE_DAY) == set(), "a failed day reached events"
    uri = soda_report_uri(account.settings["reports_uri"], GATE_DAY, "scan.json")
    report = json.loads(storage.read_bytes(uri))
    failed = {c["name"] for c in report["checks"] if c["outcome"] == "failed"}
    assert {"the day has rows", "lake rows of the day's run match the manifest"} <= failed
    page = storage.read_bytes(day_report_uri(account.settings["reports_uri"], GATE_DAY)).decode()
    assert 'id="soda-outcome">failed<' in page, "a failed day's report must say so"


# --- Glue runs that do not succeed ---


def plant_stale_manifest(account: Account, day: date) -> str:
    """The manifest an earlier run of the day left behind: valid, balanced, not this run's."""
    earlier = Manifest(
        run_date=day, started_at="", finished_at="", window={}, config={},
        raw_objects=RawObjects(), counts=Counts(raw_records_in=1, written=1),
        late_events_by_partition={}, future_events_by_partition={},
        lake_partitions=[], quarantine_partitions=[],
        reconciliation=Reconciliation(1, 1, 1, 0, True),
        job_run_id="jr_an_earlier_run_of_the_day",
    )  # fmt: skip
    uri = manifest_uri(account.settings["reports_uri"], day)
    storage.write_bytes(uri, earlier.to_json().encode())
    return earlier.job_run_id


@pytest.mark.parametrize(("end_state", "deferrable"), FAILING_CASES)
def test_a_glue_run_that_does_not_succeed_fails_run_day_job(
    account, monkeypatch, tmp_path, capfd, end_state, deferrable
) -> None:
    """On the deferrable and the polling path; a stale manifest of the day must not be taken."""
    day = FAILING_DAYS[end_state, deferrable]
    plant_stale_manifest(account, day)
    plan = RunPlan(run_script=False, end_state=end_state, error_message=f"test: run {end_state}")
    with account.stand_in(plan) as glue:
        dag_run = run_night(account, monkeypatch, tmp_path, day, deferrable=deferrable, retries="0")
    result = states(dag_run)
    assert result["run_day_job"] == "failed", result
    assert result["register_partitions"] == "upstream_failed"
    (run_id,) = glue.handled
    printed = capfd.readouterr()
    assert f"Glue run {run_id}" in printed.out + printed.err
    assert f"ended {end_state}: test: run {end_state}" in printed.out + printed.err
    assert account.run_partitions("events_audit", day) == set()


def test_a_rerun_that_finds_only_a_stale_manifest_fails(
    account, monkeypatch, tmp_path, capfd
) -> None:
    day = STALE_DAY
    earlier = plant_stale_manifest(account, day)
    with account.stand_in(RunPlan(run_script=False)) as glue:  # SUCCEEDED, wrote nothing
        dag_run = run_night(account, monkeypatch, tmp_path, day, deferrable="false", retries="0")
    assert states(dag_run)["run_day_job"] == "failed"
    (run_id,) = glue.handled
    printed = capfd.readouterr()
    assert f"written by run {earlier!r}, not by {run_id!r}" in printed.out + printed.err
