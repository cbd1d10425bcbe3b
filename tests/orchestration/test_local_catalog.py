"""The local catalog file: views over lake, quarantine, manifests and scans, queryable by duckdb."""

from __future__ import annotations

from datetime import date

import duckdb

from eventlake.orchestration.duckdb_catalog import build_local_catalog
from tests.quality.conftest import DAY, TinyLake


def test_views_read_what_is_on_disk(tmp_path) -> None:
    lake = TinyLake(tmp_path)
    lake.good_day(n=30)
    lake.good_day(date(2026, 11, 23), n=12)
    catalog = tmp_path / "catalog.duckdb"
    counts = build_local_catalog(
        catalog, lake.lake_uri, str(tmp_path / "quarantine"), lake.reports_uri
    )
    assert counts == {"events": 42, "quarantine": 0, "manifests": 2, "soda_scans": 0}
    with duckdb.connect(str(catalog), read_only=True) as con:
        by_day = dict(con.execute("SELECT event_date, count(*) FROM events GROUP BY 1").fetchall())
    assert by_day == {DAY: 30, date(2026, 11, 23): 12}


def test_an_empty_lake_still_gives_queryable_views(tmp_path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    counts = build_local_catalog(
        catalog, str(tmp_path / "lake"), str(tmp_path / "q"), str(tmp_path / "r")
    )
    assert counts == {"events": 0, "quarantine": 0, "manifests": 0, "soda_scans": 0}
    with duckdb.connect(str(catalog), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM events WHERE event_date = ?", [DAY]
        ).fetchone() == (0,)
