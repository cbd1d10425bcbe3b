"""Every place that names a module as a string names one that exists.

A module that moves must take these with it: the Lambda image's CMD and Terraform's
image_config.command, the `python -m` commands the DAG runs, the CLI's command modules and
the package data.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import tomllib
from pathlib import Path

from eventlake.cli import COMMAND_MODULES
from eventlake.orchestration.day_job import LocalDayJobOperator
from eventlake.orchestration.quality import QualityChecksOperator
from eventlake.orchestration.settings import EventlakeSettings
from eventlake.tools.deploy import DOCKERFILE

REPO = Path(__file__).resolve().parents[2]


def resolves(dotted: str) -> bool:
    module, _, attribute = dotted.rpartition(".")
    return hasattr(importlib.import_module(module), attribute)


def test_the_lambda_cmd_and_terraforms_command_name_the_handler() -> None:
    cmd = re.search(r'^CMD \["([^"]+)"\]', (REPO / DOCKERFILE).read_text(), re.M)
    assert cmd, "the Dockerfile has no CMD"
    assert resolves(cmd.group(1)), f"CMD {cmd.group(1)} does not exist"
    terraform = (REPO / "infra/modules/transform/main.tf").read_text()
    assert f'handler = "{cmd.group(1)}"' in terraform, "Terraform's command differs from CMD"


def test_the_modules_the_dag_runs_with_python_m_exist() -> None:
    settings = EventlakeSettings()
    scan = QualityChecksOperator(task_id="q", event_date="2026-11-24", settings=settings)
    job = LocalDayJobOperator(task_id="j", script="", script_args={}, reports_uri="r")
    for command in (scan.command(), job.command()):
        module = command[command.index("-m") + 1]
        assert importlib.util.find_spec(module), f"`python -m {module}` names no module"


def test_the_cli_command_modules_exist() -> None:
    for name in COMMAND_MODULES:
        assert hasattr(importlib.import_module(name), "add_command"), name


def test_package_data_patterns_match_files() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    for package, patterns in pyproject["tool"]["setuptools"]["package-data"].items():
        folder = REPO / package.replace(".", "/")
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"package data {package}: {pattern} matches nothing"
