"""File operations through Hadoop's FileSystem API, so the job works on file:// and s3:// alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FileEntry:
    """One listed file.

    `path` is Hadoop's form (what Spark readers accept), `input_name` the URL-encoded form
    that `input_file_name()` returns for it, `relative` the path below the listed folder.
    """

    path: str
    input_name: str
    relative: str
    size: int


class HadoopFS:
    """A thin wrapper over `org.apache.hadoop.fs.FileSystem`, reached through the Spark JVM.

    On S3 a directory rename is a copy plus a delete; the publish protocol tolerates that
    because a rerun repeats every step from the start.
    """

    def __init__(self, spark: Any) -> None:
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, uri: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def _fs(self, path: Any) -> Any:
        return path.getFileSystem(self._conf)

    def exists(self, uri: str) -> bool:
        path = self._path(uri)
        return bool(self._fs(path).exists(path))

    def list_files(self, uri: str) -> list[FileEntry]:
        """Every file below `uri` (recursively); hidden (`.`/`_`) names are skipped."""
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        root = fs.makeQualified(path).toString()
        entries = []
        iterator = fs.listFiles(path, True)
        while iterator.hasNext():
            status = iterator.next()
            file_path = status.getPath()
            relative = file_path.toString()[len(root) :].lstrip("/")
            if _hidden(relative):
                continue
            entry = FileEntry(
                file_path.toString(), file_path.toUri().toString(), relative, int(status.getLen())
            )
            entries.append(entry)
        return sorted(entries, key=lambda e: e.relative)

    def glob_dirs(self, pattern: str) -> list[str]:
        """Directories matching a glob pattern, e.g. `.../event_date=*/event_type=*/run_date=X`."""
        path = self._path(pattern)
        statuses = self._fs(path).globStatus(path)
        if statuses is None:
            return []
        return sorted(s.getPath().toString() for s in statuses if s.isDirectory())

    def list_dirs(self, uri: str) -> list[str]:
        path = self._path(uri)
        fs = self._fs(path)
        if not fs.exists(path):
            return []
        return sorted(s.getPath().toString() for s in fs.listStatus(path) if s.isDirectory())

    def delete(self, uri: str) -> None:
        path = self._path(uri)
        self._fs(path).delete(path, True)

    def move_dir(self, source_uri: str, target_uri: str) -> None:
        """Move a directory to a target that must not exist yet; creates the target's parent."""
        source, target = self._path(source_uri), self._path(target_uri)
        fs = self._fs(source)
        fs.mkdirs(target.getParent())
        if not fs.rename(source, target):
            raise OSError(f"could not move {source_uri} to {target_uri}")

    def copy_file(self, source_uri: str, target_uri: str) -> None:
        """Copy one file byte for byte, replacing the target; creates the target's folders."""
        source, target = self._path(source_uri), self._path(target_uri)
        copied = self._jvm.org.apache.hadoop.fs.FileUtil.copy(
            self._fs(source), source, self._fs(target), target, False, True, self._conf
        )
        if not copied:
            raise OSError(f"could not copy {source_uri} to {target_uri}")

    def delete_if_empty(self, uri: str) -> bool:
        """Remove an empty directory (tidies local folders; S3 has no empty directories)."""
        path = self._path(uri)
        fs = self._fs(path)
        if fs.exists(path) and len(fs.listStatus(path)) == 0:
            return bool(fs.delete(path, False))
        return False

    def write_text(self, uri: str, text: str) -> None:
        """Write a small text object: to a temporary name first, then renamed into place."""
        target = self._path(uri)
        fs = self._fs(target)
        temporary = self._path(f"{uri}.tmp")
        stream = fs.create(temporary, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        fs.delete(target, False)
        if not fs.rename(temporary, target):
            raise OSError(f"could not write {uri}")


def _hidden(relative: str) -> bool:
    return any(part.startswith((".", "_")) for part in relative.split("/") if part)
