"""`eventlake schemas check|release` on the shipped plan and on plan folders in tmp_path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from eventlake.cli import main
from eventlake.core.plan import PLAN_FOLDER, load_plan, tracking_plan
from eventlake.tools.deploy import build_package_zip

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A copy of the shipped plan's files (plan.json and types/)."""
    shipped = Path(str(files("eventlake.core").joinpath(PLAN_FOLDER)))
    folder = tmp_path / "plan"
    shutil.copytree(shipped, folder, ignore=shutil.ignore_patterns("released"))
    return folder


def edit_json(path: Path, edit) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))


def test_the_shipped_plan_passes(capsys) -> None:
    assert main(["schemas", "check"]) == 0
    out = capsys.readouterr().out
    assert "refused" not in out
    assert out.startswith("schemas check:")


def test_a_removed_field_fails_with_its_message(plan_dir: Path, capsys) -> None:
    edit_json(plan_dir / "types" / "payment.json", lambda doc: doc["fields"].pop("currency"))
    edit_json(plan_dir / "plan.json", lambda doc: doc.update(version=doc["version"] + 1))
    assert main(["schemas", "check", "--plan-dir", str(plan_dir)]) == 1
    out = capsys.readouterr().out
    assert "refused: events_payment: field 'currency' is removed" in out
    assert out.endswith("schemas check: failed (1 refused)\n")


def test_release_writes_a_snapshot_that_the_check_then_equals(plan_dir: Path, capsys) -> None:
    released = plan_dir.parent / "released"
    args = ["--plan-dir", str(plan_dir), "--released-dir", str(released)]
    assert main(["schemas", "check", *args]) == 1  # nothing released yet
    assert main(["schemas", "release", *args]) == 0
    version = tracking_plan().version
    assert json.loads((released / f"v{version}.json").read_text()) == tracking_plan().to_dict()
    capsys.readouterr()
    assert main(["schemas", "check", *args]) == 0
    assert f"the plan equals released v{version}" in capsys.readouterr().out


def test_release_needs_a_passing_check_and_a_bumped_version(plan_dir: Path, capsys) -> None:
    released = plan_dir.parent / "released"
    args = ["--plan-dir", str(plan_dir), "--released-dir", str(released)]
    assert main(["schemas", "release", *args]) == 0
    version = load_plan(plan_dir).version

    def add_coupon(doc: dict) -> None:
        doc["fields"]["coupon"] = {"type": "string", "required": False}

    edit_json(plan_dir / "types" / "payment.json", add_coupon)
    capsys.readouterr()
    assert main(["schemas", "release", *args]) == 1
    assert "bump it to" in capsys.readouterr().out
    edit_json(plan_dir / "plan.json", lambda doc: doc.update(version=version + 1))
    assert main(["schemas", "release", *args]) == 0
    snapshot = json.loads((released / f"v{version + 1}.json").read_text())
    assert "coupon" in snapshot["types"]["payment"]["fields"]
    assert main(["schemas", "check", *args]) == 0


def test_a_malformed_plan_is_a_usage_error(plan_dir: Path, capsys) -> None:
    edit_json(plan_dir / "types" / "payment.json", lambda doc: doc.update(policy="drop"))
    assert main(["schemas", "check", "--plan-dir", str(plan_dir)]) == 2
    assert "policy 'drop'" in capsys.readouterr().err


def test_the_snapshots_read_from_the_glue_zip(tmp_path: Path) -> None:
    """Package data: the released snapshots ship in the zip and load from it."""
    archive = tmp_path / "eventlake.zip"
    archive.write_bytes(build_package_zip(REPO))
    code = (
        "import eventlake\n"
        f"assert eventlake.__file__.startswith({str(archive)!r}), eventlake.__file__\n"
        "from eventlake.core.plan import tracking_plan\n"
        "from eventlake.core.plan_evolution import *\n"
        "n, doc = latest_release(released_folder())\n"
        "assert compare(plan_from_dict(doc), tracking_plan()).ok\n"
        "print(n)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(archive)},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 1
