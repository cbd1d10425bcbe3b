"""`eventlake demo`: the whole pipeline on this machine, with no AWS account and no Docker.

producer -> Kinesis (a moto server) -> firehose-local (the transform Lambda in-process) ->
raw folder -> the `events_daily` DAG on the local target (the Glue script on local Spark,
Soda on DuckDB, a DuckDB catalog) -> a summary checked against the generator's truth file.

A past day is simulated: the producer sends each generated event at its intended arrival
time on a clock `speed` times faster, and firehose-local maps arrival times back onto that
day, so the day's window (and the stragglers after midnight) look as they would in AWS.
Everything lives under .local/ and a rerun starts from a clean working folder; the Airflow
metadata database is kept, so `make airflow` shows every demo run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from eventlake.cli.console import PROGRESS_PREFIX
from eventlake.core import layout
from eventlake.core.errors import UsageError
from eventlake.core.layout import DEFAULT_STREAM as STREAM
from eventlake.dayjob import jvm
from eventlake.dayjob.entry import STAGE_LOG_PREFIX
from eventlake.dayjob.entry import STAGES as DAY_JOB_STAGES
from eventlake.local.stages import Running, Screen, Stage, StepFailed
from eventlake.orchestration import DAG_ID
from eventlake.orchestration.settings import EventlakeSettings

REPO = Path(__file__).resolve().parents[2]  # the checkout: local/ is never shipped
LOCAL = REPO / ".local"


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.duckdb"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def settings(self) -> dict[str, str]:
        """The [eventlake] Airflow settings of the local target on these folders."""
        return {
            "target": "local",
            "raw_uri": layout.normalize_uri(str(self.raw)),
            "lake_uri": layout.normalize_uri(str(self.lake)),
            "quarantine_uri": layout.normalize_uri(str(self.quarantine)),
            "reports_uri": layout.normalize_uri(str(self.reports)),
            "catalog_path": str(self.catalog),
            "local_job_script": str(REPO / "glue_jobs" / "events_daily.py"),
        }


def airflow_env(paths: DemoPaths, airflow_home: Path) -> dict[str, str]:
    """Environment for Airflow on the local target, shared by the demo and `make airflow`.

    Inherited AIRFLOW* settings are dropped: the demo's Airflow is self-contained (its own
    metadata database under .local/airflow), whatever the calling shell configured.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            **{f"AIRFLOW__EVENTLAKE__{k.upper()}": v for k, v in paths.settings().items()},
            "SODA_CORE_TELEMETRY_ENABLED": "false",
            "AWS_ACCESS_KEY_ID": env.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": env.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", "us-east-1"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    )
    return env


def eventlake_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "eventlake", *args]


# --- the environment, checked before anything starts ---

MIN_FREE_BYTES = 2 * 1024**3  # Spark's shuffle and the Airflow database, with room to spare
JAVA_MAJOR = 17


def java_major(java: str) -> int | None:
    """The major version `java -version` reports, or None if it cannot run."""
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if done.returncode != 0 or not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def demo_window_closes(day: date) -> datetime:
    """When the DAG's sensor lets run D start, with the settings the demo runs it with."""
    settings = EventlakeSettings()
    buffer = timedelta(minutes=settings.firehose_buffer_minutes)
    return layout.window_closes(day, settings.job.grace, buffer)


def latest_closed_day(now: datetime) -> date:
    """The latest day whose raw window has closed (just after midnight that is two days ago)."""
    day = (now - timedelta(days=1)).date()
    while demo_window_closes(day) > now:
        day -= timedelta(days=1)
    return day


def check_day(day: date, now: datetime) -> None:
    """A day whose window is still open would make the DAG's sensor wait for it, in real time."""
    closes = demo_window_closes(day)
    if closes > now:
        raise UsageError(
            f"the raw window of {day} closes at {closes:%Y-%m-%d %H:%M} UTC (grace and Firehose"
            f" buffer included), so its run would wait until then; use --date"
            f" {latest_closed_day(now)} or earlier"
        )


