"""One figure of a benchmark result: a value, the baseline measured in the same run, their ratio.

run_all.py turns a result's "figures" into rows of the results table.
"""

from __future__ import annotations

from typing import Any


def figure(
    name: str,
    value: float,
    unit: str,
    baseline_name: str,
    baseline_value: float,
    *,
    baseline_unit: str | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
    value_at_least: float | None = None,
    value_at_most: float | None = None,
) -> dict[str, Any]:
    """ratio = value / baseline_value. The issue's target is `at_least`/`at_most` for the
    ratio, or `value_at_least`/`value_at_most` for the value itself."""
    ratio = value / baseline_value
    target, met = None, None
    if at_least is not None:
        target, met = f">= {at_least:g}", ratio >= at_least
    elif at_most is not None:
        target, met = f"<= {at_most:g}", ratio <= at_most
    elif value_at_least is not None:
        target, met = f"value >= {value_at_least:,.0f}", value >= value_at_least
    elif value_at_most is not None:
        target, met = f"value <= {value_at_most:,.0f}", value <= value_at_most
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline_name": baseline_name,
        "baseline_value": baseline_value,
        "baseline_unit": baseline_unit or unit,
        "ratio": ratio,
        "target": target,
        "met": met,
    }
