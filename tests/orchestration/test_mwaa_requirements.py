"""What ships to MWAA installs: pip's resolver, for Python 3.12, against Airflow 3.3.1's
constraints (a copy in mwaa/, identical to the URL requirements.txt names). Needs PyPI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.orchestration.conftest import REPO

pytestmark = [pytest.mark.network, pytest.mark.slow, pytest.mark.timeout(600)]

CONSTRAINTS = REPO / "mwaa" / "constraints-3.3.1-python3.12.txt"
CONSTRAINTS_URL = (
    "https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/constraints-3.12.txt"
)
PY312_CANDIDATES = ("python3.12", str(Path.home() / ".pyenv/versions/3.12.1/bin/python"))


def pip_for_python_312() -> list[str]:
    """A real 3.12 interpreter's pip if there is one; else this pip told to resolve for 3.12."""
    for candidate in PY312_CANDIDATES:
        exe = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if (
            exe
            and subprocess.run([exe, "-m", "pip", "--version"], capture_output=True).returncode == 0
        ):
            return [exe, "-m", "pip"]
    return [sys.executable, "-m", "pip", "--python-version", "3.12", "--only-binary=:all:"]


def dry_run(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, str]]:
    """(exit code, pip output, {package: version} that would be installed)."""
    report = tmp_path / "report.json"
    pip = pip_for_python_312()
    command = [
        *pip[:3],
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        str(report),
        *pip[3:],
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=540)
    versions = {}
    if report.exists():
        for item in json.loads(report.read_text())["install"]:
            meta = item["metadata"]
            versions[meta["name"].lower()] = meta["version"]
    return done.returncode, done.stdout + done.stderr, versions


def local_requirements(tmp_path: Path) -> Path:
    """requirements.txt with its constraint URL pointed at the copy in mwaa/."""
    text = (REPO / "requirements.txt").read_text()
    assert f'--constraint "{CONSTRAINTS_URL}"' in text, (
        "requirements.txt must use MWAA's constraint line"
    )
    local = tmp_path / "requirements.txt"
    local.write_text(text.replace(f'"{CONSTRAINTS_URL}"', str(CONSTRAINTS)))
    return local


def test_constraints_copy_is_the_one_requirements_txt_names() -> None:
    assert CONSTRAINTS_URL in CONSTRAINTS.read_text().splitlines()[1]


def test_mwaa_requirements_install_into_airflow_331(tmp_path: Path) -> None:
    code, output, versions = dry_run(
        tmp_path, "apache-airflow==3.3.1", "-r", str(local_requirements(tmp_path))
    )
    assert code == 0, f"MWAA requirements do not resolve:\n{output[-3000:]}"
    assert versions["apache-airflow-providers-amazon"] == "9.34.0"
    assert versions["requests"] == "2.34.2"
    # the day report's plotting library, beside the pins it must not move
    assert versions["matplotlib"] == "3.11.2"
    assert versions["numpy"] == "2.5.1"


def test_soda_cannot_join_the_airflow_environment(tmp_path: Path) -> None:
    """The evidence for the separate venv: pip refuses soda-core under Airflow's constraints."""
    code, output, _ = dry_run(tmp_path, "soda-core==4.28.0", "-c", str(CONSTRAINTS))
    assert code != 0
    assert "requests" in output or "ruamel" in output, output[-2000:]


def test_soda_venv_requirements_resolve_for_python_312(tmp_path: Path) -> None:
    code, output, versions = dry_run(
        tmp_path, "-r", str(REPO / "plugins" / "soda-requirements.txt")
    )
    assert code == 0, f"the Soda venv of startup.sh would not install:\n{output[-3000:]}"
    assert versions["soda-core"] == "4.28.0"
    assert versions["soda-athena"] == "4.28.0"
    assert tuple(int(p) for p in versions["requests"].split(".")[:2]) < (2, 34)
