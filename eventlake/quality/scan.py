"""Run the events contract on one event_date and write scan.json + scan.md to the reports.

    python -m eventlake.quality.scan --target local --event_date 2026-11-24 \
        --lake_uri .local/lake --reports_uri .local/reports

It runs in whatever interpreter has soda-core: the project venv locally, and on MWAA the
separate venv made by startup.sh (Soda 4.28 cannot share Airflow 3.3.1's pins). Exit code 0
means the day can be trusted (warnings allowed), 1 means failed checks, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from eventlake.core import contract as C
from eventlake.core import storage
from eventlake.core.layout import lake_events_uri, local_path, normalize_uri, soda_report_uri
from eventlake.core.manifest import Manifest, ManifestMissing
from eventlake.quality import report as R
from eventlake.quality.soda_contract import (
    DayFacts,
    SqlSource,
    athena_source,
    build_contract,
    contract_yaml,
    duckdb_source,
)
from eventlake.quality.thresholds import QualityThresholds

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REPORT_FILES = ("scan.json", "scan.md", "contract.yml")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m eventlake.quality.scan", description=__doc__.split("\n")[0]
    )
    p.add_argument("--target", choices=("local", "aws"), required=True)
    p.add_argument("--event_date", required=True, help="YYYY-MM-DD")
    p.add_argument("--lake_uri", required=True)
    p.add_argument("--reports_uri", required=True)
    p.add_argument("--glue_database", default="eventlake")
    p.add_argument("--athena_workgroup", default="primary")
    p.add_argument("--athena_output_uri", default="")
    p.add_argument("--region_name", default=os.environ.get("AWS_DEFAULT_REGION", ""))
    p.add_argument("--max_future_skew_s", type=float, default=C.DEFAULT_CONFIG.max_future_skew_s)
    p.add_argument(
        "--max_event_age_days", type=float, default=C.DEFAULT_CONFIG.max_event_age_s / 86400
    )
    QualityThresholds.add_arguments(p)
    return p


def day_facts(args: argparse.Namespace, event_date: date) -> tuple[DayFacts, str]:
    """Thresholds from the arguments, reconciliation inputs from run D's manifest."""
    note = ""
    try:
        manifest = Manifest.read(args.reports_uri, event_date)
        unaccounted = manifest.unaccounted_records
        written = manifest.rows_written_for(event_date)
        ratio = manifest.quarantine_ratio
        unreadable = len(manifest.unreadable_objects)
    except ManifestMissing as exc:
        note = f"{exc}: the reconciliation checks fail"
        unaccounted, written, ratio, unreadable = -1, -1, 0.0, 0
    facts = DayFacts(
        event_date=event_date,
        unaccounted_records=unaccounted,
        rows_written_for_day=written,
        quarantine_ratio=ratio,
        unreadable_objects=unreadable,
        contract=C.ContractConfig(args.max_future_skew_s, args.max_event_age_days * 86400.0),
        thresholds=QualityThresholds.from_mapping(vars(args)),
    )
    return facts, note


def lake_glob(lake_uri: str) -> str:
    return str(local_path(lake_events_uri(lake_uri)) / "*" / "*" / "*" / "*.parquet")


def open_local_lake(lake_uri: str) -> Any:
    """An in-memory DuckDB whose `events` view reads the Parquet lake (hive partitions)."""
    import duckdb

    con = duckdb.connect()
    pattern = lake_glob(lake_uri).replace("'", "''")
    if con.execute(f"SELECT count(*) FROM glob('{pattern}')").fetchone()[0]:
        con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet('{pattern}', "
            "hive_partitioning = true, union_by_name = true)"
        )
    else:  # an empty lake still gets a table, so the checks say "no rows" rather than crash
        con.execute(
            "CREATE TABLE events (event_uuid VARCHAR, event_name VARCHAR, created_at DOUBLE, "
            "created_datetime VARCHAR, event_type VARCHAR, event_subtype VARCHAR, payload VARCHAR, "
            "source_key VARCHAR, arrival_ts TIMESTAMPTZ, event_date DATE, run_date DATE)"
        )
    return con


def athena_data_source_yaml(args: argparse.Namespace, name: str) -> str:
    if not args.athena_output_uri:
        raise ValueError("--athena_output_uri is required on target aws")
    lines = [
        f"name: {name}",
        "type: athena",
        "connection:",
        f"  region_name: {args.region_name or 'us-east-1'}",
        f"  staging_dir: {args.athena_output_uri}",
        f"  work_group: {args.athena_workgroup}",
        "  catalog: AwsDataCatalog",
    ]
    return "\n".join(lines) + "\n"


def verify(args: argparse.Namespace, facts: DayFacts, workdir: Path) -> tuple[Any, SqlSource, str]:
    """Run Soda; returns (session result, source, contract YAML text)."""
    from soda_core.contracts.api.verify_api import verify_contract_locally

    if args.target == "local":
        from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

        source = duckdb_source()
        text = contract_yaml(build_contract(facts, source))
        (workdir / "contract.yml").write_text(text)
        data_source = DuckDBDataSourceImpl.from_existing_cursor(
            open_local_lake(args.lake_uri), name=source.dataset.split("/")[0]
        )
        result = verify_contract_locally(
            data_sources=[data_source],
            contract_file_path=str(workdir / "contract.yml"),
            data_timestamp=facts.data_timestamp,
        )
        return result, source, text
    source = athena_source(args.glue_database)
    text = contract_yaml(build_contract(facts, source))
    (workdir / "contract.yml").write_text(text)
    (workdir / "athena.yml").write_text(athena_data_source_yaml(args, source.dataset.split("/")[0]))
    result = verify_contract_locally(
        data_source_file_path=str(workdir / "athena.yml"),
        contract_file_path=str(workdir / "contract.yml"),
        data_timestamp=facts.data_timestamp,
    )
    return result, source, text


def write_reports(
    reports_uri: str, event_date: date, report: dict[str, Any], contract_text: str
) -> dict[str, str]:
    uris = {name: soda_report_uri(reports_uri, event_date, name) for name in REPORT_FILES}
    storage.write_bytes(uris["contract.yml"], contract_text.encode())
    storage.write_bytes(uris["scan.md"], R.render_markdown(report).encode())
    storage.write_bytes(
        uris["scan.json"], json.dumps(report, indent=2).encode()
    )  # last: the verdict
    return uris


def run_scan(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    event_date = date.fromisoformat(args.event_date)
    facts, note = day_facts(args, event_date)
    with tempfile.TemporaryDirectory(prefix="eventlake-soda-") as tmp:
        result, source, text = verify(args, facts, Path(tmp))
    meta = {
        "event_date": event_date.isoformat(),
        "target": args.target,
        "dataset": source.dataset,
        "data_timestamp": facts.data_timestamp,
        "facts": {
            **{
                k: v
                for k, v in asdict(facts).items()
                if k not in ("event_date", "contract", "thresholds")
            },
            **asdict(facts.thresholds),
            **({"note": note} if note else {}),
        },
    }
    report = R.build_report(result, meta)
    return report, write_reports(args.reports_uri, event_date, report, text)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ["SODA_CORE_TELEMETRY_ENABLED"] = "false"
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        date.fromisoformat(args.event_date)
        args.lake_uri = normalize_uri(args.lake_uri)
        args.reports_uri = normalize_uri(args.reports_uri)
        report, uris = run_scan(args)
    except ValueError as exc:
        print(f"eventlake.quality.scan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(R.summary_lines(report)))
    print(f"report: {uris['scan.md']}")
    print(f"json:   {uris['scan.json']}")
    return EXIT_FAILED if report["outcome"] == R.FAILED else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
