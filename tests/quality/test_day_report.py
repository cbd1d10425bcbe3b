"""The day report from manifests on disk: the trend reads the 14 days before, examples are
escaped, a manifest older than `figures` still renders, and the page needs nothing online."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from eventlake.core import storage
from eventlake.core.layout import manifest_uri, soda_report_uri
from eventlake.core.manifest import (
    Counts,
    DayFigures,
    Manifest,
    ManifestMissing,
    PartitionEntry,
    RawObjectEntry,
    RawObjects,
    Reconciliation,
)
from eventlake.core.plan import VIOLATION_REASONS, tracking_plan
from eventlake.quality.day_report import TREND_DAYS, arrivals_by_hour, write_day_report
from eventlake.quality.soda_contract import rate_qualifier
from tests.platform.test_airflow_ui import CHROMIUM, CHROMIUM_ARGS

DAY = date(2026, 11, 24)
HOSTILE = '<script>alert("x")</script>'


def manifest_of(day: date, raw: int, figures: DayFigures | None = None) -> Manifest:
    written = raw - 3
    return Manifest(
        run_date=day, started_at="", finished_at="", window={}, config={},
        raw_objects=RawObjects(objects=[
            RawObjectEntry(f"k{h}", 1, f"{day}T{h:02d}:10:00+00:00", "owned", "firehose",
                           "object_name", records=raw // 2)
            for h in (3, 4)
        ]),
        counts=Counts(raw_records_in=raw, written=written, invalid=2, quarantined=3,
                      invalid_by_reason={"bad_uuid": 2}, synthetic_duplicates=1),
        late_events_by_partition={"event_date=2026-11-20/event_type=app": 4},
        future_events_by_partition={},
        lake_partitions=[PartitionEntry(f"event_date={day}/event_type=app", 1, 10, written)],
        quarantine_partitions=[],
        reconciliation=Reconciliation(raw, raw, written, 3, True),
        figures=figures or DayFigures(),
    )  # fmt: skip


def write_manifest(reports: str, manifest: Manifest) -> None:
    storage.write_bytes(manifest_uri(reports, manifest.run_date), manifest.to_json().encode())


@pytest.fixture
def reports(tmp_path: Path) -> str:
    return tmp_path.as_uri()


def test_the_page_shows_the_day_against_the_14_days_before(reports: str) -> None:
    for back in range(1, TREND_DAYS + 3):  # two more days than the trend reads
        write_manifest(reports, manifest_of(DAY - timedelta(days=back), raw=1000 + back))
    figures = DayFigures({f"{DAY}T03": 1500, "2026-11-20T09": 4}, {"bad_uuid": [HOSTILE]})
    write_manifest(reports, manifest_of(DAY, raw=3000, figures=figures))

    html = storage.read_bytes(write_day_report(reports, DAY)).decode()

    assert f"The day against the {TREND_DAYS} days before" in html
    median = sorted(1000 + back for back in range(1, TREND_DAYS + 1))
    expected_median = (median[6] + median[7]) / 2
    assert (
        f'<td>raw_records_in</td><td class="n">3000</td><td class="n">{expected_median}</td>'
        in html
    )
    assert 'data-figure="raw_records_in">3000<' in html
    assert 'data-reason="bad_uuid">2<' in html
    assert 'data-reason="synthetic_duplicate">1<' in html
    assert 'data-figure="created_off_chart">4<' in html, "rows created off the chart are counted"
    assert HOSTILE not in html, "a quarantined record must not become markup"
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert len(re.findall(r'<div class="figure" id="plot-[\w-]+"><svg', html)) == 6
    assert "<script" not in html.replace("&lt;script", "")


def test_a_manifest_older_than_figures_still_renders(reports: str) -> None:
    old = manifest_of(DAY, raw=10).to_dict()
    del old["figures"]
    storage.write_bytes(manifest_uri(reports, DAY), json.dumps(old).encode())
    html = storage.read_bytes(write_day_report(reports, DAY)).decode()
    assert "predates the per-hour created_at counts" in html
    assert "The day against the 0 days before" in html
    assert "The Soda scan wrote no report for this day." in html


def test_arrivals_are_counted_in_their_objects_hour() -> None:
    manifest = manifest_of(DAY, raw=10)
    assert arrivals_by_hour(manifest) == {f"{DAY}T03": 5, f"{DAY}T04": 5}
    assert arrivals_by_hour(replace(manifest, raw_objects=RawObjects())) == {}


def test_no_manifest_no_report(reports: str) -> None:
    with pytest.raises(ManifestMissing):
        write_day_report(reports, DAY)


def test_report_command_writes_the_page_and_says_where(tmp_path: Path, capsys) -> None:
    from eventlake.cli import main

    write_manifest(tmp_path.as_uri(), manifest_of(DAY, raw=10))
    assert main(["report", "--date", DAY.isoformat(), "--reports", str(tmp_path)]) == 0
    page = tmp_path / "days" / DAY.isoformat() / "index.html"
    assert capsys.readouterr().out.strip() == f"day report: {page.as_uri()}"
    assert 'data-figure="raw_records_in">10<' in page.read_text()
    assert main(["report", "--date", "2026-01-01", "--reports", str(tmp_path)]) == 2
    assert "no manifest for run_date 2026-01-01" in capsys.readouterr().err


def test_synthetic_duplicates_of_the_lake_are_shown_and_quarantined_as_one_reason(
    reports: str,
) -> None:
    day = manifest_of(DAY, raw=100)
    counts = replace(day.counts, synthetic_duplicates_in_lake=2, quarantined=5)
    write_manifest(reports, replace(day, counts=counts))

    html = storage.read_bytes(write_day_report(reports, DAY)).decode()

    assert 'data-figure="synthetic_duplicates_in_lake">2<' in html
    assert 'data-reason="synthetic_duplicate">3<' in html, "1 within the day + 2 of the lake"


def test_the_quality_per_type_table_in_chromium_shows_the_manifests_numbers(
    reports: str,
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make browser` (root + apt-get) to install it")
    sync_api = pytest.importorskip("playwright.sync_api")
    violations = {
        "payment:order:created": {"wrong_type": 3, "undeclared_field": 5},
        "payment:card:added": {"missing_field": 1, "wrong_type": 2},
        "search:query:submitted": {"wrong_type": 1},
        "page:view": {"unknown_event_name": 2},  # no planned type
    }
    partitions = [
        PartitionEntry(f"event_date={DAY}/event_type={t}", 1, 10, n)
        for t, n in (("payment", 100), ("search", 200), ("page", 50))
    ]
    manifest = replace(
        manifest_of(DAY, raw=353), lake_partitions=partitions, schema_violations=violations
    )
    write_manifest(reports, manifest)
    scan = {
        "outcome": "warned",
        "errors": [],
        "checks": [
            rate_check("payment", "warned", 4.0, violating=4, checked=100),
            rate_check("search", "passed", 0.5, violating=1, checked=200),
        ],
    }
    storage.write_bytes(soda_report_uri(reports, DAY, "scan.json"), json.dumps(scan).encode())

    page_uri = write_day_report(reports, DAY)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_uri)
            shown = dict(
                page.eval_on_selector_all(
                    "#type-quality tr[data-type]",
                    """rows => rows.map(r => [r.dataset.type, Object.fromEntries(
                        [...r.querySelectorAll('[data-col]')].map(c => [c.dataset.col, c.textContent]))])""",
                )
            )
        finally:
            browser.close()

    assert list(shown) == [*tracking_plan().type_names, "page"], "planned types, then others"
    for event_type, cells in shown.items():
        written = sum(p.rows for p in partitions if p.partition.endswith(f"={event_type}"))
        assert int(cells["written"]) == written, event_type
        for reason in VIOLATION_REASONS:
            entries = sum(
                by_reason.get(reason, 0)
                for name, by_reason in violations.items()
                if name.split(":")[0] == event_type
            )
            assert int(cells[reason]) == entries, (event_type, reason)
    assert (shown["payment"]["wrong_type"], shown["payment"]["missing_field"]) == ("5", "1")
    assert [shown["payment"][k] for k in ("checked", "violating", "rate", "outcome")] == [
        "100", "4", "4.00%", "warned"
    ]  # fmt: skip
    assert shown["search"]["outcome"] == "passed"
    assert shown["quiz"]["outcome"] == "–", "a type the scan did not check says so"
    assert (shown["page"]["unknown_event_name"], shown["page"]["outcome"]) == ("2", "–")


def rate_check(event_type: str, outcome: str, percent: float, violating: int, checked: int):
    """A violation-rate check as the scan's JSON report holds it."""
    return {
        "name": f"{event_type}: violation rate (warn above 1.0%)",
        "type": "failed_rows",
        "column": "schema_violations",
        "qualifier": rate_qualifier(event_type),
        "outcome": outcome,
        "value": percent,
        "fail_threshold": "level: warn\nmust be less than or equal: 1.0",
        "warn_threshold": None,
        "diagnostics": {"failed_rows_count": violating, "check_rows_tested": checked},
    }
