"""The day's scan report: a JSON document built from Soda's result, and its Markdown rendering.

The Soda CLI writes no machine-readable report, so the JSON is built here from
`verify_contract_locally`'s result object. A check that could not be evaluated, or a Soda
error, counts as a failure: a day is never trusted because a check silently did not run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

PASSED, WARNED, FAILED, NOT_EVALUATED = "passed", "warned", "failed", "not_evaluated"


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, int | str | bool) or value is None:
        return value
    return str(value)


def check_entry(check_result: Any) -> dict[str, Any]:
    check = check_result.check
    return {
        "name": check.name or check.type,
        "type": check.type,
        "column": check.column_name,
        "qualifier": check.qualifier,
        "outcome": check_result.outcome.value.lower().replace("warn", WARNED),
        "value": _value(check_result.threshold_value),
        "fail_threshold": str(check.threshold) if check.threshold else None,
        "warn_threshold": str(check.warn_threshold) if check.warn_threshold else None,
        "diagnostics": {
            k: _value(v) for k, v in (check_result.diagnostic_metric_values or {}).items()
        },
    }


def overall_outcome(checks: list[dict[str, Any]], errors: list[str]) -> str:
    outcomes = {c["outcome"] for c in checks}
    if errors or FAILED in outcomes or NOT_EVALUATED in outcomes or not checks:
        return FAILED
    return WARNED if WARNED in outcomes else PASSED


def build_report(session_result: Any, meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON report of one scan; `meta` says what was scanned (day, target, dataset...)."""
    checks = [
        check_entry(cr)
        for result in session_result.contract_verification_results
        for cr in result.check_results
    ]
    errors = [line for line in session_result.get_errors_str().splitlines() if line.strip()]
    counts = {
        k: sum(1 for c in checks if c["outcome"] == k)
        for k in (PASSED, WARNED, FAILED, NOT_EVALUATED)
    }
    return {
        "report_version": 1,
        **meta,
        "scanned_at": datetime.now(UTC).isoformat(),
        "outcome": overall_outcome(checks, errors),
        "counts": counts,
        "checks": checks,
        "errors": errors,
    }


def failed_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["outcome"] in (FAILED, NOT_EVALUATED)]


def warned_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["outcome"] == WARNED]


def _describe(check: dict[str, Any]) -> str:
    where = f" [{check['column']}]" if check["column"] else ""
    threshold = check["fail_threshold"] if check["outcome"] != WARNED else check["warn_threshold"]
    expected = f", expected {' and '.join(threshold.splitlines())}" if threshold else ""
    return f"{check['name']}{where}: value {check['value']}{expected}"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A short, readable verdict for the task log and the failure message."""
    c = report["counts"]
    lines = [
        f"Soda scan of event_date {report['event_date']}: {report['outcome'].upper()} "
        f"({c[PASSED]} passed, {c[WARNED]} warned, {c[FAILED] + c[NOT_EVALUATED]} failed)"
    ]
    lines += [f"  FAILED  {_describe(ch)}" for ch in failed_checks(report)]
    lines += [f"  WARNED  {_describe(ch)}" for ch in warned_checks(report)]
    lines += [f"  ERROR   {e}" for e in report["errors"][:10]]
    return lines


_ICONS = {
    PASSED: "✅ passed",
    WARNED: "⚠️ warned",
    FAILED: "❌ failed",
    NOT_EVALUATED: "❓ not evaluated",
}


def render_markdown(report: dict[str, Any]) -> str:
    """The human-readable report: verdict first, then failures, then every check."""
    out = [
        f"# Soda scan: events, event_date {report['event_date']}",
        "",
        f"**Outcome: {report['outcome'].upper()}** — target `{report.get('target')}`, "
        f"dataset `{report.get('dataset')}`, scanned {report['scanned_at']}",
        "",
    ]
    problems = failed_checks(report) + warned_checks(report)
    if problems:
        out += ["## Needs attention", ""]
        out += [f"- {_ICONS[c['outcome']]}: {_describe(c)}" for c in problems]
        out.append("")
    if report["errors"]:
        out += ["## Soda errors", "", "```", *report["errors"], "```", ""]
    out += ["## All checks", "", "| outcome | check | column | value | fail if not | warn if not |"]
    out.append("|---|---|---|---|---|---|")
    for c in report["checks"]:
        fail = (c["fail_threshold"] or "").replace("\n", " and ")
        warn = (c["warn_threshold"] or "").replace("\n", " and ")
        out.append(
            f"| {_ICONS[c['outcome']]} | {c['name']} | {c['column'] or ''} | {c['value']} | {fail} | {warn} |"
        )
    facts = report.get("facts") or {}
    if facts:
        out += ["", "## Inputs from the run manifest", ""]
        out += [f"- {k}: {v}" for k, v in facts.items()]
    out.append("")
    return "\n".join(out)
