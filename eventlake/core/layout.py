"""Where things live: Firehose's raw object keys, the lake, quarantine and report locations.

The prefixes come from `storage_layout.json`, which Terraform reads too, so the Firehose
configuration, `firehose-local`, the generator and the Glue job cannot disagree.
All locations are URIs: `s3://bucket/prefix` in AWS, `file:///abs/folder` (or a plain
folder path) locally.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

LAYOUT_FILE = Path(__file__).with_name("storage_layout.json")
# The stream (and delivery stream) name the local tools use; Terraform names it <prefix>-events.
DEFAULT_STREAM = "eventlake-events"


@cache
def storage_layout() -> dict[str, Any]:
    # Read as package data: in Glue the package is a zip on sys.path, not a folder.
    return json.loads(files(__package__).joinpath(LAYOUT_FILE.name).read_text())


def firehose_prefix() -> str:
    return storage_layout()["raw"]["firehose_prefix"]


def firehose_error_prefix() -> str:
    return storage_layout()["raw"]["firehose_error_prefix"]


# --- URIs ---


def normalize_uri(location: str) -> str:
    """`/tmp/x`, `./x` or `file:///tmp/x` -> `file:///tmp/x`; `s3://b/p` unchanged."""
    if location.startswith(("s3://", "s3a://")):
        return location.rstrip("/")
    if location.startswith("file://"):
        location = location[len("file://") :]
    return "file://" + str(Path(location).expanduser().resolve())


def join_uri(base: str, *parts: str) -> str:
    base = normalize_uri(base)
    tail = "/".join(p.strip("/") for p in parts if p)
    return f"{base}/{tail}" if tail else base


def local_path(uri: str) -> Path:
    """The filesystem path of a local URI."""
    uri = normalize_uri(uri)
    if not uri.startswith("file://"):
        raise ValueError(f"not a local location: {uri}")
    return Path(uri[len("file://") :])


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


def split_s3(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` -> ("bucket", "a/b")."""
    rest = uri.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key


# --- Firehose object keys ---

_JAVA_TOKENS = (
    ("yyyy", "%Y"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("mm", "%M"),
    ("ss", "%S"),
)
_EXPRESSION = re.compile(r"!\{([a-z]+):([^}]*)\}")


def render_prefix(expression: str, arrival: datetime, error_output_type: str = "") -> str:
    """Evaluate a Firehose custom prefix (`!{timestamp:...}`, `!{firehose:...}`) like Firehose."""

    def substitute(match: re.Match[str]) -> str:
        namespace, arg = match.groups()
        if namespace == "timestamp":
            fmt = arg
            for java, py in _JAVA_TOKENS:
                fmt = fmt.replace(java, py)
            return arrival.astimezone(UTC).strftime(fmt)
        if namespace == "firehose" and arg == "error-output-type":
            if not error_output_type:
                raise ValueError("error prefix needs an error_output_type")
            return error_output_type
        if namespace == "firehose" and arg == "random-string":
            return uuid.uuid4().hex[:11]
        raise ValueError(f"unsupported Firehose expression: {match.group(0)}")

    return _EXPRESSION.sub(substitute, expression)


def firehose_object_name(
    stream_name: str, arrival: datetime, version: int = 1, random_id: str | None = None
) -> str:
    """`{stream}-{version}-{yyyy-MM-dd-HH-mm-ss}-{uuid}.gz`: Firehose's object naming."""
    stamp = arrival.astimezone(UTC).strftime("%Y-%m-%d-%H-%M-%S")
    rid = random_id or str(uuid.uuid4())
    suffix = storage_layout()["raw"]["object_suffix"]
    return f"{stream_name}-{version}-{stamp}-{rid}{suffix}"


def raw_object_key(stream_name: str, arrival: datetime, random_id: str | None = None) -> str:
    return render_prefix(firehose_prefix(), arrival) + firehose_object_name(
        stream_name, arrival, random_id=random_id
    )


def error_object_key(
    stream_name: str, arrival: datetime, error_output_type: str, random_id: str | None = None
) -> str:
    return render_prefix(firehose_error_prefix(), arrival, error_output_type) + (
        firehose_object_name(stream_name, arrival, random_id=random_id)
    )


_OBJECT_TIME = re.compile(
    r"-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9A-Za-z-]+(?:\.\w+)?$"
)


def arrival_from_key(key: str) -> datetime | None:
    """The arrival time Firehose put in an object's name, or None if the name is foreign."""
    match = _OBJECT_TIME.search(key.rsplit("/", 1)[-1])
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) for g in match.groups())
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


# --- the run window ---


def day_start(run_date: date) -> datetime:
    return datetime(run_date.year, run_date.month, run_date.day, tzinfo=UTC)


def run_window(run_date: date, grace: timedelta) -> tuple[datetime, datetime, datetime]:
    """(start, owned_end, read_end): run D owns arrivals in [D, D+1) and peeks into the grace."""
    start = day_start(run_date)
    owned_end = start + timedelta(days=1)
    return start, owned_end, owned_end + grace


