"""The Soda contract is derived from eventlake.core.contract: change a rule there, it changes here."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from eventlake.core import contract as C
from eventlake.quality.soda_contract import (
    DayFacts,
    athena_source,
    build_contract,
    contract_yaml,
    duckdb_source,
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
