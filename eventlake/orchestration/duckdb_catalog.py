"""The local target's catalog: a DuckDB file that is the Glue catalog's twin.

    duckdb .local/catalog.duckdb "SELECT event_date, count(*) FROM events GROUP BY 1 ORDER BY 1"

It declares the same tables as the Glue catalog (`eventlake.core.tables`), with the same
column types, as views over the lake, the quarantine and the manifests; the per-type tables
`events_<type>` read the same files as `events` (their type's folders only). As in Glue, a view
shows only the partitions registered for it: the `partitions` table holds them, and the
nightly steps change only run D's rows there (register before the audit, publish after).
Every change is made on a copy that is then swapped in, so a reader never sees half of one.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from eventlake.core.layout import join_uri, local_path, storage_layout
from eventlake.core.manifest import Manifest
from eventlake.core.tables import EVENTS_AUDIT, MANIFESTS, Table, duckdb_type, table, tables
from eventlake.orchestration.glue_catalog import (
    SyncResult,
    published_partition_values,
    run_partition_values,
)

SCANS_VIEW = "soda_scans"
PARTITIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS partitions "
    "(table_name VARCHAR, run_date DATE, partition_values VARCHAR, location VARCHAR)"
)


def _q(text: str) -> str:
    return text.replace("'", "''")


class DuckDBCatalog:
    """The local target's catalog, in one DuckDB file."""

    def __init__(self, path: str | Path, bucket_uris: dict[str, str], reports_uri: str) -> None:
        self.path = Path(path)
        self.bucket_uris = bucket_uris  # lake, quarantine, reports -> file:// folders
        self.reports_uri = reports_uri

    # --- the two nightly steps ---

    def register(self, manifest: Manifest) -> dict[str, SyncResult]:
        """Before the audit: run D's partitions in events_audit, quarantine and manifests."""
        wanted = run_partition_values(manifest)
        with self._changing() as con:
            return {
                name: self._sync(con, table(name), manifest.run_date, values)
                for name, values in wanted.items()
            }

    def publish(self, run_date: date) -> dict[str, SyncResult]:
        """After the audit: events gets exactly the partitions events_audit holds for run D,
        and each events_<type> those of its type."""
        with self._changing() as con:
            rows = con.execute(
                "SELECT partition_values FROM partitions WHERE table_name = ? AND run_date = ?",
                [EVENTS_AUDIT, run_date],
            ).fetchall()
            wanted = published_partition_values([_values(text) for (text,) in rows])
            return {
                name: self._sync(con, table(name), run_date, values)
                for name, values in wanted.items()
            }

    def ensure_exists(self) -> None:
        """Create the file with its (empty) views if there is none yet."""
        if not self.path.exists():
            with self._changing():
                pass

    def counts(self) -> dict[str, int]:
        import duckdb

        with duckdb.connect(str(self.path), read_only=True) as con:
            names = [*tables(), SCANS_VIEW]
            return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}

    # --- the mechanism ---

    def _changing(self):
        return _SwappedCopy(self)

    def _sync(self, con, spec: Table, run_date: date, values: list[dict[str, str]]) -> SyncResult:
        before = {
            text
            for (text,) in con.execute(
                "SELECT partition_values FROM partitions WHERE table_name = ? AND run_date = ?",
                [spec.name, run_date],
            ).fetchall()
        }
        wanted = {
            _text(spec, v): spec.partition_location(self.bucket_uris[spec.bucket], v)
            for v in values
        }
        con.execute(
            "DELETE FROM partitions WHERE table_name = ? AND run_date = ?", [spec.name, run_date]
        )
        for text, location in wanted.items():
            con.execute(
                "INSERT INTO partitions VALUES (?, ?, ?, ?)", [spec.name, run_date, text, location]
            )
        added = len(set(wanted) - before)
        return SyncResult(added, 0, len(before - set(wanted)), len(wanted))

    def create_views(self, con) -> None:
        for spec in tables().values():
            con.execute(f"CREATE OR REPLACE VIEW {spec.name} AS {self._view_sql(con, spec)}")
        scans = local_path(join_uri(self.reports_uri, storage_layout()["reports"]["soda_root"]))
        glob = _q(str(scans / "*" / "scan.json"))
        has_scans = con.execute(f"SELECT count(*) FROM glob('{glob}')").fetchone()[0] > 0
        body = (
            f"SELECT * FROM read_json_auto('{glob}', union_by_name = true)"
            if has_scans
            else "SELECT NULL::VARCHAR AS event_date, NULL::VARCHAR AS outcome WHERE false"
        )
        con.execute(f"CREATE OR REPLACE VIEW {SCANS_VIEW} AS {body}")

    def _view_sql(self, con, spec: Table) -> str:
        """The declared columns and partition keys, over the registered partitions only."""
        root = local_path(spec.location(self.bucket_uris[spec.bucket]))
        # A per-type table reads only its type's folders of the events files.
        levels = [
            f"{k.name}={spec.event_type}" if k.name == "event_type" and spec.event_type else "*"
            for k in spec.partition_keys
        ]
        name = "*.parquet" if spec.format == "parquet" else "*.json"
        glob = _q(str(root.joinpath(*levels, name)))
        declared = [*spec.columns, *spec.partition_keys]
        if not con.execute(f"SELECT count(*) FROM glob('{glob}')").fetchone()[0]:
            empty = ", ".join(f"NULL::{duckdb_type(c.type)} AS {c.name}" for c in declared)
            return f"SELECT {empty} WHERE false"
        keys = ", ".join(f"'{k.name}': {duckdb_type(k.type)}" for k in spec.partition_keys)
        options = f"hive_partitioning = true, hive_types = {{{keys}}}, filename = true"
        if spec.format == "parquet":
            # By name: a column the older files lack (a field added to the plan) reads NULL.
            reader = f"read_parquet('{glob}', union_by_name = true, {options})"
        else:
            columns = ", ".join(f"'{c.name}': '{duckdb_type(c.type)}'" for c in spec.columns)
            reader = (
                f"read_json('{glob}', columns = {{{columns}}}, "
                f"maximum_object_size = 268435456, {options})"
            )
        in_files = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
        select = ", ".join(
            f"{c.name if c.name in in_files else 'NULL'}::{duckdb_type(c.type)} AS {c.name}"
            for c in declared
        )
        # A file is in a registered partition when its folder is that partition's location.
        return (
            f"SELECT {select} FROM {reader} "
            "WHERE 'file://' || regexp_replace(filename, '[^/]*$', '') IN "
            f"(SELECT location FROM partitions WHERE table_name = '{spec.name}')"
        )


def _text(spec: Table, values: dict[str, str]) -> str:
    return "/".join(f"{k}={values[k]}" for k in spec.partition_names)


def _values(text: str) -> dict[str, str]:
    return dict(level.split("=", 1) for level in text.split("/"))


class _SwappedCopy:
    """A connection to a copy of the catalog file, swapped in when the block succeeds."""

    def __init__(self, catalog: DuckDBCatalog) -> None:
        self.catalog = catalog
        self.tmp = catalog.path.with_name(f".{catalog.path.name}.tmp-{os.getpid()}")

    def __enter__(self):
        import duckdb

        self.catalog.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.unlink(missing_ok=True)
        if self.catalog.path.exists():
            shutil.copy(self.catalog.path, self.tmp)
        self.con = duckdb.connect(str(self.tmp))
        self.con.execute(PARTITIONS_DDL)
        return self.con

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self.catalog.create_views(self.con)
        finally:
            self.con.close()
        if kind is None:
            os.replace(self.tmp, self.catalog.path)
        else:
            self.tmp.unlink(missing_ok=True)


__all__ = ["MANIFESTS", "DuckDBCatalog"]