def check_environment(folders: list[Path], port: int = 0) -> None:
    """One clear UsageError for what would otherwise fail minutes later with a traceback."""
    java = jvm.jdk_tool("java")
    major = java_major(java) if java else None
    if major is None or major < JAVA_MAJOR:
        found = f"found Java {major} at {java}" if major else "no java on PATH or in JAVA_HOME"
        raise UsageError(
            f"Spark needs Java {JAVA_MAJOR} ({found}); install openjdk-17-jdk-headless"
        )
    if jvm.jdk_tool("javac") is None:
        raise UsageError(
            "the day job's jar is built with javac, which is not on PATH or in JAVA_HOME"
            " (a JRE has none); install openjdk-17-jdk-headless"
        )
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".eventlake-write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise UsageError(f"cannot write to {folder}: {exc.strerror or exc}") from exc
        free = shutil.disk_usage(folder).free
        if free < MIN_FREE_BYTES:
            raise UsageError(
                f"only {free / 1024**3:.1f} GB free under {folder}; the demo needs "
                f"{MIN_FREE_BYTES / 1024**3:.0f} GB"
            )
    if port:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                raise UsageError(f"port {port} is busy; pick another with --kinesis-port") from exc


def first_intended_arrival(day: date, events: int, seed: int) -> float:
    from eventlake.tools.generator import DaySpec, iter_day_records

    return next(iter(iter_day_records(DaySpec(day, events, seed))))[0]


def progress_of(line: str) -> dict[str, Any] | None:
    """The stats of an `eventlake-progress {json}` line, else None."""
    if not line.startswith(PROGRESS_PREFIX):
        return None
    try:
        return json.loads(line[len(PROGRESS_PREFIX) :])
    except ValueError:
        return None


def deliver_day(
    screen: Screen, paths: DemoPaths, day: date, events: int, seed: int, speed: float, port: int = 0
) -> dict:
    """Producer -> moto Kinesis -> firehose-local, for one simulated day."""
    from eventlake.core.storage import write_bytes
    from eventlake.local.kinesis import ensure_stream, start_process
    from eventlake.tools.generator import DaySpec, day_truth, truth_uri

    with screen.stage("kinesis (moto server)") as stage:
        kinesis = start_process(port=port)
        ensure_stream(kinesis.client(), STREAM, shards=2)
        stage.update(detail=f"stream {STREAM} at {kinesis.endpoint_url}")
    try:
        offset = first_intended_arrival(day, events, seed) - layout.day_start(day).timestamp()
        # Producer and firehose-local share the instant that maps to the first intended
        # arrival: a record sent late then maps late, never early (it cannot look "future").
        anchor = f"{time.time() + 5.0:.3f}"
        with screen.stage("produce") as stage:
            stage.update(completed=0, total=events, detail=f"{day}, {speed:g}x real time")

            def produced(line: str) -> None:
                if (stats := progress_of(line)) is not None:
                    stage.update(
                        completed=stats["sent"],
                        detail=f"{stats['sent']:,}/{events:,} sent  {stats['rate']:,.0f}/s",
                    )

            screen.run(
                "produce",
                eventlake_cmd(
                    "produce",
                    "--stream", STREAM,
                    "--endpoint-url", kinesis.endpoint_url,
                    "--date", day.isoformat(),
                    "--seed", str(seed),
                    "--total", str(events),
                    "--replay-speed", str(speed),
                    "--replay-start", anchor,
                    "--replay-ledger", str(paths.work / "replay-ledger.txt"),
                    "--spool", str(paths.work / "producer-spool.ndjson"),
                    # a busy machine should slow the replay down, not park records on disk
                    "--spool-after", "3600",
                    "--summary-json", str(paths.work / "producer-summary.json"),
                    "--quiet", "--progress",
                ),
                on_line=produced,
            )  # fmt: skip
            sent = _load_json(paths.work / "producer-summary.json").get("sent")
            if sent != events:
                raise UsageError(f"the producer sent {sent} of {events} events; see {paths.work}")
        # The stream keeps every record (24 h retention), so delivery can follow production:
        # each record's arrival comes from the producer's ledger (its intended arrival in the
        # simulated day), not from when it was sent or read.
        with screen.stage("firehose-local") as stage:
            stage.update(completed=0, total=events)

            def delivered(line: str) -> None:
                if (stats := progress_of(line)) is not None:
                    stage.update(
                        completed=stats["records_in"],
                        detail=f"{stats['delivered']:,}/{events:,} delivered  "
                        f"{stats['objects']:,} objects",
                    )

            screen.run(
                "firehose-local",
                eventlake_cmd(
                    "firehose-local",
                    "--stream", STREAM,
                    "--raw", str(paths.raw),
                    "--endpoint-url", kinesis.endpoint_url,
                    "--checkpoint", str(paths.work / "firehose-checkpoint.json"),
                    "--simulate-day", day.isoformat(),
                    "--simulate-speed", str(speed),
                    "--simulate-offset", f"{offset:.3f}",
                    "--simulate-anchor", anchor,
                    "--simulate-ledger", str(paths.work / "replay-ledger.txt"),
                    # the deployed stream's interval (infra: firehose_buffer_interval_s): a
                    # day of ~300 objects, not ~1,500 (Spark pays per file)
                    "--buffer-seconds", "300",
                    "--until-idle", "3",
                    "--summary-json", str(paths.work / "firehose-summary.json"),
                    "--quiet", "--progress",
                ),
                on_line=delivered,
            )  # fmt: skip
    finally:
        kinesis.stop()
    truth = day_truth(DaySpec(day, events, seed))
    write_bytes(truth_uri(str(paths.raw), day), json.dumps(truth, indent=2).encode())
    return truth


