"""One settings object from [eventlake]; bad values fail with the key's name."""

from __future__ import annotations

import pytest

from eventlake.orchestration.settings import EventlakeSettings, SettingsError


def test_strings_from_airflow_config_become_typed_settings() -> None:
    s = EventlakeSettings.from_mapping(
        {
            "grace_minutes": "90",
            "deferrable": "false",
            "quarantine_fail_ratio": "0.1",
            "colour": "x",
        }
    )
    assert (s.job.grace_minutes, s.deferrable, s.quality.quarantine_fail_ratio) == (90, False, 0.1)
    assert s.extra == {"colour": "x"}


def test_local_locations_are_normalised_to_file_uris() -> None:
    s = EventlakeSettings.from_mapping({"lake_uri": "/tmp/lake"})
    assert s.job.lake_uri == "file:///tmp/lake"
    assert s.lake_table_uri == "file:///tmp/lake/events"


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"target": "gcp"}, "target"),
        ({"grace_minutes": "an hour"}, "grace_minutes"),
        ({"target": "aws", "lake_uri": "/tmp/lake"}, "raw_uri"),
        ({"quarantine_warn_ratio": "0.2", "quarantine_fail_ratio": "0.1"}, "quarantine_warn_ratio"),
    ],
)
def test_bad_settings_name_the_key(values: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        EventlakeSettings.from_mapping(values)


def test_airflow_env_variables_are_read_without_a_config_section(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__EVENTLAKE__GRACE_MINUTES", "45")
    monkeypatch.setenv("AIRFLOW__EVENTLAKE__SODA_PYTHON", "/usr/local/airflow/soda-venv/bin/python")
    s = EventlakeSettings.from_airflow_conf()
    assert s.job.grace_minutes == 45
    assert s.scan_python == "/usr/local/airflow/soda-venv/bin/python"
