"""Tailing files for `eventlake produce --follow`: file identity, offsets, rotation, resume.

A file is known by its device and inode, checked with two fingerprints: the hash of its
first line and the hash of the line that ends at the committed offset. The inode follows a
renamed file; the hashes tell a file that was truncated (copytruncate) or whose inode was
reused from one that is still the same.

Rotation, as logrotate does it:
- rename and create: the old file keeps being read (it may still get writes) until it has
  been at its end for `close_after_s`; the new file at the path is read from its start.
  After a restart the old file is found again by its inode, in the same directory.
- copytruncate: the file shrinks (or no longer holds our last line). Lines we had not read
  yet are in the copy: a file in the same directory with the same first line that holds our
  last line at our offset. It is read from there, then the truncated file from its start.
  (Lines written between the copy and the truncate are lost by copytruncate itself.)

The tailer only reads; what counts as shipped is decided by whoever consumes `reads()`
(the shipper commits an offset once every line before it was acknowledged).
"""

from __future__ import annotations

import glob
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

import orjson

from eventlake.ingest.spool import fsync_dir

CHECKPOINT_VERSION = 1
LINE_LOOKBACK = 2 * 1024 * 1024  # longest line a fingerprint check reads back (Kinesis: 1 MiB)
LINES_PER_TURN = 1000  # lines read from one file before the next gets its turn


def file_key(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}"


def line_hash(raw: bytes) -> str:
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest()


def line_ending_at(fd: int, offset: int) -> bytes | None:
    """The raw line (with its newline) that ends at `offset`; b"" at 0; None if unknowable."""
    if offset <= 0:
        return b""
    start = max(0, offset - LINE_LOOKBACK)
    window = os.pread(fd, offset - start, start)
    if len(window) < offset - start:
        return None  # the file is shorter than the offset
    cut = window.rfind(b"\n", 0, len(window) - 1)
    if cut >= 0:
        return window[cut + 1 :]
    return window if start == 0 else None


def first_line(fd: int) -> bytes | None:
    """The file's first complete line (with its newline), or None while there is none."""
    window = os.pread(fd, LINE_LOOKBACK, 0)
    cut = window.find(b"\n")
    return window[: cut + 1] if cut >= 0 else None


# --- the checkpoint ---


@dataclass
class FileMark:
    """What the checkpoint knows of one file."""

    key: str  # device:inode
    path: str  # where it was last seen
    offset: int = 0  # every line before this byte was acknowledged (or durably spooled)
    head: str = ""  # hash of the first line, once known
    last_line: str = ""  # hash of the line that ends at offset ("" at 0)


@dataclass
class OffsetCheckpoint:
    """The shipper's checkpoint: a mark per file, written atomically and fsynced."""

    path: Path
    files: dict[str, FileMark] = field(default_factory=dict)
    # Records handed to PutRecords beyond the committed offsets when this was written: after
    # a crash, at most this many of the lines after the offsets are in the stream already.
    in_flight: int = 0

    @classmethod
    def load(cls, path: Path) -> OffsetCheckpoint:
        if not path.exists():
            return cls(path)
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ValueError(
                f"{path}: unreadable checkpoint ({exc}); move it aside to start over "
                "(the files are then sent again from their start)"
            ) from exc
        if not isinstance(data, dict) or data.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"{path}: not a version {CHECKPOINT_VERSION} shipper checkpoint")
        files = {m["key"]: FileMark(**m) for m in data.get("files", [])}
        return cls(path, files, int(data.get("in_flight", 0)))

    def save(self) -> None:
        data = {
            "version": CHECKPOINT_VERSION,
            "in_flight": self.in_flight,
            "files": [asdict(m) for m in self.files.values()],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as handle:
            handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)  # the rename itself must survive a power loss


# --- reading ---


class Read(NamedTuple):
    """A position the tailer reached: a line (data None if blank), or a mark (data None)."""

    key: str
    path: str
    head: str  # the file's first-line hash when this was read ("" while unknown)
    end: int  # offset just after the line
    raw: bytes  # the raw line with its ending (for a mark: the line that ends at `end`)
    data: bytes | None  # the record: the line without its ending; None if blank or a mark


