"""The Soda scan on a tiny real Parquet lake (DuckDB): each planted fault names its check."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from eventlake.quality.report import summary_lines
from tests.quality.conftest import DAY, failed_names, lake_row, spread_over_day, warned_names


def test_a_clean_day_passes_and_writes_both_reports(tiny_lake, scan_day) -> None:
    tiny_lake.good_day()
    code, report = scan_day(tiny_lake)
    assert code == 0
    assert report["outcome"] == "passed", summary_lines(report)
    folder = Path(tiny_lake.reports_uri) / "soda" / f"event_date={DAY.isoformat()}"
    assert (folder / "scan.md").read_text().startswith(f"# Soda scan: events, event_date {DAY}")
    assert "event_uuid" in (folder / "contract.yml").read_text()


def test_duplicate_and_malformed_uuids_fail_by_name(tiny_lake, scan_day) -> None:
    rows = tiny_lake.good_day()
    twin = dict(rows[0])
    bad = lake_row(rows[1]["created_at"], event_uuid="not-a-uuid")
    tiny_lake.write([twin, bad], name="part-extra")
    code, report = scan_day(tiny_lake)
    assert code == 1
    failed = failed_names(report)
    assert "no duplicate event_uuid" in failed
    assert "event_uuid format (bad_uuid)" in failed
    assert "lake rows of the day's run match the manifest" in failed
    summary = "\n".join(summary_lines(report))
    assert "FAILED  no duplicate event_uuid [event_uuid]" in summary


def test_event_name_without_a_colon_fails(tiny_lake, scan_day) -> None:
    rows = tiny_lake.good_day()
    rows[-1]["event_name"] = "page-view"
    tiny_lake.write(rows)
    _, report = scan_day(tiny_lake)
    assert "event_name format (bad_event_name)" in failed_names(report)


def test_created_at_far_from_arrival_fails_the_time_rules(tiny_lake, scan_day) -> None:
    rows = tiny_lake.good_day()
    rows[0] = lake_row(
        rows[0]["created_at"], arrival_delay_s=-3600
    )  # created an hour after arrival
    rows[1] = lake_row(rows[1]["created_at"], arrival_delay_s=8 * 86400)  # arrived 8 days later
    tiny_lake.write(rows)
    _, report = scan_day(tiny_lake)
    failed = failed_names(report)
    assert "created_at not in the future (vs arrival)" in failed
    assert "created_at not absurdly old (vs arrival)" in failed


def test_quarantine_ratio_warns_then_fails(tiny_lake, scan_day) -> None:
    tiny_lake.good_day(n=200)
    tiny_lake.manifest(DAY, 200, quarantined=4)  # 4 / 204 = 2 %: above warn (1 %), below fail (5 %)
    code, report = scan_day(tiny_lake)
    assert code == 0, "a warning must not fail the day"
    assert report["outcome"] == "warned"
    assert any(n.startswith("quarantine ratio") for n in warned_names(report))
    tiny_lake.manifest(DAY, 200, quarantined=20)  # 9 %
    code, report = scan_day(tiny_lake)
    assert code == 1
    assert any(n.startswith("quarantine ratio") for n in failed_names(report))


def test_a_manifest_that_does_not_reconcile_fails(tiny_lake, scan_day) -> None:
    tiny_lake.good_day(n=50)
    tiny_lake.manifest(DAY, 50, raw_in=60, accounted=59)
    _, report = scan_day(tiny_lake)
    assert "manifest reconciles (records in = records accounted)" in failed_names(report)


def test_an_unreadable_raw_object_fails_the_day(tiny_lake, scan_day) -> None:
    tiny_lake.good_day(n=50)
    readable = "every raw object of the day could be read (unreadable ones are quarantined)"
    _, report = scan_day(tiny_lake)
    assert readable not in failed_names(report)
    tiny_lake.manifest(DAY, 50, unreadable_keys=("events/2026/11/24/03/cut.gz",))
    code, report = scan_day(tiny_lake)
    assert code == 1
    assert readable in failed_names(report)


def test_a_missing_manifest_fails_rather_than_passes(tiny_lake, scan_day) -> None:
    rows = [lake_row(t) for t in spread_over_day(DAY, 20)]
    tiny_lake.write(rows)
    code, report = scan_day(tiny_lake)
    assert code == 1
    assert "manifest reconciles (records in = records accounted)" in failed_names(report)
    assert "no manifest" in report["facts"]["note"]


def test_a_volume_drop_against_trailing_days_only_warns(tiny_lake, scan_day) -> None:
    for back in range(1, 4):
        tiny_lake.good_day(DAY - timedelta(days=back), n=100)
    tiny_lake.good_day(DAY, n=20)
    code, report = scan_day(tiny_lake)
    assert code == 0
    volume = next(c for c in report["checks"] if c["qualifier"] == "volume_band")
    assert volume["outcome"] == "warned"
    assert volume["value"] == 0.2


def test_a_day_that_stops_early_fails_freshness(tiny_lake, scan_day) -> None:
    rows = [lake_row(t) for t in spread_over_day(DAY, 40) if t % 86400 < 18 * 3600]  # ends ~18:00
    tiny_lake.write(rows)
    tiny_lake.manifest(DAY, len(rows))
    _, report = scan_day(tiny_lake)
    assert "the day's data reaches the end of the day" in failed_names(report)


def test_an_empty_lake_fails_with_no_rows(tiny_lake, scan_day) -> None:
    tiny_lake.manifest(DAY, 0)
    code, report = scan_day(tiny_lake)
    assert code == 1
    assert "the day has rows" in failed_names(report)


def test_bad_arguments_are_a_usage_error(tiny_lake) -> None:
    from eventlake.quality import scan

    code = scan.main(["--target", "aws", "--event_date", "2026-11-24",
                      "--reports_uri", "/tmp/x-reports"])  # fmt: skip
    assert code == scan.EXIT_USAGE


def test_a_type_above_its_violation_rate_warns_and_one_below_passes(tiny_lake, scan_day) -> None:
    """payment: 4 of 100 rows break the plan (4 % > 1 %); search: 1 of 200 (0.5 %)."""
    payment = [lake_row(t, "payment:order:created") for t in spread_over_day(DAY, 100)]
    for row in payment[:3]:
        row["schema_violations"] = ["amount:wrong_type", "x_promo:undeclared_field"]
    payment[3]["schema_violations"] = ["user_id:missing_field"]
    for row in payment[4:9]:
        row["schema_violations"] = ["x_promo:undeclared_field"]  # for information only
    search = [lake_row(t, "search:query:submitted") for t in spread_over_day(DAY, 200)]
    search[0]["schema_violations"] = ["query:wrong_type"]
    page = [lake_row(t) for t in spread_over_day(DAY, 50)]  # page is no planned type
    page[0]["schema_violations"] = ["event_name:unknown_event_name"]
    for rows in (payment, search, page):
        tiny_lake.write(rows)
    tiny_lake.manifest(DAY, 350, rows_by_type={"payment": 100, "search": 200, "page": 50})

    code, report = scan_day(tiny_lake)

    assert code == 0, "a violation rate only warns"
    assert report["outcome"] == "warned"
    checks = {c["qualifier"]: c for c in report["checks"] if c["column"] == "schema_violations"}
    rate = checks["payment.violation_rate"]
    assert (rate["outcome"], rate["value"]) == ("warned", 4.0)
    assert rate["diagnostics"]["failed_rows_count"] == 4
    assert rate["diagnostics"]["check_rows_tested"] == 100
    assert checks["search.violation_rate"]["outcome"] == "passed"
    assert checks["search.violation_rate"]["value"] == 0.5
    warned = {q: c["value"] for q, c in checks.items() if c["outcome"] == "warned"}
    assert warned == {
        "payment.violation_rate": 4.0,
        "payment.amount.wrong_type": 3,
        "payment.user_id.missing_field": 1,
        "search.query.wrong_type": 1,
        "unknown_event_name": 1,
    }
    assert "payment: amount wrong_type" in warned_names(report)
    assert not failed_names(report)
