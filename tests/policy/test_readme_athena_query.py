"""The README's Athena query type-checks against the declared events table.

Athena cannot run here. DuckDB stands in, over a table with the declared column types: the
query must bind and answer, and each column it compares with a typed literal must have that
literal's type. (DuckDB would cast a VARCHAR event_date to compare it with a DATE; Athena
refuses, so the types are compared explicitly.)
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from eventlake.core.tables import EVENTS, duckdb_type, table

REPO = Path(__file__).resolve().parents[2]


def readme_athena_query() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("In AWS, with Athena") :]
    match = re.search(r"```sql\n(.+?)```", section, re.S)
    assert match, "the README shows no Athena query"
    return match.group(1).strip().rstrip(";")


def events_table(con, types: dict[str, str]) -> None:
    declared = table(EVENTS)
    columns = ", ".join(
        f"{c.name} {types[c.name]}" for c in (*declared.columns, *declared.partition_keys)
    )
    con.execute("CREATE SCHEMA eventlake")
    con.execute(f"CREATE TABLE eventlake.events ({columns})")


def declared_types() -> dict[str, str]:
    declared = table(EVENTS)
    return {c.name: duckdb_type(c.type) for c in (*declared.columns, *declared.partition_keys)}


def test_the_readme_query_runs_on_the_declared_types() -> None:
    con = duckdb.connect()
    events_table(con, declared_types())
    con.execute(
        "INSERT INTO eventlake.events (event_uuid, event_type, event_date, run_date) "
        "VALUES ('u1', 'payment', DATE '2026-11-24', DATE '2026-11-24'), "
        "('u2', 'payment', DATE '2026-11-25', DATE '2026-11-25')"
    )
    assert con.execute(readme_athena_query()).fetchall() == [("payment", 1)]


def test_the_columns_the_query_compares_have_the_literals_types() -> None:
    query = readme_athena_query()
    compared = re.findall(r"(\w+)\s*=\s*(DATE|TIMESTAMP)\s+'([^']+)'", query)
    assert compared, "the README's query compares no column with a typed literal"
    for column, kind, text in compared:
        literal_type = duckdb.execute(f"SELECT typeof({kind} '{text}')").fetchone()[0]
        declared = declared_types()[column]
        assert declared == literal_type, (
            f"{column} is {declared}, the query compares it with a {kind}"
        )
