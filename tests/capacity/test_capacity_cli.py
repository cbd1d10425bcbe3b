"""`eventlake capacity`: a readable plan, JSON with the agreed keys, clear errors, rate files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventlake.cli import UsageError, main
from eventlake.tools import capacity as cap


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["capacity", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_prints_a_plan_for_300_eps(capsys):
    code, out, err = run_cli(capsys, "--eps", "300", "--event-bytes", "400")
    assert code == 0, err
    for heading in ("Sizing", "Monthly cost", "Limits closest to binding", "Measured rates"):
        assert heading in out, f"plan output lacks the {heading!r} section"
    assert "shard" in out
    assert "summary" in out


def test_json_has_the_agreed_keys(capsys):
    code, out, _ = run_cli(capsys, "--eps", "300", "--event-bytes", "400", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["kinesis"]["mode"] in ("provisioned", "on-demand")
    assert result["kinesis"]["shards"] >= 1
    assert result["firehose"]["objects_per_day"] > 0
    assert result["lake"]["gb_per_day"] > 0
    assert result["glue"]["workers"] >= 2
    assert result["cost"]["monthly_usd_total"] > 0
    assert result["glue"]["rate_source"], "the Glue rate must say where it comes from"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--eps", "-5", "--event-bytes", "400"], "--eps must be a positive"),
        (["--eps", "0", "--event-bytes", "400"], "--eps must be a positive"),
        (["--eps", "nan", "--event-bytes", "400"], "--eps must be a positive"),
        (
            ["--eps", "300", "--peak-eps", "100", "--event-bytes", "400"],
            "--peak-eps (100.0) must be",
        ),
        (["--eps", "300", "--event-bytes", "0"], "--event-bytes must be"),
        (["--eps", "300", "--event-bytes", "400", "--buffer-mb", "500"], "--buffer-mb"),
        (["--eps", "300", "--event-bytes", "400", "--buffer-seconds", "1000"], "--buffer-seconds"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_a_rates_file_replaces_the_measured_rates(tmp_path, capsys):
    rates = {
        "rates": {
            "glue_events_per_s_per_core": {
                "value": 1_000,
                "unit": "events/s/core",
                "source": {"benchmark": "test", "date": "2026-01-01", "machine": "none"},
            }
        }
    }
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(rates))
    _, out, _ = run_cli(
        capsys, "--eps", "300", "--event-bytes", "400", "--json", "--rates", str(path)
    )
    glue = json.loads(out)["glue"]
    assert glue["events_per_s_per_core"] == 1_000
    assert "benchmark: test" in glue["rate_source"]
    # 25.92M events / (1,000 * 0.75 * 1,800 s) = 19.2 cores -> 5 G.1X executors + driver
    assert glue["workers"] == 6


def test_missing_rates_fall_back_visibly(tmp_path):
    path = tmp_path / "rates.json"
    path.write_text(json.dumps({"rates": {}}))
    rates = cap.load_rates(path)
    measured = cap.load_rates()["glue_events_per_s_per_core"]
    assert rates["glue_events_per_s_per_core"].value == measured.value
    assert "project default" in rates["glue_events_per_s_per_core"].source


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"no": "rates"}),
        json.dumps({"rates": {"raw_gzip_ratio": {"value": -1, "unit": "x", "source": "s"}}}),
    ],
)
def test_a_broken_rates_file_is_a_usage_error(tmp_path, content):
    path = tmp_path / "rates.json"
    path.write_text(content)
    with pytest.raises(UsageError):
        cap.load_rates(path)


def test_a_missing_rates_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        cap.load_rates(tmp_path / "nope.json")


def test_the_checked_in_rates_say_where_they_come_from():
    assert cap.DEFAULT_RATES_PATH.exists(), "eventlake/tools/measured_rates.json is missing"
    document = json.loads(cap.DEFAULT_RATES_PATH.read_text())
    for name in cap.REQUIRED_RATES:
        entry = document["rates"][name]
        assert entry["value"] > 0, name
        source = entry["source"]
        assert isinstance(source, dict), f"{name}: the source must name benchmark, date, machine"
        for key in ("benchmark", "date", "machine"):
            assert source.get(key), f"{name}: source lacks {key}"


def test_the_measured_rates_ship_with_the_package():
    """An installed package plans from the same file as a clone: it is package data."""
    import tomllib

    package = Path(cap.__file__).parent
    assert cap.DEFAULT_RATES_PATH.parent == package
    pyproject = tomllib.loads((package.parents[1] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["eventlake.tools"]
    assert any(cap.DEFAULT_RATES_PATH.match(pattern) for pattern in patterns)


def test_scale_doc_shows_what_the_planner_says_today():
    """docs/scale.md quotes the planner at three loads; it must be regenerated when rates change."""
    doc = (cap.DEFAULT_RATES_PATH.parents[2] / "docs" / "scale.md").read_text()
    [row] = [line for line in doc.splitlines() if line.startswith("| **total** |")]
    quoted = [float(cell.strip(" *").replace(",", "")) for cell in row.split("|")[3:6]]
    for eps, usd in zip((0.3, 300, 300_000), quoted, strict=True):
        result = cap.plan(cap.PlanInput(eps_avg=eps, event_bytes=400))
        assert result["cost"]["monthly_usd_total"] == pytest.approx(usd, abs=0.01), eps
