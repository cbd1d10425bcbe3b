"""Run D's partitions in the Glue catalog: registered through the Glue API, never crawled.

The tables of storage_layout.json are declared by Terraform from the same JSON the job writes
with, so nothing here infers or changes one of their columns. The per-type tables
(`events_<type>`) follow the tracking plan instead: publish creates each one, or updates its
definition when the plan changed, as a copy of the events table's definition with the type's
columns. A step touches only run D's partitions (found with the
expression `run_date = 'D'`, which the tables' partition index on run_date serves), so its
time does not grow with the age of the lake. Every step is idempotent: a rerun adds what is
missing, updates what moved and removes what run D no longer writes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from eventlake.core.manifest import Manifest
from eventlake.core.tables import (
    EVENTS,
    EVENTS_AUDIT,
    MANIFESTS,
    QUARANTINE,
    Column,
    Table,
    table,
    type_tables,
)

CREATE_BATCH = 100  # BatchCreatePartition / BatchUpdatePartition take at most 100 entries
DELETE_BATCH = 25  # BatchDeletePartition takes at most 25


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    removed: int
    partitions: int  # run D's partitions in the table afterwards
    definition: str = ""  # a per-type table's definition: created, updated or unchanged

    def line(self, name: str) -> str:
        table_change = f"; table {self.definition}" if self.definition else ""
        return (
            f"{name}: {self.partitions} partitions of the run "
            f"(added {self.added}, updated {self.updated}, removed {self.removed}{table_change})"
        )


class CatalogError(RuntimeError):
    """The Glue catalog refused a change; the message names the table and the partitions."""


def run_partition_values(manifest: Manifest) -> dict[str, list[dict[str, str]]]:
    """Partition values per table that run D's manifest says it wrote."""
    day = manifest.run_date.isoformat()

    def keyed(partition: str) -> dict[str, str]:
        return dict(level.split("=", 1) for level in partition.split("/"))

    return {
        EVENTS_AUDIT: [{**keyed(p.partition), "run_date": day} for p in manifest.lake_partitions],
        QUARANTINE: [
            {"run_date": day, **keyed(p.partition)} for p in manifest.quarantine_partitions
        ],
        MANIFESTS: [{"run_date": day}],
    }


