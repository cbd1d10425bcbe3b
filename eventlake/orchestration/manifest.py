"""Reading the day job's manifest and saying what it holds in a few log lines."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from eventlake import storage
from eventlake.layout import manifest_uri


class ManifestMissing(RuntimeError):
    """The day job finished but wrote no manifest: its output cannot be trusted."""


def read_manifest(reports_uri: str, run_date: date) -> dict[str, Any]:
    uri = manifest_uri(reports_uri, run_date)
    if not storage.exists(uri):
        raise ManifestMissing(f"no manifest for run_date {run_date.isoformat()} at {uri}")
    return json.loads(storage.read_bytes(uri))


def rows_written_for(manifest: dict[str, Any], event_date: date) -> int:
    """Rows run D wrote into the partitions of one event_date."""
    prefix = f"event_date={event_date.isoformat()}/"
    return sum(
        p["rows"] for p in manifest.get("lake_partitions", []) if p["partition"].startswith(prefix)
    )


def unaccounted_records(manifest: dict[str, Any]) -> int:
    """raw_records_in minus every outcome: 0 when the run reconciles (nothing lost or doubled)."""
    rec = manifest.get("reconciliation") or {}
    if "raw_records_in" not in rec or "accounted" not in rec:
        return -1
    return int(rec["raw_records_in"]) - int(rec["accounted"])


def unreadable_objects(manifest: dict[str, Any]) -> int:
    """Raw objects run D could not read and set aside in the quarantine (0 on a clean day)."""
    return len(manifest.get("unreadable_objects", []))


def quarantine_ratio(manifest: dict[str, Any]) -> float:
    counts = manifest.get("counts", {})
    records = counts.get("raw_records_in", 0)
    return counts.get("quarantined", 0) / records if records else 0.0


def summarize_manifest(manifest: dict[str, Any]) -> list[str]:
    """The lines an on-call engineer wants in the run_day_job log."""
    c = manifest.get("counts", {})
    rec = manifest.get("reconciliation", {})
    late = sum(manifest.get("late_events_by_partition", {}).values())
    reasons = ", ".join(f"{k}={v}" for k, v in sorted(c.get("invalid_by_reason", {}).items()))
    unreadable = [
        f"  UNREADABLE raw object {o['key']} ({o['reason']}), copied to {o['copied_to']}"
        for o in manifest.get("unreadable_objects", [])
    ]
    lines = [
        f"run_date {manifest.get('run_date')}: {c.get('raw_records_in', 0)} raw records in "
        f"({c.get('raw_records_owned', 0)} owned, {c.get('raw_records_peeked', 0)} from the grace)",
        f"  written to the lake: {c.get('written', 0)} (late events for earlier days: {late})",
        f"  duplicates dropped: natural {c.get('natural_duplicates', 0)}, already in lake "
        f"{c.get('duplicates_in_lake', 0)}; quarantined {c.get('quarantined', 0)} "
        f"(invalid {c.get('invalid', 0)}, synthetic duplicates {c.get('synthetic_duplicates', 0)})",
        f"  invalid by reason: {reasons or 'none'}",
        f"  deferred to the next run: {c.get('deferred', 0)}",
        f"  reconciled: {rec.get('balanced', False)} "
        f"({rec.get('raw_records_in', '?')} in = {rec.get('accounted', '?')} accounted)",
    ]
    return lines[:1] + unreadable + lines[1:]
