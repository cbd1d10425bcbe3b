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

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from eventlake.core import layout
from eventlake.core.errors import UsageError
from eventlake.core.layout import DEFAULT_STREAM as STREAM
from eventlake.orchestration import DAG_ID

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


def _step(title: str) -> None:
    print(f"\n\033[1m==> {title}\033[0m", flush=True)


def _run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 1800) -> None:

    result = subprocess.run(cmd, env=env, timeout=timeout, check=False)
    if result.returncode != 0:
        raise UsageError(f"step failed (exit {result.returncode}): {' '.join(cmd[:6])} ...")


def first_intended_arrival(day: date, events: int, seed: int) -> float:
    from eventlake.tools.generator import DaySpec, iter_day_records

    return next(iter(iter_day_records(DaySpec(day, events, seed))))[0]


def deliver_day(paths: DemoPaths, day: date, events: int, seed: int, speed: float) -> dict:
    """Producer -> moto Kinesis -> firehose-local, for one simulated day."""
    from eventlake.core.storage import write_bytes
    from eventlake.local.kinesis import ensure_stream, start_process
    from eventlake.tools.generator import DaySpec, day_truth, truth_uri

    _step("starting the local Kinesis endpoint (moto server)")
    kinesis = start_process()
    try:
        ensure_stream(kinesis.client(), STREAM, shards=2)
        print(f"stream {STREAM} at {kinesis.endpoint_url}")
        offset = first_intended_arrival(day, events, seed) - layout.day_start(day).timestamp()
        # Producer and firehose-local share the instant that maps to the first intended
        # arrival: a record sent late then maps late, never early (it cannot look "future").
        anchor = f"{time.time() + 5.0:.3f}"
        _step(f"producing {events:,} events for {day} ({speed:g}x real time)")
        _run(
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
            )
        )  # fmt: skip
        sent = _load_json(paths.work / "producer-summary.json").get("sent")
        if sent != events:
            raise UsageError(f"the producer sent {sent} of {events} events; see {paths.work}")
        # The stream keeps every record (24 h retention), so delivery can follow production:
        # each record's arrival comes from the producer's ledger (its intended arrival in the
        # simulated day), not from when it was sent or read.
        _step("firehose-local: transforming and delivering the stream to the raw folder")
        _run(
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
                "--buffer-seconds", "60",
                "--until-idle", "10",
                "--summary-json", str(paths.work / "firehose-summary.json"),
            )
        )  # fmt: skip
    finally:
        kinesis.stop()
    truth = day_truth(DaySpec(day, events, seed))
    write_bytes(truth_uri(str(paths.raw), day), json.dumps(truth, indent=2).encode())
    return truth


def run_dag(paths: DemoPaths, day: date, airflow_home: Path) -> None:
    """`airflow dags test` for the run that covers `day` (logical date = the next midnight)."""
    env = airflow_env(paths, airflow_home)
    airflow = str(Path(sys.executable).with_name("airflow"))
    _step("preparing the Airflow metadata database")
    _run([airflow, "db", "migrate"], env=env)
    logical = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    _step(f"running DAG {DAG_ID} for {day} (logical date {logical:%Y-%m-%dT%H:%M}Z)")
    _run([airflow, "dags", "test", DAG_ID, logical.isoformat()], env=env)


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def summary_rows(day: date, paths: DemoPaths, truth: dict) -> list[tuple[str, str, str]]:
    """(figure, pipeline, truth) rows: what the run measured next to what was planted."""
    from eventlake.core.manifest import Manifest

    counts = Manifest.read(layout.normalize_uri(str(paths.reports)), day).counts
    rows = [
        ("raw records read", counts.raw_records_in, truth["raw_records"]),
        ("valid, written to the lake", counts.written, truth["valid_unique"]),
        ("natural duplicates", counts.natural_duplicates, truth["natural_duplicates"]),
        ("synthetic duplicates", counts.synthetic_duplicates, truth["synthetic_duplicates"]),
        ("already in the lake", counts.duplicates_in_lake, 0),
        ("deferred to the next day", counts.deferred, truth["deferred"]),
    ]
    invalid = counts.invalid_by_reason
    for reason, expected in truth["invalid_by_reason"].items():
        rows.append((f"invalid: {reason}", invalid.get(reason, 0), expected))
    return [
        (name, f"{got:,}" if isinstance(got, int) else str(got), f"{want:,}")
        for name, got, want in rows
    ]


def print_summary(day: date, paths: DemoPaths, truth: dict, elapsed: float) -> bool:
    from rich.console import Console
    from rich.table import Table

    console = Console()
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
        f"manifest: {layout.local_path(layout.manifest_uri(str(paths.reports), day))}\n"
        f'DuckDB catalog: {paths.catalog}  (try: duckdb {paths.catalog} "select event_type, count(*) from events group by 1")\n'
        f"lake: {paths.lake}  quarantine: {paths.quarantine}\n"
        f"finished in {elapsed:.0f} s. `make airflow` opens the Airflow UI with this run."
    )
    if not all_match:
        console.print("[red]the pipeline's counts differ from the generator's truth[/]")
    return all_match
