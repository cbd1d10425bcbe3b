"""The Soda contract is derived from eventlake.core.contract: change a rule there, it changes here."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from eventlake.core import contract as C
from eventlake.core import plan as P
from eventlake.quality.soda_contract import (
    VIOLATIONS,
    DayFacts,
    athena_source,
    build_contract,
    contract_yaml,
    duckdb_source,
    rate_qualifier,
)

DAY = date(2026, 11, 24)


def facts(cfg: C.ContractConfig = C.DEFAULT_CONFIG) -> DayFacts:
    return DayFacts(
        DAY, unaccounted_records=0, rows_written_for_day=10, quarantine_ratio=0.0, contract=cfg
    )


def column_checks(doc: dict, column: str) -> list[dict]:
    return next(c for c in doc["columns"] if c["name"] == column)["checks"]


def check_of(checks: list[dict], kind: str) -> dict:
    return next(c[kind] for c in checks if kind in c)


@pytest.mark.parametrize("spec", [s for s in C.REQUIRED_FIELDS if s.pattern], ids=lambda s: s.name)
def test_formats_and_lengths_come_from_the_event_contract(spec: C.FieldSpec) -> None:
    invalid = check_of(
        column_checks(build_contract(facts(), duckdb_source()), spec.name), "invalid"
    )
    assert invalid["valid_format"]["regex"] == f"^{spec.pattern}$"
    assert invalid["valid_max_length"] == spec.max_length


def test_every_required_and_derived_field_has_a_missing_check() -> None:
    doc = build_contract(facts(), duckdb_source())
    for name in (*C.REQUIRED_FIELD_NAMES, *C.DERIVED_FIELDS):
        assert any("missing" in c for c in column_checks(doc, name)), name


def test_time_rules_follow_the_contract_config() -> None:
    cfg = C.ContractConfig(max_future_skew_s=120, max_event_age_s=3 * 86400)
    checks = column_checks(build_contract(facts(cfg), duckdb_source()), "created_at")
    expressions = [c["failed_rows"]["expression"] for c in checks if "failed_rows" in c]
    # arrival_ts is the Firehose object's time: the future bound is widened like the job's
    widened = cfg.for_object_arrival().max_future_skew_s
    assert widened == 120 + C.FIREHOSE_MAX_BUFFER_S + 1
    assert f"created_at > epoch(arrival_ts) + {widened:g}" in expressions
    assert "created_at < epoch(arrival_ts) - 259200" in expressions


def test_athena_checks_the_audit_table_with_its_own_sql() -> None:
    """Soda reads run D's rows in events_audit, before publish adds them to events."""
    doc = build_contract(facts(), athena_source("eventlake"))
    assert doc["dataset"] == "eventlake_athena/AwsDataCatalog/eventlake/events_audit"
    sql = " ".join(c["metric"]["query"] for c in doc["checks"] if "metric" in c)
    assert '"eventlake"."events_audit"' in sql
    assert '"eventlake"."events" ' not in sql
    assert "to_unixtime(arrival_ts)" in str(doc)


@pytest.mark.parametrize(
    ("field", "pattern"), [("event_uuid", C.UUID_PATTERN), ("event_name", C.EVENT_NAME_PATTERN)]
)
def test_duckdb_reads_the_regexes_like_python_does(field: str, pattern: str) -> None:
    """The anchored regex means the same to DuckDB (RE2) as to Python's fullmatch."""
    samples = [
        "a3bb189e-8bf9-4888-9912-ace4e6543002", "A3BB189E-8BF9-4888-9912-ACE4E6543002",
        "a3bb189e-8bf9-4888-9912-ace4e6543002\n", "page:view", "page:view:home", "Page:view",
        "page", "page::view", "page:view:", "9page:view", "page_1:sub_2",
    ]  # fmt: skip
    con = duckdb.connect()
    for text in samples:
        in_duckdb = con.execute("SELECT regexp_matches(?, ?)", [text, f"^{pattern}$"]).fetchone()[0]
        assert in_duckdb == bool(re.fullmatch(pattern, text)), (field, text)


