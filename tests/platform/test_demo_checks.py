"""The demo's environment checks: each bad environment is one clear line, before anything runs."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eventlake.local import demo


def demo_error(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eventlake", "demo", "--airflow-home", str(tmp_path / "airflow"),
         *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def assert_one_clear_line(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"eventlake demo: error: {expected}"], (
        result.stderr
    )


def test_a_busy_kinesis_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = demo_error(
            tmp_path, "--workdir", str(tmp_path / "demo"), "--kinesis-port", str(port)
        )
    assert_one_clear_line(result, f"port {port} is busy; pick another with --kinesis-port")


def test_an_unwritable_workdir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = demo_error(tmp_path, "--workdir", str(blocker / "sub" / "demo"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"eventlake demo: error: cannot write to {blocker / 'sub'}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_too_little_disk_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(demo, "MIN_FREE_BYTES", 1 << 60)  # more than any disk holds
    with pytest.raises(demo.UsageError, match=r"GB free under .* the demo needs"):
        demo.check_environment([tmp_path])


def test_a_jre_without_javac_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    """The day job's jar is compiled on first use: a JRE alone cannot run the demo."""
    java = tmp_path / "jre" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'openjdk version \"17.0.15\" 2025-04-15' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jre"))
    monkeypatch.setenv("PATH", str(java.parent))
    with pytest.raises(demo.UsageError, match=r"javac, .* install openjdk-17-jdk-headless"):
        demo.check_environment([tmp_path])


def test_java_version_is_read_from_both_formats(tmp_path: Path) -> None:
    for banner, major in (
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_402"', 8),
    ):
        fake = tmp_path / f"java{major}"
        fake.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
        fake.chmod(0o755)
        assert demo.java_major(str(fake)) == major
    assert demo.java_major(str(tmp_path / "missing")) is None


def test_a_day_whose_window_is_still_open_is_one_line(tmp_path: Path) -> None:
    """Run just after midnight, 'yesterday' is still in its grace: the sensor would wait."""
    today = datetime.now(UTC).date()
    result = demo_error(tmp_path, "--workdir", str(tmp_path / "demo"), "--date", str(today))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"eventlake demo: error: the raw window of {today} closes at ")
    assert "Traceback" not in result.stderr


def test_the_default_day_is_the_latest_whose_window_has_closed() -> None:
    just_after_midnight = datetime(2026, 12, 2, 0, 48, tzinfo=UTC)
    assert demo.latest_closed_day(just_after_midnight) == date(2026, 11, 30)
    closed = demo.demo_window_closes(date(2026, 12, 1))
    assert demo.latest_closed_day(closed) == date(2026, 12, 1)
    assert demo.latest_closed_day(closed - timedelta(seconds=1)) == date(2026, 11, 30)
    demo.check_day(date(2026, 12, 1), closed)  # no error once it has closed