def window_closes(run_date: date, grace: timedelta, firehose_buffer: timedelta) -> datetime:
    """When the last object of run D's window can have landed: the grace, then one buffer."""
    return run_window(run_date, grace)[2] + firehose_buffer


def hour_prefixes(
    root_expression: str, start: datetime, end: datetime, error_type: str = ""
) -> list[str]:
    """Every hour prefix that can hold objects which arrived in [start, end)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    prefixes = []
    while hour < end:
        prefixes.append(render_prefix(root_expression, hour, error_type))
        hour += timedelta(hours=1)
    return prefixes


# --- lake, quarantine, reports ---

STAGING_ROOT = "_staging"  # hidden from readers: a leading underscore
# The lake's uuid index: uuid and payload hash of every lake row, for the dedupe's lookback.
UUID_INDEX_ROOT = "_uuid_index"


def lake_events_uri(lake: str) -> str:
    return join_uri(lake, storage_layout()["lake"]["events_root"])


def quarantine_events_uri(quarantine: str) -> str:
    return join_uri(quarantine, storage_layout()["quarantine"]["root"])


def run_dir_name(run_date: date) -> str:
    """`run_date=D`: the directory level that holds run D's files, and only run D's."""
    return f"run_date={run_date.isoformat()}"


def run_date_of(directory: str) -> date | None:
    """The run date of a `.../run_date=D` directory, or None for any other name."""
    name = directory.rstrip("/").rsplit("/", 1)[-1]
    if not name.startswith("run_date="):
        return None
    try:
        return date.fromisoformat(name.removeprefix("run_date="))
    except ValueError:
        return None


def manifest_uri(reports: str, run_date: date) -> str:
    root = storage_layout()["reports"]["manifests_root"]
    return join_uri(reports, root, run_dir_name(run_date), "manifest.json")


def soda_report_uri(reports: str, event_date: date, name: str) -> str:
    root = storage_layout()["reports"]["soda_root"]
    return join_uri(reports, root, f"event_date={event_date.isoformat()}", name)


def day_report_uri(reports: str, day: date) -> str:
    """The day report (one self-contained HTML page) of day D."""
    root = storage_layout()["reports"]["days_root"]
    return join_uri(reports, root, day.isoformat(), "index.html")


@dataclass(frozen=True)
class RunLocations:
    """Every location run D reads or writes, computed once from the job's URIs."""

    run_date: date
    raw: str
    lake_events: str  # {lake}/events: the table
    staging_root: str  # {lake}/_staging
    staging: str  # {lake}/_staging/run_date=D: run D's lake files before the publish
    uuid_index: str  # {lake}/_uuid_index: event_date=X/run_date=R/ per lake partition set
    staged_uuid_index: str  # {lake}/_staging/_uuid_index/run_date=D
    quarantine_events: str  # {quarantine}/events/run_date=D
    quarantine_objects: str  # {quarantine}/objects/run_date=D: unreadable raw objects
    manifest: str
    run_dir: str  # run_date=D

    @classmethod
    def of(
        cls, run_date: date, raw_uri: str, lake_uri: str, quarantine_uri: str, reports_uri: str
    ) -> RunLocations:
        run_dir = run_dir_name(run_date)
        staging_root = join_uri(lake_uri, STAGING_ROOT)
        objects_root = storage_layout()["quarantine"]["objects_root"]
        return cls(
            run_date=run_date,
            raw=normalize_uri(raw_uri),
            lake_events=lake_events_uri(lake_uri),
            staging_root=staging_root,
            staging=join_uri(staging_root, run_dir),
            uuid_index=join_uri(lake_uri, UUID_INDEX_ROOT),
            staged_uuid_index=join_uri(staging_root, UUID_INDEX_ROOT, run_dir),
            quarantine_events=join_uri(quarantine_events_uri(quarantine_uri), run_dir),
            quarantine_objects=join_uri(quarantine_uri, objects_root, run_dir),
            manifest=manifest_uri(reports_uri, run_date),
            run_dir=run_dir,
        )

    @property
    def lake_run_dirs(self) -> str:
        """A glob of run D's published directories: event_date=*/event_type=*/run_date=D."""
        return join_uri(self.lake_events, "event_date=*/event_type=*", self.run_dir)

    def lake_run_dir(self, partition: str) -> str:
        """`event_date=X/event_type=Y` -> its run_date=D directory in the lake."""
        return join_uri(self.lake_events, partition, self.run_dir)

    @property
    def uuid_index_run_dirs(self) -> str:
        """A glob of run D's published index directories: event_date=*/run_date=D."""
        return join_uri(self.uuid_index, "event_date=*", self.run_dir)

    def unreadable_copy(self, raw_key: str) -> str:
        """Where run D copies a raw object it cannot read, under the object's own raw key."""
        return join_uri(self.quarantine_objects, raw_key)
