"""docker-compose.yaml validates with the real Compose v2 binary (no engine needed) and
every path it mounts or copies exists in the repository."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import compose
import pytest

REPO = Path(__file__).resolve().parents[2]
COMPOSE_BIN = Path(compose.__file__).parent / "docker-compose"


def compose_cli(
    *args: str, file: Path = REPO / "docker-compose.yaml"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMPOSE_BIN), "-f", str(file), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=file.parent,
    )


def test_compose_file_validates() -> None:
    result = compose_cli("config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_validator_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yaml"
    broken.write_text((REPO / "docker-compose.yaml").read_text().replace("services:", "servics:"))
    assert compose_cli("config", "--quiet", file=broken).returncode == 1


def test_every_bind_mount_exists() -> None:
    config = json.loads(compose_cli("config", "--format", "json").stdout)
    binds = [
        volume["source"]
        for service in config["services"].values()
        for volume in service.get("volumes", [])
        if volume["type"] == "bind"
    ]
    assert binds, "expected the DAGs, plugins and package to be mounted"
    missing = [source for source in binds if not Path(source).exists()]
    assert not missing, f"mounted paths missing from the repo: {missing}"


def test_image_build_inputs_exist() -> None:
    config = json.loads(compose_cli("config", "--format", "json").stdout)
    builds = {
        json.dumps(s["build"], sort_keys=True) for s in config["services"].values() if "build" in s
    }
    assert builds
    for build in map(json.loads, builds):
        dockerfile = Path(build["context"]) / build["dockerfile"]
        assert dockerfile.exists(), dockerfile
        for source in re.findall(r"^COPY\s+(\S+)", dockerfile.read_text(), flags=re.M):
            assert (Path(build["context"]) / source).exists(), (
                f"{dockerfile} copies missing {source}"
            )


@pytest.mark.parametrize("service", ["postgres", "moto", "airflow-apiserver", "airflow-scheduler"])
def test_core_services_present(service: str) -> None:
    config = json.loads(compose_cli("config", "--format", "json").stdout)
    assert service in config["services"]
