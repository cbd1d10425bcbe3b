"""Airflow 3.3 test harness: a throwaway AIRFLOW_HOME and SQLite DB, set before Airflow loads."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
DAG_FILE = REPO / "dags" / "events_daily.py"

_HOME = tempfile.mkdtemp(prefix="eventlake-airflow-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ.update(
    {
        "AIRFLOW_HOME": _HOME,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME}/airflow.db",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW_CONN_AWS_DEFAULT": '{"conn_type": "aws"}',
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SODA_CORE_TELEMETRY_ENABLED": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "network: needs PyPI (pip resolver checks)")


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated metadata DB for dag.test(), made once per session (~3 s)."""
    from airflow.utils.db import resetdb

    resetdb()


def eventlake_env(**settings: str) -> dict[str, str]:
    return {f"AIRFLOW__EVENTLAKE__{k.upper()}": str(v) for k, v in settings.items()}


def load_dag_module(monkeypatch: pytest.MonkeyPatch, **settings: str) -> ModuleType:
    """Import dags/events_daily.py afresh with the given [eventlake] settings."""
    for key in [k for k in os.environ if k.startswith("AIRFLOW__EVENTLAKE__")]:
        monkeypatch.delenv(key)
    for key, value in eventlake_env(**settings).items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("events_daily_under_test", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module
