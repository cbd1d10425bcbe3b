"""Fixtures for the day-job tests.

The SparkSession is the shared session-scoped `spark` fixture of tests/conftest.py
(local[2], UTC, small shuffle partitions, UI off); the day job sets its own SQL settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dayjob.helpers import Locations, make_locations


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    """Empty raw, lake, quarantine and reports folders for one test."""
    return make_locations(tmp_path)
