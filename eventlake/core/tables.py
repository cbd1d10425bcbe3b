"""The tables analysts and Soda read, from `storage_layout.json`'s "tables" section.

One declaration serves every side: the day job writes exactly these columns (in this order,
with these types), Terraform creates the Glue catalog tables from the same JSON, and the
local DuckDB catalog declares its views with them. Types are Glue (Hive) types.

Each event type of the tracking plan adds a table `events_<type>` over the same files as
`events` (its event_type partitions only): the common columns, then the type's typed fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from eventlake.core.layout import join_uri, storage_layout
from eventlake.core.plan import EventTypeDecl, tracking_plan

EVENTS = "events"
EVENTS_AUDIT = "events_audit"
QUARANTINE = "quarantine"
MANIFESTS = "manifests"
# Glue/Hive types -> DuckDB types (the local catalog's twin of the Glue tables).
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "array<string>": "VARCHAR[]",  # schema_violations: a list, so contains() means an entry
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
    event_type: str | None = None  # a per-type table holds only this type's partitions

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
    for decl in tracking_plan().types:
        result[decl.table_name] = type_table(result[EVENTS], decl)
    return result


def type_table(events: Table, decl: EventTypeDecl) -> Table:
    """`events_<type>`: the events table's columns, then the type's declared fields, typed."""
    typed = tuple(Column(f.name, f.glue_type, f.description) for f in decl.fields)
    return Table(
        name=decl.table_name,
        description=f"Events of type {decl.name}, typed by the tracking plan: {decl.description}",
        bucket=events.bucket,
        root=events.root,
        format=events.format,
        columns=events.columns + typed,
        partition_keys=events.partition_keys,
        event_type=decl.name,
    )


def type_tables() -> list[Table]:
    return [t for t in tables().values() if t.event_type is not None]


def table(name: str) -> Table:
    return tables()[name]