# Each task of the DAG gets a stage line, opened when `airflow dags test` starts the task.
TASK_STAGES = {
    "wait_for_raw_window": "wait for the raw window",
    "run_day_job": "day job (local Spark)",
    "register_partitions": "register partitions",
    "quality_checks": "Soda checks + day report",
    "publish": "publish to the catalog",
}


class DagRunStages:
    """Turns the lines of `airflow dags test` into stage lines and the day job's bar."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.current: str | None = None
        self._stage: contextlib.ExitStack | None = None
        self._bar: Stage | None = None
        self._day_job_stages = 0

    def on_line(self, line: str) -> None:
        task = self._task_started(line)
        if task is not None and task != self.current:
            self.close()
            self.current = task
            self._stage = contextlib.ExitStack()
            self._bar = self._stage.enter_context(self.screen.stage(TASK_STAGES[task]))
            if task == "run_day_job":
                self._bar.update(completed=0, total=len(DAY_JOB_STAGES))
        elif self._bar is not None and STAGE_LOG_PREFIX in line:
            name = line.split(STAGE_LOG_PREFIX, 1)[1].strip()
            self._day_job_stages += 1
            self._bar.update(completed=self._day_job_stages, detail=name)

    @staticmethod
    def _task_started(line: str) -> str | None:
        match = TASK_LINE.search(line)
        return match.group(1) if match and match.group(1) in TASK_STAGES else None

    def close(self, failed: bool = False) -> None:
        if self._stage is not None:
            if self.current == "run_day_job" and self._bar is not None and not failed:
                self._bar.update(detail=f"{self._day_job_stages} stages")
            stack, self._stage = self._stage, None
            if failed:
                stack.__exit__(StepFailed, StepFailed("dag run failed"), None)
            else:
                stack.close()


TASK_LINE = re.compile(r"\[DAG TEST\] starting task_id=(\w+)")


def airflow_exe() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def start_db_migration(screen: Screen, paths: DemoPaths, airflow_home: Path) -> Running:
    """`airflow db migrate` in the background: it needs no data, so it runs while events flow."""
    env = airflow_env(paths, airflow_home)
    return screen.start("airflow-db", [airflow_exe(), "db", "migrate"], env=env)


def run_dag(
    screen: Screen, paths: DemoPaths, day: date, airflow_home: Path, migration: Running
) -> None:
    """`airflow dags test` for the run that covers `day` (logical date = the next midnight)."""
    env = airflow_env(paths, airflow_home)
    airflow = airflow_exe()
    with screen.stage("Airflow metadata db") as stage:
        if (code := migration.wait()) != 0:
            raise StepFailed(f"airflow db migrate failed (exit {code}); see {screen.log_path}")
        stage.update(detail="migrated while the events flowed")
    logical = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    screen.say(f"  DAG {DAG_ID}, logical date {logical:%Y-%m-%dT%H:%M}Z (covers {day})")
    stages = DagRunStages(screen)
    try:
        screen.run(
            "dag", [airflow, "dags", "test", DAG_ID, logical.isoformat()], env=env,
            on_line=stages.on_line,
        )  # fmt: skip
    except BaseException:
        stages.close(failed=True)
        raise
    stages.close()


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def summary_rows(day: date, paths: DemoPaths, truth: dict) -> list[tuple[str, str, str]]:
    """(figure, pipeline, truth) rows: what the run measured next to what was planted."""
    from eventlake.core.manifest import Manifest, violations_by_reason

    manifest = Manifest.read(layout.normalize_uri(str(paths.reports)), day)
    counts = manifest.counts
    rows = [
        ("raw records read", counts.raw_records_in, truth["raw_records"]),
        ("valid, written to the lake", counts.written, truth["valid_unique"]),
        ("natural duplicates", counts.natural_duplicates, truth["natural_duplicates"]),
        ("synthetic duplicates", counts.synthetic_duplicates, truth["synthetic_duplicates"]),
        ("already in the lake", counts.duplicates_in_lake, 0),
        ("in the lake, another payload", counts.synthetic_duplicates_in_lake, 0),
        ("deferred to the next day", counts.deferred, truth["deferred"]),
    ]
    invalid = counts.invalid_by_reason
    for reason, expected in truth["invalid_by_reason"].items():
        rows.append((f"invalid: {reason}", invalid.get(reason, 0), expected))
    found = violations_by_reason(manifest.schema_violations)
    planted = violations_by_reason(truth["schema_violations"])
    for reason, expected in sorted(planted.items()):
        rows.append((f"tracking plan: {reason}", found.get(reason, 0), expected))
    return [
        (name, f"{got:,}" if isinstance(got, int) else str(got), f"{want:,}")
        for name, got, want in rows
    ]


def print_summary(day: date, paths: DemoPaths, truth: dict, elapsed: float) -> bool:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=True)  # long paths stay whole: people copy them
    rows = summary_rows(day, paths, truth)
    table = Table(title=f"eventlake demo: {day}", show_lines=False)
    table.add_column("figure")
    table.add_column("pipeline", justify="right")
    table.add_column("generator truth", justify="right")
    table.add_column("", justify="center")
    all_match = True
    for name, got, want in rows:
        ok = got == want
        all_match &= ok
        table.add_row(name, got, want, "[green]ok[/]" if ok else "[red]MISMATCH[/]")
    console.print(table)
    soda = _load_json(
        Path(layout.local_path(layout.soda_report_uri(str(paths.reports), day, "scan.json")))
    )
    partitions = sorted(
        p.relative_to(paths.lake / "events").as_posix()
        for p in (paths.lake / "events").glob("*/*/run_date=*")
    )
    console.print(
        f"partitions written: {len(partitions)} (event_date/event_type/run_date)\n"
        f"Soda: {soda.get('outcome', soda.get('result', 'no report'))}  "
        f"report: {layout.local_path(layout.soda_report_uri(str(paths.reports), day, 'scan.md'))}\n"
        f"day report: {layout.local_path(layout.day_report_uri(str(paths.reports), day))}\n"
        f"manifest: {layout.local_path(layout.manifest_uri(str(paths.reports), day))}\n"
        f'DuckDB catalog: {paths.catalog}  (try: duckdb {paths.catalog} "select event_type, count(*) from events group by 1")\n'
        f"lake: {paths.lake}  quarantine: {paths.quarantine}\n"
        f"finished in {elapsed:.0f} s. `make airflow` opens the Airflow UI with this run."
    )
    if not all_match:
        console.print("[red]the pipeline's counts differ from the generator's truth[/]")
    return all_match
