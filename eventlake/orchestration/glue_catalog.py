"""Run D's partitions in the Glue catalog: registered through the Glue API, never crawled.

The tables are declared by Terraform from the same JSON the job writes with, so nothing here
infers or changes a column. A step touches only run D's partitions (found with the
expression `run_date = 'D'`, which the tables' partition index on run_date serves), so its
time does not grow with the age of the lake. Every step is idempotent: a rerun adds what is
missing, updates what moved and removes what run D no longer writes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventlake.core.manifest import Manifest
from eventlake.core.tables import EVENTS, EVENTS_AUDIT, MANIFESTS, QUARANTINE, Table, table

CREATE_BATCH = 100  # BatchCreatePartition / BatchUpdatePartition take at most 100 entries
DELETE_BATCH = 25  # BatchDeletePartition takes at most 25


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    removed: int
    partitions: int  # run D's partitions in the table afterwards

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.partitions} partitions of the run "
            f"(added {self.added}, updated {self.updated}, removed {self.removed})"
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

    def publish(self, run_date: date) -> SyncResult:
        """After the audit: events gets exactly the partitions events_audit holds for run D."""
        audited = [
            dict(zip(table(EVENTS_AUDIT).partition_names, p["Values"], strict=True))
            for p in self.run_partitions(EVENTS_AUDIT, run_date)
        ]
        return self.sync(table(EVENTS), run_date, audited)

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