@dataclass
class TailedFile:
    key: str
    path: str
    handle: BinaryIO
    offset: int  # bytes consumed, a partial line included
    head: str
    last_raw: bytes  # the last complete line consumed
    rotated: bool = False  # no longer at a watched path: closed once idle at its end
    partial: bytes = b""  # the start of a line still being written
    eof_since: float | None = None

    @property
    def line_end(self) -> int:
        return self.offset - len(self.partial)

    @property
    def fd(self) -> int:
        return self.handle.fileno()

    def mark(self) -> Read:
        return Read(self.key, self.path, self.head, self.line_end, self.last_raw, None)


def _open_for_tailing(path: str) -> BinaryIO | None:
    try:
        return open(path, "rb", buffering=1 << 16)  # closed by the tailer
    except OSError:
        return None


class Tailer:
    """Reads the files matching a path or glob, line by line, following rotation.

    `resume(marks)` reopens the checkpoint's files; `reads()` then yields every line and a
    mark whenever a file is opened or reset, so the checkpoint learns of every file.
    """

    def __init__(
        self,
        pattern: str,
        known: Callable[[str], FileMark | None],
        follow: bool = True,
        stop: threading.Event | None = None,
        poll_s: float = 0.05,
        scan_interval_s: float = 0.25,
        close_after_s: float = 1.0,
        until_idle_s: float | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self.pattern = pattern
        self.known = known  # the checkpoint's mark for a file key (a thread-safe lookup)
        self.follow = follow
        self.stop = stop or threading.Event()
        self.poll_s = poll_s
        self.scan_interval_s = scan_interval_s
        self.close_after_s = close_after_s
        self.until_idle_s = until_idle_s
        self.on_idle = on_idle
        self.open: list[TailedFile] = []
        # Files closed in this run (rotated away, read to the end): key -> where we stopped,
        # so a watched rotated name is not read again from the checkpoint's (older) offset.
        self.finished: dict[str, tuple[int, bytes, str]] = {}
        self.dropped: list[str] = []  # checkpoint keys with nothing left to read
        self.notes: list[str] = []  # what an operator should know (files gone, truncations)
        self.blank_lines = 0

    # ---- the loop ----

    def reads(self) -> Iterator[Read]:
        """Read until stopped; without follow, until every file is at its end."""
        yield from self._scan()
        last_scan = last_growth = time.monotonic()
        while not self.stop.is_set():
            got = False
            for tailed in list(self.open):
                for item in self._read_lines(tailed):
                    got = True
                    yield item
            now = time.monotonic()
            if got:
                last_growth = now
            if not got or now - last_scan >= self.scan_interval_s:
                yield from self._check(now)
                if self.follow:
                    yield from self._scan()
                last_scan = now
            if not got:
                if not self.follow and not self.open:
                    return
                if self.until_idle_s is not None and now - last_growth >= self.until_idle_s:
                    return
                if self.on_idle is not None:
                    self.on_idle()
                self.stop.wait(self.poll_s)

    def close(self) -> None:
        for tailed in self.open:
            tailed.handle.close()
        self.open.clear()

    def _read_lines(self, tailed: TailedFile) -> Iterator[Read]:
        readline = tailed.handle.readline
        for _ in range(LINES_PER_TURN):
            chunk = readline()
            if not chunk:
                tailed.eof_since = tailed.eof_since or time.monotonic()
                return
            tailed.eof_since = None
            tailed.offset += len(chunk)
            if chunk[-1:] != b"\n":
                tailed.partial += chunk  # the writer is mid-line: finish it later
                return
            raw = tailed.partial + chunk if tailed.partial else chunk
            tailed.partial = b""
            yield self._line(tailed, raw)

    def _line(self, tailed: TailedFile, raw: bytes) -> Read:
        if not tailed.head and tailed.offset == len(raw):
            tailed.head = line_hash(raw)
        tailed.last_raw = raw
        data = raw.rstrip(b"\r\n")
        if not data or (data[:1].isspace() and not data.strip()):
            self.blank_lines += 1
            data = None
        return Read(tailed.key, tailed.path, tailed.head, tailed.offset, raw, data)

    # ---- opening ----

    def _open(
        self, path: str, handle: BinaryIO, offset: int, head: str, rotated: bool, before: int = -1
    ) -> Read:
        """Start tailing at `offset`; returns a mark, so the checkpoint learns of the file."""
        key = file_key(os.fstat(handle.fileno()))
        handle.seek(offset)
        last_raw = line_ending_at(handle.fileno(), offset) or b""
        tailed = TailedFile(key, path, handle, offset, head, last_raw, rotated)
        self.open.insert(before if before >= 0 else len(self.open), tailed)
        return tailed.mark()

    def _watched(self) -> list[str]:
        if os.path.isfile(self.pattern):
            return [self.pattern]  # a literal name, even if it holds glob characters
        return sorted(p for p in glob.glob(self.pattern) if os.path.isfile(p))

    def resume(self, marks: list[FileMark]) -> list[Read]:
        """Reopen the checkpoint's files where it says (found by inode if renamed)."""
        watched = set(self._watched())
        opened: list[Read] = []
        for mark in marks:
            found = self._locate(mark)
            if found is None:
                self.notes.append(f"{mark.path}: gone; nothing more can be read from it")
                self.dropped.append(mark.key)
                continue
            path, handle = found
            if verified(handle.fileno(), mark):
                offset, head = mark.offset, mark.head
            else:  # truncated while we were away (copytruncate), or an inode reused
                opened += self._open_copy(
                    Path(path).parent, handle, mark.head, mark.offset, mark.last_line, before=-1
                )
                offset, head = 0, ""
            if path not in watched and offset >= os.fstat(handle.fileno()).st_size:
                handle.close()  # rotated away and read to its end: nothing left
                self.dropped.append(mark.key)
                continue
            opened.append(self._open(path, handle, offset, head, rotated=path not in watched))
        return opened

    def _locate(self, mark: FileMark) -> tuple[str, BinaryIO] | None:
        """The file with the mark's inode: at its path, or renamed in the same directory."""
        candidates = [mark.path]
        folder = Path(mark.path).parent
        if folder.is_dir():
            inode = int(mark.key.split(":")[1])
            with os.scandir(folder) as entries:
                candidates += [e.path for e in entries if e.inode() == inode]
        for path in candidates:
            handle = _open_for_tailing(path)
            if handle is None:
                continue
            if file_key(os.fstat(handle.fileno())) == mark.key:
                return path, handle
            handle.close()
        return None

    # ---- rotation, truncation, new files ----

    def _check(self, now: float) -> Iterator[Read]:
        for tailed in list(self.open):
            try:
                at_path = file_key(os.stat(tailed.path)) == tailed.key
            except OSError:
                at_path = False
            if not at_path and not tailed.rotated:
                tailed.rotated = True
                tailed.path = self._new_name(tailed) or tailed.path
                yield tailed.mark()  # the checkpoint follows the new name
            if self._truncated(tailed):
                self.notes.append(f"{tailed.path}: truncated after {tailed.line_end} bytes")
                yield from self._open_copy(
                    Path(tailed.path).parent,
                    tailed.handle,
                    tailed.head,
                    tailed.line_end,
                    line_hash(tailed.last_raw),
                    before=self.open.index(tailed),
                )
                tailed.handle.seek(0)
                tailed.offset, tailed.head, tailed.last_raw, tailed.partial = 0, "", b"", b""
                tailed.eof_since = None
                yield tailed.mark()  # the checkpoint now says: from the start
                continue
            idle_s = now - tailed.eof_since if tailed.eof_since is not None else -1.0
            done = not self.follow or (tailed.rotated and idle_s >= self.close_after_s)
            if done and tailed.eof_since is not None:
                if tailed.partial:  # nobody will finish this line: ship what there is
                    raw, tailed.partial = tailed.partial, b""
                    yield self._line(tailed, raw)
                tailed.handle.close()
                self.open.remove(tailed)
                self.finished[tailed.key] = (tailed.line_end, tailed.last_raw, tailed.head)

    def _new_name(self, tailed: TailedFile) -> str | None:
        """Where a renamed file went (same directory, same inode), for the checkpoint."""
        inode = os.fstat(tailed.fd).st_ino
        with os.scandir(Path(tailed.path).parent) as entries:
            return next((e.path for e in entries if e.inode() == inode), None)

    def _truncated(self, tailed: TailedFile) -> bool:
        """Smaller than what we read, or no longer holding our last line where we read it."""
        if os.fstat(tailed.fd).st_size < tailed.offset:
            return True
        n = len(tailed.last_raw)
        return bool(n) and os.pread(tailed.fd, n, tailed.line_end - n) != tailed.last_raw

    def _open_copy(
        self, folder: Path, handle: BinaryIO, head: str, offset: int, last_line: str, before: int
    ) -> list[Read]:
        """After a truncation: open the copy that holds the lines past `offset`, if one exists
        that we do not read already (same first line, our last line at our offset)."""
        if not head or offset <= 0:
            return []
        own = file_key(os.fstat(handle.fileno()))
        busy = {t.key for t in self.open}
        for path, st in _newest_first(folder):
            key = file_key(st)
            if key == own or st.st_size < offset:
                continue
            copy = _open_for_tailing(path)
            if copy is None:
                continue
            first = first_line(copy.fileno())
            line = line_ending_at(copy.fileno(), offset)
            if first is None or line is None or line_hash(first) != head:
                copy.close()
                continue
            if line_hash(line) != last_line:
                copy.close()
                continue
            if key in busy or self.known(key) is not None or key in self.finished:
                copy.close()
                return []  # the copy is read already (a watched name, or before a restart)
            return [self._open(path, copy, offset, head, rotated=True, before=before)]
        self.notes.append(
            f"{folder}: no copy holds the lines after offset {offset} of the truncated file; "
            "lines written after it and before the truncation (if any) were not read"
        )
        return []

    def _scan(self) -> Iterator[Read]:
        """Open watched files not tailed yet: new ones from 0, copies of a tailed file (a
        copytruncate into a watched name) where that file is, finished ones if they grew."""
        busy = {t.key for t in self.open}
        for path in self._watched():
            handle = _open_for_tailing(path)
            if handle is None:
                continue
            st = os.fstat(handle.fileno())
            key = file_key(st)
            if key in busy:
                handle.close()
                continue
            resumed = self._resume_point(key, handle.fileno())
            if resumed is not None:
                offset, head = resumed
                if st.st_size > offset:  # a file we finished, written to again
                    yield self._open(path, handle, offset, head, rotated=False)
                else:
                    handle.close()
                continue
            copy_of = self._copy_of(handle.fileno(), st)
            if copy_of == "wait":
                handle.close()  # maybe a copy still being written: look again next scan
            elif isinstance(copy_of, TailedFile):
                yield self._open(path, handle, copy_of.line_end, copy_of.head, rotated=True)
            else:
                yield self._open(path, handle, 0, "", rotated=False)

    def _resume_point(self, key: str, fd: int) -> tuple[int, str] | None:
        """Where to go on in a file this run closed, or the checkpoint knows and still holds."""
        if key in self.finished:
            offset, last_raw, head = self.finished[key]
            if line_ending_at(fd, offset) == last_raw:
                return offset, head
        mark = self.known(key)
        if mark is not None and verified(fd, mark):
            return mark.offset, mark.head
        return None

    def _copy_of(self, fd: int, st: os.stat_result) -> TailedFile | str | None:
        """The live file a new watched file copies (same first line, our last line at our
        offset); "wait" while such a copy is shorter than our offset and still growing."""
        first = first_line(fd)
        if first is None:
            return None
        head = line_hash(first)
        for tailed in self.open:
            if tailed.rotated or tailed.head != head:
                continue  # a renamed file has no copy: the new file at its path is new
            if st.st_size < tailed.line_end:
                return "wait" if time.time() - st.st_mtime < self.close_after_s else None
            if line_ending_at(fd, tailed.line_end) == tailed.last_raw:
                return tailed
        return None


def _newest_first(folder: Path) -> list[tuple[str, os.stat_result]]:
    """The regular files of a folder, most recently modified first (a vanished one skipped)."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if entry.is_file():
                    found.append((entry.path, entry.stat()))
            except OSError:
                continue
    return sorted(found, key=lambda item: -item[1].st_mtime)


def verified(fd: int, mark: FileMark) -> bool:
    """Does this file still hold what the mark says: its first line and the line at offset?"""
    if mark.offset == 0:
        return True
    first = first_line(fd)
    if mark.head and (first is None or line_hash(first) != mark.head):
        return False
    line = line_ending_at(fd, mark.offset)
    return line is not None and line_hash(line) == mark.last_line