def test_the_contract_renders_as_yaml() -> None:
    text = contract_yaml(build_contract(facts(), duckdb_source()))
    assert text.startswith("dataset: eventlake_lake/main/events")
    assert "filter: event_date = '2026-11-24'" in text


# --- per-type quality: the checks of schema_violations come from the tracking plan ---


def violation_checks_of(doc: dict) -> dict[str, dict]:
    """The schema_violations column's checks by qualifier."""
    return {c["failed_rows"]["qualifier"]: c["failed_rows"] for c in column_checks(doc, VIOLATIONS)}


def test_every_planned_type_and_field_has_its_checks() -> None:
    plan = P.tracking_plan()
    checks = violation_checks_of(build_contract(facts(), duckdb_source()))
    for decl in plan.types:
        filter_ = f"event_type = '{decl.name}'"
        for f in decl.fields:
            wrong = checks[f"{decl.name}.{f.name}.wrong_type"]
            assert wrong["name"] == f"{decl.name}: {f.name} wrong_type"
            assert wrong["expression"] == f"contains(schema_violations, '{f.name}:wrong_type')"
            assert (wrong["filter"], wrong["threshold"]) == (
                filter_,
                {"must_be": 0, "level": "warn"},
            )
            missing = checks.get(f"{decl.name}.{f.name}.missing_field")
            assert (missing is not None) == f.required, (decl.name, f.name)
        rate = checks[rate_qualifier(decl.name)]
        assert rate["filter"] == filter_
        assert rate["threshold"] == {
            "metric": "percent",
            "must_be_less_than_or_equal": plan.violation_rate_warn * 100,
            "level": "warn",
        }
        assert "contains(schema_violations, 'event_name:unknown_event_name')" in rate["expression"]
    per_type = sum(1 + len(d.fields) + sum(f.required for f in d.fields) for d in plan.types)
    assert len(checks) == per_type + 1, "the per-type checks and one for unknown event names"


def test_a_new_required_field_and_a_new_threshold_change_the_checks() -> None:
    plan = P.tracking_plan()
    payment = plan.type("payment")
    assert payment is not None
    coupon = P.FieldDecl("coupon", "string", required=True)
    changed = replace(
        plan,
        types=tuple(
            replace(t, fields=(*t.fields, coupon)) if t is payment else t for t in plan.types
        ),
        violation_rate_warn=0.05,
    )
    checks = violation_checks_of(build_contract(replace(facts(), plan=changed), duckdb_source()))
    assert checks["payment.coupon.missing_field"]["expression"] == (
        "contains(schema_violations, 'coupon:missing_field')"
    )
    assert "payment.coupon.wrong_type" in checks
    rate = checks["payment.violation_rate"]
    assert "'coupon:missing_field'" in rate["expression"]
    assert rate["threshold"]["must_be_less_than_or_equal"] == 5.0
    assert rate["name"] == "payment: violation rate (warn above 5.0%)"
    assert "search.coupon.missing_field" not in checks


def test_the_per_type_checks_are_the_same_sql_on_both_engines() -> None:
    """contains(array, element) means the same in DuckDB and Trino (Athena): no per-engine SQL."""
    local = column_checks(build_contract(facts(), duckdb_source()), VIOLATIONS)
    athena = column_checks(build_contract(facts(), athena_source("eventlake")), VIOLATIONS)
    assert local == athena


def test_duckdb_counts_entries_not_text() -> None:
    """On the catalog's VARCHAR[] column, contains() matches a whole entry, not a substring."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (['x_amount:wrong_type']), (['amount:wrong_type']),"
        " ([]::VARCHAR[])) v(schema_violations)"
    )
    rate = violation_checks_of(build_contract(facts(), duckdb_source()))["payment.violation_rate"]
    hits = con.execute(f"SELECT count(*) FILTER (WHERE {rate['expression']}) FROM t").fetchone()
    assert hits == (1,)
