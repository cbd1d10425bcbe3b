"""The day job's jar: compiled from its Java sources with javac, cached, and required."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest

from eventlake.core.contract import DEFAULT_CONFIG
from eventlake.core.plan import tracking_plan
from eventlake.dayjob import jvm, record_check


def test_the_local_jar_is_built_once_per_source_version(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    jar = jvm.local_jar()
    assert jar.is_relative_to(tmp_path / "eventlake")
    assert "eventlake/dayjob/RecordCheck.class" in zipfile.ZipFile(jar).namelist()
    built = jar.stat().st_mtime_ns
    assert jvm.local_jar() == jar
    assert jar.stat().st_mtime_ns == built, "reused, not rebuilt"

    changed = tmp_path / "RecordCheck.java"
    changed.write_text(jvm.SOURCES[0].read_text() + "\n// changed\n")
    monkeypatch.setattr(jvm, "SOURCES", (changed,))
    assert jvm.local_jar() != jar, "a changed source gets its own jar"


def test_a_cache_that_cannot_be_written_falls_back_to_the_temp_folder(
    tmp_path: Path, monkeypatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    jar = jvm.local_jar()
    assert jar.is_relative_to(tmp_path / "tmp")
    assert jar.is_file()


def test_without_javac_the_error_names_the_jdk(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jre"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(jvm.JvmBuildError, match=r"javac from a JDK 17.*openjdk-17-jdk-headless"):
        jvm.class_entries()


def test_jdk_tools_are_found_where_spark_finds_java(tmp_path: Path, monkeypatch) -> None:
    """In JAVA_HOME when it is set (a JRE there has no javac, whatever PATH holds), else on PATH."""
    on_path = tmp_path / "path" / "javac"
    in_home = tmp_path / "jdk" / "bin" / "javac"
    for tool in (on_path, in_home):
        tool.parent.mkdir(parents=True)
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert jvm.jdk_tool("javac") == str(on_path)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert jvm.jdk_tool("javac") == str(in_home)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jre"))
    assert jvm.jdk_tool("javac") is None


def test_a_compile_error_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.java"
    broken.write_text("class Broken { int x = ; }\n")
    with pytest.raises(jvm.JvmBuildError, match="javac failed"):
        jvm.class_entries((broken,))


@pytest.mark.spark
def test_a_session_without_the_jar_gets_a_clear_error(spark, monkeypatch) -> None:
    # The fixture's session has the jar; a class name it cannot load stands in for its absence.
    monkeypatch.setattr(record_check, "CHECK_CLASS", "eventlake.dayjob.NotThere")
    with pytest.raises(RuntimeError, match=r"not on the Spark classpath.*--extra-jars"):
        record_check.register_check(spark, DEFAULT_CONFIG, tracking_plan())
