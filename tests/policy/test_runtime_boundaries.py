"""Each runtime loads and ships only its part of the package, checked in fresh interpreters.

The import checks run `python -c` in a new process, so nothing this test session imported
can hide a forbidden import. The artifact checks build the Glue zip, plugins.zip and the
Lambda image's build context exactly as `eventlake deploy` does, read their names, and
import the shipped code from the artifact alone.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from eventlake.tools.deploy import (
    DOCKERFILE,
    RUNTIME_PACKAGES,
    build_package_zip,
    build_plugins_zip,
    lambda_build_context,
)

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("pyspark", "airflow", "boto3", "botocore", "rich", "moto", "duckdb", "soda_core")
NEVER_SHIPPED = ("eventlake.local", "eventlake.tools", "eventlake.cli")

PROBE = """
import json, sys
{setup}
loaded = sorted(sys.modules)
print(json.dumps(loaded))
"""


def loaded_modules(
    setup: str, env: dict[str, str] | None = None, path: str = "", cwd: Path = REPO
) -> set[str]:
    """The modules a fresh interpreter, started in `cwd`, has loaded after running `setup`.

    `path` replaces PYTHONPATH: an artifact to import the shipped code from.
    """
    import os

    environment = {**os.environ, **(env or {})}
    if path:
        environment["PYTHONPATH"] = path
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def forbidden(loaded: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == r or m.startswith(r + ".") for r in roots))


def test_the_lambda_handler_loads_no_heavy_library_and_no_other_subpackage() -> None:
    loaded = loaded_modules("import eventlake.ingest.transform")
    roots = (
        *HEAVY,
        *NEVER_SHIPPED,
        "eventlake.dayjob",
        "eventlake.orchestration",
        "eventlake.quality",
    )
    assert forbidden(loaded, roots) == [], "the Lambda must import core and ingest only"


def test_the_glue_entry_point_loads_no_airflow() -> None:
    setup = (
        "import runpy; runpy.run_path('glue_jobs/events_daily.py'); "
        "import eventlake.dayjob.entry, eventlake.dayjob.job"
    )
    loaded = loaded_modules(setup)
    assert "pyspark" in loaded, "the probe did not load the job"
    roots = ("airflow", "duckdb", "soda_core", "rich", "moto", *NEVER_SHIPPED)
    assert forbidden(loaded, (*roots, "eventlake.orchestration", "eventlake.quality")) == []


def test_the_dag_file_loads_no_pyspark(tmp_path) -> None:
    env = {
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path}/airflow.db",
    }
    loaded = loaded_modules("import runpy; runpy.run_path('dags/events_daily.py')", env)
    assert "airflow" in loaded, "the probe did not load the DAG"
    assert forbidden(loaded, ("pyspark", "soda_core", "eventlake.dayjob", *NEVER_SHIPPED)) == []


def test_quality_loads_no_airflow() -> None:
    setup = (
        "import eventlake.quality.scan, eventlake.quality.report, eventlake.quality.soda_contract"
    )
    loaded = loaded_modules(setup)
    assert (
        forbidden(loaded, ("airflow", "pyspark", "eventlake.orchestration", *NEVER_SHIPPED)) == []
    )


# --- what each artifact holds ---


def package_names(runtime: str) -> set[str]:
    """Every file of the runtime's subpackages in the checkout, as archive names."""
    package = REPO / "eventlake"
    names = {"eventlake/__init__.py"}
    for sub in RUNTIME_PACKAGES[runtime]:
        names |= {
            f"eventlake/{p.relative_to(package).as_posix()}"
            for p in (package / sub).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
    return names


def test_the_glue_zip_holds_core_and_dayjob_only() -> None:
    names = set(zipfile.ZipFile(io.BytesIO(build_package_zip(REPO))).namelist())
    assert names == package_names("glue")
    assert {n.split("/")[1] for n in names} == {"__init__.py", "core", "dayjob"}


def test_plugins_zip_holds_the_plugins_core_orchestration_and_quality_only() -> None:
    names = set(zipfile.ZipFile(io.BytesIO(build_plugins_zip(REPO))).namelist())
    packaged = {n for n in names if n.startswith("eventlake/")}
    assert packaged == package_names("mwaa")
    assert "eventlake_plugin.py" in names - packaged


def test_the_lambda_build_context_holds_the_dockerfile_core_and_ingest_only() -> None:
    with tarfile.open(fileobj=io.BytesIO(lambda_build_context(REPO))) as context:
        names = set(context.getnames())
    assert names == {DOCKERFILE} | package_names("lambda")


def test_the_lambda_runs_from_its_build_context_alone(tmp_path) -> None:
    with tarfile.open(fileobj=io.BytesIO(lambda_build_context(REPO))) as context:
        context.extractall(tmp_path, filter="data")
    setup = (
        "import base64, eventlake, eventlake.ingest.transform as t; "
        f"assert eventlake.__file__.startswith({str(tmp_path)!r}), eventlake.__file__; "
        "e = {'event_uuid': '00000000-0000-4000-8000-000000000001', 'event_name': 'a:b', "
        "'created_at': 1700000000}; "
        "data = base64.b64encode(json.dumps(e).encode()).decode(); "
        "out = t.lambda_handler({'records': [{'recordId': '1', 'data': data, "
        "'approximateArrivalTimestamp': 1700000000000}]}, None); "
        "assert out['records'][0]['result'] == 'Ok', out"
    )
    loaded = loaded_modules(setup, path=str(tmp_path), cwd=tmp_path)
    assert forbidden(loaded, HEAVY) == []


@pytest.mark.spark
def test_the_glue_job_imports_from_its_zip_alone(tmp_path) -> None:
    """Glue puts the --extra-py-files zip itself on sys.path: package data must load from it."""
    archive = tmp_path / "eventlake.zip"
    archive.write_bytes(build_package_zip(REPO))
    setup = (
        "import eventlake, eventlake.dayjob.job; from eventlake.core import layout; "
        f"assert eventlake.__file__.startswith({str(archive)!r}), eventlake.__file__; "
        "assert layout.firehose_prefix().startswith('events/')"
    )
    loaded = loaded_modules(setup, path=str(archive), cwd=tmp_path)
    assert forbidden(loaded, ("airflow", *NEVER_SHIPPED)) == []
