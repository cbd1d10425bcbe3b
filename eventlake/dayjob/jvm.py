"""The day job's JVM part: the Java sources beside this file, compiled with the JDK's javac.

Glue loads the jar from the job's --extra-jars (`eventlake deploy` builds and uploads it). A
local session builds it once per source version into the user's cache (`local_jar`). Spark's
own jars are the only classpath: no Maven, no network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

JAR_NAME = "eventlake-dayjob.jar"
SOURCES = (Path(__file__).with_name("RecordCheck.java"),)
JAVA_RELEASE = "17"  # Glue 6.0's Java


class JvmBuildError(RuntimeError):
    """The jar cannot be built here: what is missing and how to get it."""


def jdk_tool(name: str) -> str | None:
    """A JDK program (java, javac) where Spark's launcher looks for java: in JAVA_HOME when it
    is set (None if not there), else on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        tool = Path(java_home) / "bin" / name
        return str(tool) if tool.is_file() else None
    return shutil.which(name)


def spark_jars_dir() -> Path:
    """The jars of the installed PySpark (or of SPARK_HOME), found without importing pyspark."""
    spark_home = os.environ.get("SPARK_HOME")
    if spark_home and (Path(spark_home) / "jars").is_dir():
        return Path(spark_home) / "jars"
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise JvmBuildError("building the day job's jar needs PySpark installed (its jars)")
    return Path(spec.origin).parent / "jars"


def class_entries(sources: tuple[Path, ...] = SOURCES) -> list[tuple[str, bytes]]:
    """The compiled classes as (path in the jar, bytes)."""
    javac = jdk_tool("javac")
    if javac is None:
        raise JvmBuildError(
            "building the day job's jar needs javac from a JDK 17 (Debian:"
            " apt-get install openjdk-17-jdk-headless); none on PATH or in JAVA_HOME"
        )
    with tempfile.TemporaryDirectory(prefix="eventlake-javac-") as out:
        command = [javac, "--release", JAVA_RELEASE, "-cp", f"{spark_jars_dir()}/*", "-d", out]
        done = subprocess.run(
            [*command, *map(str, sources)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise JvmBuildError(f"javac failed:\n{done.stderr[-3000:]}")
        root = Path(out)
        return sorted(
            (p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*.class")
        )


def source_key() -> str:
    digest = hashlib.sha256(JAVA_RELEASE.encode())
    for source in SOURCES:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def cache_dirs() -> list[Path]:
    """The user's cache, then the temporary folder (for a home that cannot be written)."""
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [user / "eventlake", Path(tempfile.gettempdir()) / f"eventlake-{os.getuid()}"]


def local_jar() -> Path:
    """The jar for these sources, built on first use (about 2 s) and then reused."""
    folders = [d / f"dayjob-{source_key()}" for d in cache_dirs()]
    for jar in (folder / JAR_NAME for folder in folders):
        if jar.is_file():
            return jar
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return _build_into(folder / JAR_NAME)
    raise JvmBuildError(f"no folder to build the day job's jar in: tried {folders}")


def _build_into(jar: Path) -> Path:
    with tempfile.TemporaryDirectory(dir=jar.parent) as tmp:
        classes = Path(tmp) / "classes"
        for name, data in class_entries():
            (classes / name).parent.mkdir(parents=True, exist_ok=True)
            (classes / name).write_bytes(data)
        built = shutil.make_archive(str(Path(tmp) / "jar"), "zip", root_dir=classes)
        os.replace(built, jar)  # atomic: a concurrent build leaves one whole jar
    return jar