def published_partition_values(audited: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Per table, what publish gives it of run D's audited partitions: events all of them,
    each events_<type> those of its type (a type without a table goes to events only)."""
    by_type = {
        spec.name: [v for v in audited if v["event_type"] == spec.event_type]
        for spec in type_tables()
    }
    return {EVENTS: audited, **by_type}


class GlueCatalog:
    """The aws target's catalog: Glue tables over the S3 buckets."""

    def __init__(self, glue: Any, database: str, bucket_uris: dict[str, str]) -> None:
        self.glue = glue
        self.database = database
        self.bucket_uris = bucket_uris  # lake, quarantine, reports -> s3://bucket[/prefix]

    # --- the two nightly steps ---

    def register(self, manifest: Manifest) -> dict[str, SyncResult]:
        """Before the audit: run D's partitions in events_audit, quarantine and manifests."""
        wanted = run_partition_values(manifest)
        return {
            name: self.sync(table(name), manifest.run_date, values)
            for name, values in wanted.items()
        }

    def publish(self, run_date: date) -> dict[str, SyncResult]:
        """After the audit: events gets exactly the partitions events_audit holds for run D,
        and each events_<type> those of its type, once its definition follows the plan."""
        definitions = self.follow_plan()
        audited = [
            dict(zip(table(EVENTS_AUDIT).partition_names, p["Values"], strict=True))
            for p in self.run_partitions(EVENTS_AUDIT, run_date)
        ]
        return {
            name: replace(
                self.sync(table(name), run_date, values), definition=definitions.get(name, "")
            )
            for name, values in published_partition_values(audited).items()
        }

    def follow_plan(self) -> dict[str, str]:
        """Create each per-type table, or update it where it differs from the plan: the events
        table's definition (format, SerDe, location, partition keys) with the type's name,
        description and columns. Returns table -> created, updated or unchanged."""
        events = self.glue.get_table(DatabaseName=self.database, Name=EVENTS)["Table"]
        done = {}
        for spec in type_tables():
            wanted = _table_input(events)
            wanted["Name"], wanted["Description"] = spec.name, spec.description
            wanted["StorageDescriptor"]["Columns"] = [_column(c) for c in spec.columns]
            try:
                have = self.glue.get_table(DatabaseName=self.database, Name=spec.name)["Table"]
            except self.glue.exceptions.EntityNotFoundException:
                self.glue.create_table(
                    DatabaseName=self.database,
                    TableInput=wanted,
                    # As Terraform gives the declared tables: run D's partitions by index.
                    PartitionIndexes=[{"IndexName": "by_run_date", "Keys": ["run_date"]}],
                )
                done[spec.name] = "created"
                continue
            if _table_input(have) == wanted:
                done[spec.name] = "unchanged"
            else:
                self.glue.update_table(DatabaseName=self.database, TableInput=wanted)
                done[spec.name] = "updated"
        return done

    # --- the mechanism ---

    def run_partitions(self, name: str, run_date: date) -> Iterator[dict[str, Any]]:
        paginator = self.glue.get_paginator("get_partitions")
        pages = paginator.paginate(
            DatabaseName=self.database,
            TableName=name,
            Expression=f"run_date = '{run_date.isoformat()}'",
        )
        for page in pages:
            yield from page["Partitions"]

    def sync(self, spec: Table, run_date: date, values: list[dict[str, str]]) -> SyncResult:
        """Make run D's partitions of `spec` exactly `values` (each a key -> value dict)."""
        template = self.glue.get_table(DatabaseName=self.database, Name=spec.name)["Table"]
        wanted = {
            tuple(v[k] for k in spec.partition_names): self._partition_input(spec, template, v)
            for v in values
        }
        existing = {tuple(p["Values"]): p for p in self.run_partitions(spec.name, run_date)}
        stale = [list(key) for key in existing if key not in wanted]
        new = [inp for key, inp in wanted.items() if key not in existing]
        moved = [
            {"PartitionValueList": list(key), "PartitionInput": inp}
            for key, inp in wanted.items()
            if key in existing and _differs(existing[key], inp)
        ]
        for chunk in _chunks(stale, DELETE_BATCH):
            response = self.glue.batch_delete_partition(
                DatabaseName=self.database,
                TableName=spec.name,
                PartitionsToDelete=[{"Values": v} for v in chunk],
            )
            _raise_on_errors(spec.name, "remove", response)
        for chunk in _chunks(new, CREATE_BATCH):
            response = self.glue.batch_create_partition(
                DatabaseName=self.database, TableName=spec.name, PartitionInputList=chunk
            )
            _raise_on_errors(spec.name, "add", response)
        for chunk in _chunks(moved, CREATE_BATCH):
            response = self.glue.batch_update_partition(
                DatabaseName=self.database, TableName=spec.name, Entries=chunk
            )
            _raise_on_errors(spec.name, "update", response)
        return SyncResult(len(new), len(moved), len(stale), len(wanted))

    def _partition_input(
        self, spec: Table, template: dict[str, Any], values: dict[str, str]
    ) -> dict[str, Any]:
        descriptor = copy.deepcopy(template["StorageDescriptor"])
        descriptor["Location"] = spec.partition_location(self.bucket_uris[spec.bucket], values)
        return {
            "Values": [values[k] for k in spec.partition_names],
            "StorageDescriptor": descriptor,
        }


TABLE_INPUT_KEYS = ("Name", "Description", "TableType", "Parameters", "PartitionKeys")


def _table_input(answer: dict[str, Any]) -> dict[str, Any]:
    """The part of a GetTable answer that a TableInput sets (GetTable adds times, ids...)."""
    kept = {k: answer[k] for k in (*TABLE_INPUT_KEYS, "StorageDescriptor") if k in answer}
    return copy.deepcopy(kept)


def _column(column: Column) -> dict[str, str]:
    """As GetTable answers it: no Comment when there is none (Glue keeps at most 255)."""
    comment = {"Comment": column.comment[:255]} if column.comment else {}
    return {"Name": column.name, "Type": column.type, **comment}


def _differs(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    have, want = existing.get("StorageDescriptor", {}), wanted["StorageDescriptor"]
    return have.get("Location") != want["Location"] or have.get("Columns") != want["Columns"]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _raise_on_errors(name: str, action: str, response: dict[str, Any]) -> None:
    errors = response.get("Errors") or []
    if errors:
        shown = "; ".join(
            f"{e.get('PartitionValues')}: {e.get('ErrorDetail', {}).get('ErrorMessage')}"
            for e in errors[:5]
        )
        raise CatalogError(f"could not {action} {len(errors)} partition(s) of {name}: {shown}")
