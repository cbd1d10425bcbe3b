"""The tables analysts and Soda read, from `storage_layout.json`'s "tables" section.

One declaration serves every side: the day job writes exactly these columns (in this order,
with these types), Terraform creates the Glue catalog tables from the same JSON, and the
local DuckDB catalog declares its views with them. Types are Glue (Hive) types.

Each event type of the tracking plan adds a table `events_<type>` over the same files as
`events` (its event_type partitions only): the common columns, then the type's typed fields.

The day job writes the types of one `lake_file_groups` group in one pass, so their files share
one schema: the common columns, then every typed field of the group (null in another type's
files). Readers select by name, so each table sees only its own columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from eventlake.core.layout import join_uri, storage_layout
from eventlake.core.plan import EventTypeDecl, PlanError, tracking_plan

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
ARITY = {"array": 1, "map": 2}  # struct: one or more fields
_TOKEN = re.compile(r"[A-Za-z_]\w*|[<>,:]")


@dataclass(frozen=True)
class GlueType:
    """A parsed Glue type: a scalar, or array<T>, map<K,V>, struct<name:T,...>."""

    kind: str  # a scalar's name, or array, map, struct
    args: tuple[GlueType, ...] = ()  # array: (element,); map: (key, value); struct: fields
    names: tuple[str, ...] = ()  # struct: the fields' names


def parse_glue_type(text: str) -> GlueType:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != "".join(text.split()):
        raise ValueError(f"not a Glue type: {text!r}")
    try:
        parsed, end = _parse(tokens, 0)
        if end != len(tokens):
            raise ValueError(f"{tokens[end]!r} after the type")
    except (ValueError, IndexError) as error:
        why = error if isinstance(error, ValueError) else "it ends early"
        raise ValueError(f"not a Glue type: {text!r} ({why})") from None
    return parsed


def _parse(tokens: list[str], at: int) -> tuple[GlueType, int]:
    """The type starting at tokens[at], and the index after it."""
    kind = _word(tokens, at).lower()
    if kind not in (*ARITY, "struct"):
        return GlueType(kind), at + 1
    at = _expect(tokens, at + 1, "<")
    args, names = [], []
    while True:
        if kind == "struct":
            names.append(_word(tokens, at))
            at = _expect(tokens, at + 1, ":")
        arg, at = _parse(tokens, at)
        args.append(arg)
        if tokens[at] != ",":
            break
        at += 1
    at = _expect(tokens, at, ">")
    if len(args) != ARITY.get(kind, len(args)):
        raise ValueError(f"{kind} takes {ARITY[kind]} type(s), got {len(args)}")
    return GlueType(kind, tuple(args), tuple(names)), at


def _word(tokens: list[str], at: int) -> str:
    if tokens[at] in "<>,:":
        raise ValueError(f"a name expected, got {tokens[at]!r}")
    return tokens[at]


def _expect(tokens: list[str], at: int, token: str) -> int:
    if tokens[at] != token:
        raise ValueError(f"{token!r} expected, got {tokens[at]!r}")
    return at + 1


def duckdb_type(glue_type: str | GlueType) -> str:
    """The DuckDB type of a Glue type: array<T> is T[], struct is STRUCT, map is MAP."""
    t = parse_glue_type(glue_type) if isinstance(glue_type, str) else glue_type
    if t.kind == "array":
        return f"{duckdb_type(t.args[0])}[]"
    if t.kind == "map":
        return f"MAP({duckdb_type(t.args[0])}, {duckdb_type(t.args[1])})"
    if t.kind == "struct":
        fields = ", ".join(f'"{n}" {duckdb_type(a)}' for n, a in zip(t.names, t.args, strict=True))
        return f"STRUCT({fields})"
    if t.kind not in DUCKDB_TYPES:
        raise ValueError(f"Glue type {t.kind!r} has no DuckDB twin here")
    return DUCKDB_TYPES[t.kind]


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
        if decl.table_name in result:
            raise PlanError(f"type {decl.name!r}: its table {decl.table_name} is a declared table")
        result[decl.table_name] = type_table(result[EVENTS], decl)
    return result


def declared_columns(decl: EventTypeDecl) -> tuple[Column, ...]:
    return tuple(Column(f.name, f.glue_type, f.description) for f in decl.fields)


def type_table(events: Table, decl: EventTypeDecl) -> Table:
    """`events_<type>`: the events table's columns, then the type's declared fields, typed."""
    return Table(
        name=decl.table_name,
        description=f"Events of type {decl.name}, typed by the tracking plan: {decl.description}",
        bucket=events.bucket,
        root=events.root,
        format=events.format,
        columns=events.columns + declared_columns(decl),
        partition_keys=events.partition_keys,
        event_type=decl.name,
    )


@dataclass(frozen=True)
class FileGroup:
    """Event types written together, and the typed columns all of their files carry."""

    types: tuple[str, ...]
    typed: tuple[Column, ...]  # the union of their declared fields, in plan order


def lake_file_groups(decls: Iterable[EventTypeDecl]) -> list[FileGroup]:
    """The planned types in as few groups as their fields allow, in plan order.

    A type joins the first group in which every field name it shares has the same type; a
    name typed two ways (payment's `id` a number, user's a string) needs two groups.
    """
    groups: list[tuple[list[str], dict[str, Column]]] = []
    for decl in decls:
        mine = {c.name: c for c in declared_columns(decl)}
        for types, columns in groups:
            if all(columns[n].type == c.type for n, c in mine.items() if n in columns):
                types.append(decl.name)
                columns.update({n: c for n, c in mine.items() if n not in columns})
                break
        else:
            groups.append(([decl.name], dict(mine)))
    return [FileGroup(tuple(types), tuple(columns.values())) for types, columns in groups]


def type_tables() -> list[Table]:
    return [t for t in tables().values() if t.event_type is not None]


def table(name: str) -> Table:
    return tables()[name]
