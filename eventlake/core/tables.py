"""The tables analysts and Soda read, from `storage_layout.json`'s "tables" section.

One declaration serves every side: the day job writes exactly these columns (in this order,
with these types), Terraform creates the Glue catalog tables from the same JSON, and the
local DuckDB catalog declares its views with them. Types are Glue (Hive) types.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from eventlake.core.layout import join_uri, storage_layout

EVENTS = "events"
EVENTS_AUDIT = "events_audit"
QUARANTINE = "quarantine"
MANIFESTS = "manifests"
# Glue/Hive scalar types -> DuckDB types (the local catalog's twin of the Glue tables).
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    bucket: str  # which location holds it: lake, quarantine or reports
    root: str  # its prefix in that location
    format: str  # parquet or json
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def partition_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.partition_keys)

    def location(self, bucket_uri: str) -> str:
        return join_uri(bucket_uri, self.root)

    def partition_location(self, bucket_uri: str, values: dict[str, str]) -> str:
        """`{root}/k1=v1/k2=v2/` for partition values given by key."""
        path = "/".join(f"{key}={values[key]}" for key in self.partition_names)
        return join_uri(self.location(bucket_uri), path) + "/"


@cache
def tables() -> dict[str, Table]:
    declared = storage_layout()["tables"]
    result = {}
    for name, spec in declared.items():
        base = declared[spec["same_as"]] if "same_as" in spec else spec
        result[name] = Table(
            name=name,
            description=spec["description"],
            bucket=base["bucket"],
            root=base["root"],
            format=base["format"],
            columns=tuple(Column(**c) for c in base["columns"]),
            partition_keys=tuple(Column(**c) for c in base["partition_keys"]),
        )
    return result


def table(name: str) -> Table:
    return tables()[name]
