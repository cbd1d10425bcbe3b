"""Soda scan time on one day's lake partition against a bare DuckDB COUNT/GROUP BY of the same files.

The scan is the real one the DAG runs (`eventlake.quality.scan`, target local: Soda Core on
DuckDB over the Parquet lake). The baseline, measured in the same run on the same files, is
the least a quality check must do: one grouped pass counting rows, distinct uuids and the
created_at range per event type. The ratio is scan seconds / baseline seconds.

Full mode builds the day with the real day job (`eventlake run-day` on a generated 2M-event
day), so the partition has the job's files and manifest. Smoke mode writes a small lake with
pyarrow in the same layout and no manifest (the reconciliation checks then fail, as they
should; the scan still runs every check).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from figures import figure

from eventlake.core import contract as C
from eventlake.core.layout import lake_events_uri, local_path
from eventlake.tools.generator import DaySpec, FaultMix, iter_day_records

DAY = date(2026, 11, 2)


def write_small_lake(lake: Path, reports: Path, events: int) -> int:
    """Valid generator events as lake Parquet files (no Spark); returns rows for DAY."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    partitions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for arrival, raw in iter_day_records(DaySpec(day=DAY, events=events, faults=FaultMix.clean())):
        event = orjson.loads(raw)
        created = float(event["created_at"])
        event_type, subtype = C.split_event_name(event["event_name"])[:2]
        core = {k: event.pop(k) for k in ("event_uuid", "event_name", "created_at")}
        row = {
            **core,
            "created_at": created,
            "created_ts": datetime.fromtimestamp(created, UTC),
            "created_datetime": C.created_datetime(created),
            "event_subtype": subtype,
            "payload": orjson.dumps(event).decode(),
            "source_key": "events/2026/11/02/00/bench.gz",
            "arrival_ts": datetime.fromtimestamp(arrival, UTC),
        }
        event_date = datetime.fromtimestamp(created, UTC).date().isoformat()
        partitions[(event_date, event_type)].append(row)
    root = local_path(lake_events_uri(str(lake)))
    for (event_date, event_type), rows in partitions.items():
        folder = root / f"event_date={event_date}" / f"event_type={event_type}" / f"run_date={DAY}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")
    written = {f"event_date={d}/event_type={t}": len(r) for (d, t), r in partitions.items()}
    write_manifest(reports, written)
    return sum(len(r) for (d, _), r in partitions.items() if d == DAY.isoformat())


def write_manifest(reports: Path, written: dict[str, int]) -> None:
    """The manifest the day job would write for these partitions (what the catalog registers)."""
    from eventlake.core import storage
    from eventlake.core.layout import manifest_uri, normalize_uri
    from eventlake.core.manifest import Counts, Manifest, PartitionEntry, RawObjects, Reconciliation

    rows = sum(written.values())
    manifest = Manifest(
        run_date=DAY, started_at="", finished_at="", window={}, config={},
        raw_objects=RawObjects(), counts=Counts(raw_records_in=rows, written=rows),
        late_events_by_partition={}, future_events_by_partition={},
        lake_partitions=[PartitionEntry(name, 1, 0, n) for name, n in sorted(written.items())],
        quarantine_partitions=[], reconciliation=Reconciliation(rows, rows, rows, 0, True),
    )  # fmt: skip
    storage.write_bytes(manifest_uri(normalize_uri(str(reports)), DAY), manifest.to_json().encode())


def register(work: Path) -> str:
    """Register the day's partitions in a local catalog, as the DAG's register_partitions does."""
    from eventlake.core.layout import normalize_uri
    from eventlake.core.manifest import Manifest
    from eventlake.orchestration.duckdb_catalog import DuckDBCatalog

    uris = {name: normalize_uri(str(work / name)) for name in ("lake", "quarantine", "reports")}
    catalog = DuckDBCatalog(work / "catalog.duckdb", uris, uris["reports"])
    catalog.register(Manifest.read(uris["reports"], DAY))
    return str(catalog.path)


def build_with_day_job(work: Path, events: int) -> None:
    """The real path: generate a raw day, then `eventlake run-day` (local Spark)."""
    eventlake = [sys.executable, "-m", "eventlake"]
    raw = str(work / "raw")
    gen = [*eventlake, "generate", "--date", str(DAY), "--events", str(events), "--out", raw]
    subprocess.run([*gen, "--too-large-rate", "0"], check=True, capture_output=True)
    job = [*eventlake, "run-day", "--date", str(DAY), "--raw", raw, "--lake", str(work / "lake")]
    job += ["--quarantine", str(work / "quarantine"), "--reports", str(work / "reports")]
    done = subprocess.run(job, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"run-day failed: {done.stderr.strip().splitlines()[-3:]}")


def baseline_query(lake: Path) -> tuple[float, int]:
    """Seconds for one grouped DuckDB pass over DAY's files, and the rows it counted."""
    import duckdb

    pattern = str(local_path(lake_events_uri(str(lake))) / "*" / "*" / "*" / "*.parquet")
    con = duckdb.connect()
    started = time.perf_counter()
    rows = con.execute(
        "SELECT event_type, count(*) AS n, count(DISTINCT event_uuid), min(created_at), "
        "max(created_at), count(*) FILTER (WHERE event_uuid IS NULL) "
        f"FROM read_parquet('{pattern}', hive_partitioning = true) "
        f"WHERE event_date = DATE '{DAY}' GROUP BY event_type"
    ).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return seconds, sum(r[1] for r in rows)


def soda_scan(catalog: str, reports: Path) -> tuple[float, str]:
    """Seconds for one real scan (imports already warm), and its outcome line."""
    from eventlake.quality import scan

    argv = ["--target", "local", "--event_date", str(DAY)]
    argv += ["--catalog_path", catalog, "--reports_uri", str(reports)]
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = scan.main(argv)
    seconds = time.perf_counter() - started
    if code not in (0, 1):
        raise RuntimeError(f"scan exited {code}: {out.getvalue()[-500:]}")
    return seconds, out.getvalue().splitlines()[0] if out.getvalue() else ""


def run(smoke: bool) -> dict[str, Any]:
    from soda_core.contracts.api import verify_api  # noqa: F401  (warm the import once)

    events = 20_000 if smoke else 2_000_000
    repeats = 1 if smoke else 3
    work = Path(tempfile.mkdtemp(prefix="bench-soda-"))
    try:
        if smoke:
            write_small_lake(work / "lake", work / "reports", events)
        else:
            build_with_day_job(work, events)
        catalog = register(work)
        scans = [soda_scan(catalog, work / "reports") for _ in range(repeats)]
        bases = [baseline_query(work / "lake") for _ in range(repeats)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    scan_s, outcome = min(scans)
    base_s, rows = min(bases)
    return {
        "stage": "soda",
        "figures": [
            figure(
                f"Soda scan of event_date {DAY} ({rows:,} rows)",
                scan_s,
                "s",
                "DuckDB COUNT/GROUP BY, same files",
                base_s,
            )
        ],
        "notes": f"ratio = scan seconds / baseline seconds, best of {repeats}; lake built by "
        f"{'pyarrow (smoke, no manifest)' if smoke else 'eventlake run-day'} from {events:,} "
        f"generated events; scan outcome: {outcome}",
        "extra": {"rows": rows, "scan_seconds": scan_s, "baseline_seconds": base_s},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(smoke="--smoke" in sys.argv), indent=2))
