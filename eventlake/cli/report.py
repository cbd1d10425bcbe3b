"""`eventlake report`: write day D's report page on demand (what the quality task writes)."""

from __future__ import annotations

import argparse

from eventlake.cli.args import iso_day
from eventlake.core import layout
from eventlake.core.errors import UsageError


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="write the day report (reports/days/D/index.html) from the manifests and Soda scan",
        description="Write day D's report page from its manifest, its Soda scan and the "
        "manifests of the 14 days before, all read from --reports (a folder or s3://).",
    )
    p.add_argument("--date", type=iso_day, required=True, help="the run date D")
    p.add_argument("--reports", required=True, help="the reports location (folder or s3://)")
    p.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from eventlake.core.manifest import ManifestMissing
    from eventlake.quality.day_report import write_day_report

    try:
        uri = write_day_report(layout.normalize_uri(args.reports), args.date)
    except ManifestMissing as exc:
        raise UsageError(str(exc)) from exc
    print(f"day report: {uri}")
    return 0
