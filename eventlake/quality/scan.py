"""Run the events contract on one event_date and write scan.json + scan.md to the reports.

    python -m eventlake.quality.scan --target local --event_date 2026-11-24 \
        --reports_uri .local/reports --catalog_path .local/catalog.duckdb

It checks run D's rows where the catalog shows them before they are published: the
`events_audit` table (Athena on target aws, the DuckDB catalog file on target local).

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
from eventlake.core.layout import normalize_uri, soda_report_uri
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
    p.add_argument("--reports_uri", required=True)
    p.add_argument("--catalog_path", default="", help="target local: the DuckDB catalog file")
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


def open_local_catalog(catalog_path: str) -> Any:
    """The local catalog file, read-only: its events_audit view shows the registered partitions."""
    import duckdb

    if not catalog_path or not Path(catalog_path).is_file():
        raise ValueError(
            f"--catalog_path {catalog_path!r}: no catalog file (register_partitions makes it)"
        )
    return duckdb.connect(catalog_path, read_only=True)


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


def source_for(args: argparse.Namespace) -> SqlSource:
    return duckdb_source() if args.target == "local" else athena_source(args.glue_database)


def data_sources_for(args: argparse.Namespace, source: SqlSource, workdir: Path) -> dict[str, Any]:
    """The data source arguments of verify_contract_locally, per target."""
    name = source.dataset.split("/")[0]
    if args.target == "local":
        from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

        cursor = open_local_catalog(args.catalog_path)
        return {"data_sources": [DuckDBDataSourceImpl.from_existing_cursor(cursor, name=name)]}
    (workdir / "athena.yml").write_text(athena_data_source_yaml(args, name))
    return {"data_source_file_path": str(workdir / "athena.yml")}


def verify(
    args: argparse.Namespace, facts: DayFacts, workdir: Path, data_sources: dict[str, Any] | None
) -> tuple[Any, SqlSource, str]:
    """Run Soda; returns (session result, source, contract YAML text).

    `data_sources` replaces the target's own (the aws tests stand a DuckDB in for Athena).
    """
    from soda_core.contracts.api.verify_api import verify_contract_locally

    source = source_for(args)
    text = contract_yaml(build_contract(facts, source))
    (workdir / "contract.yml").write_text(text)
    result = verify_contract_locally(
        contract_file_path=str(workdir / "contract.yml"),
        data_timestamp=facts.data_timestamp,
        **(data_sources or data_sources_for(args, source, workdir)),
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


def run_scan(
    args: argparse.Namespace, data_sources: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    event_date = date.fromisoformat(args.event_date)
    facts, note = day_facts(args, event_date)
    with tempfile.TemporaryDirectory(prefix="eventlake-soda-") as tmp:
        result, source, text = verify(args, facts, Path(tmp), data_sources)
    meta = {
        "event_date": event_date.isoformat(),
        "target": args.target,
        "dataset": source.dataset,
        "data_timestamp": facts.data_timestamp,
        "facts": {
            **{
                k: v
                for k, v in asdict(facts).items()
                if k not in ("event_date", "contract", "thresholds", "plan")
            },
            **asdict(facts.thresholds),
            "violation_rate_warn": facts.plan.violation_rate_warn,
            **({"note": note} if note else {}),
        },
    }
    report = R.build_report(result, meta)
    return report, write_reports(args.reports_uri, event_date, report, text)


def main(argv: Sequence[str] | None = None, data_sources: dict[str, Any] | None = None) -> int:
    os.environ["SODA_CORE_TELEMETRY_ENABLED"] = "false"
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        date.fromisoformat(args.event_date)
        args.reports_uri = normalize_uri(args.reports_uri)
        report, uris = run_scan(args, data_sources)
    except ValueError as exc:
        print(f"eventlake.quality.scan: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(R.summary_lines(report)))
    print(f"report: {uris['scan.md']}")
    print(f"json:   {uris['scan.json']}")
    return EXIT_FAILED if report["outcome"] == R.FAILED else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
