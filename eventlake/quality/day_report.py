"""The day report: one self-contained HTML page per day, from the manifest, the Soda scan and
the 14 manifests before it. Plots are matplotlib SVG inlined in the page (no script, no CDN),
so it opens offline and from S3. Written by the quality task on both targets and by
`eventlake report`. Needs matplotlib and Jinja2, not Soda or Airflow.
"""

from __future__ import annotations

import io
import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from eventlake.core import storage
from eventlake.core.layout import day_report_uri, soda_report_uri
from eventlake.core.manifest import Manifest, ManifestMissing
from eventlake.core.plan import VIOLATION_REASONS, TrackingPlan, tracking_plan
from eventlake.quality.soda_contract import rate_qualifier

TREND_DAYS = 14
# Tableau-like colours readable for the common colour-vision deficiencies.
COLOURS = ("#4878d0", "#ee854a", "#6acc64", "#d65f5f", "#956cb4", "#8c613c", "#dc7ec0")


@dataclass(frozen=True)
class DayInputs:
    manifest: Manifest
    scan: dict[str, Any] | None  # the Soda scan.json, if the scan wrote one
    history: list[Manifest]  # the manifests of the TREND_DAYS days before, oldest first


def read_inputs(reports_uri: str, day: date) -> DayInputs:
    """Everything the page shows, from the reports location (local or s3://)."""
    manifest = Manifest.read(reports_uri, day)
    scan_uri = soda_report_uri(reports_uri, day, "scan.json")
    scan = json.loads(storage.read_bytes(scan_uri)) if storage.exists(scan_uri) else None
    history = []
    for back in range(TREND_DAYS, 0, -1):
        try:
            history.append(Manifest.read(reports_uri, day - timedelta(days=back)))
        except ManifestMissing:
            continue
    return DayInputs(manifest, scan, history)


# --- the figures, pure functions of the manifest ---


def arrivals_by_hour(manifest: Manifest) -> dict[str, int]:
    """Records per hour of their raw object's arrival (the hour Firehose delivered them)."""
    hours: dict[str, int] = defaultdict(int)
    for obj in manifest.raw_objects.objects:
        hours[obj.arrival[:13]] += obj.records
    return dict(sorted(hours.items()))


def rows_by_event_type(manifest: Manifest) -> dict[str, int]:
    types: dict[str, int] = defaultdict(int)
    for part in manifest.lake_partitions:
        types[_partition_value(part.partition, "event_type")] += part.rows
    return dict(sorted(types.items(), key=lambda kv: -kv[1]))


def late_by_event_date(manifest: Manifest) -> dict[str, int]:
    days: dict[str, int] = defaultdict(int)
    for name, rows in manifest.late_events_by_partition.items():
        days[_partition_value(name, "event_date")] += rows
    return dict(sorted(days.items()))


def quarantine_by_reason(manifest: Manifest) -> dict[str, int]:
    """Every quarantined record by reason: the invalid ones and the synthetic duplicates."""
    c = manifest.counts
    reasons = dict(c.invalid_by_reason)
    if c.synthetic_duplicates or c.synthetic_duplicates_in_lake:  # one quarantine reason
        reasons["synthetic_duplicate"] = c.synthetic_duplicates + c.synthetic_duplicates_in_lake
    return dict(sorted(reasons.items(), key=lambda kv: -kv[1]))


def duplicates(manifest: Manifest) -> dict[str, int]:
    c = manifest.counts
    return {
        "natural_duplicates": c.natural_duplicates,
        "synthetic_duplicates": c.synthetic_duplicates,
        "duplicates_in_lake": c.duplicates_in_lake,
        "synthetic_duplicates_in_lake": c.synthetic_duplicates_in_lake,
    }


def violations_by_type(manifest: Manifest) -> dict[str, dict[str, int]]:
    """The manifest's entries per event_name and reason, summed per type (before the ':')."""
    types: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name, reasons in manifest.schema_violations.items():
        for reason, entries in reasons.items():
            types[name.split(":", 1)[0]][reason] += entries
    return {t: dict(r) for t, r in types.items()}


def quality_by_type(
    manifest: Manifest, scan: dict[str, Any] | None, plan: TrackingPlan
) -> list[dict[str, Any]]:
    """Per event type: rows written and violation entries per reason (the manifest), and the
    type's violation-rate check of the day (the scan). Planned types first, then any other."""
    written, entries = rows_by_event_type(manifest), violations_by_type(manifest)
    checks = {c["qualifier"]: c for c in (scan or {}).get("checks", [])}
    others = sorted((set(written) | set(entries)) - set(plan.type_names))
    rows = []
    for name in [*plan.type_names, *others]:
        check = checks.get(rate_qualifier(name))
        diagnostics = check["diagnostics"] if check else {}
        rows.append(
            {
                "type": name,
                "written": written.get(name, 0),
                "entries": entries.get(name, {}),
                "checked": diagnostics.get("check_rows_tested", "–"),
                "violating": diagnostics.get("failed_rows_count", "–"),
                "rate": f"{check['value']:.2f}%" if check else "–",
                "outcome": check["outcome"] if check else None,
            }
        )
    return rows


def violation_reasons(manifest: Manifest) -> list[str]:
    """The plan's reasons, then any other the manifest has (a newer job's)."""
    seen = {r for reasons in manifest.schema_violations.values() for r in reasons}
    return [*VIOLATION_REASONS, *sorted(seen - set(VIOLATION_REASONS))]


TREND_FIGURES = ("raw_records_in", "written", "quarantined", "natural_duplicates")


def trend_rows(inputs: DayInputs) -> list[dict[str, Any]]:
    """Each trend figure: the day, the median of the days before, and the day's ratio to it."""
    rows = []
    for name in TREND_FIGURES:
        value = getattr(inputs.manifest.counts, name)
        past = [getattr(m.counts, name) for m in inputs.history]
        median = statistics.median(past) if past else None
        ratio = f"{value / median:.2f}×" if median else "–"
        rows.append({"name": name, "value": value, "median": median, "ratio": ratio})
    return rows


def _partition_value(partition: str, key: str) -> str:
    match = re.search(rf"{key}=([^/]+)", partition)
    return match.group(1) if match else "?"


# --- the plots ---


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline in HTML


def _axes(width: float = 7.5, height: float = 2.8) -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    figure = Figure(figsize=(width, height))
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    return figure, axes


def day_hours(day: date, by_arrival: dict[str, int]) -> list[str]:
    """The 24 hours of day D, plus any hour an object arrived in (the grace after midnight)."""
    hours = {f"{day.isoformat()}T{h:02d}" for h in range(24)}
    return sorted(hours | set(by_arrival))


def plot_hourly(hours: list[str], by_arrival: dict[str, int], by_created: dict[str, int]) -> str:
    figure, axes = _axes()
    x = range(len(hours))
    axes.bar([i - 0.2 for i in x], [by_arrival.get(h, 0) for h in hours], 0.4,
             label="by arrival", color=COLOURS[0])  # fmt: skip
    axes.bar([i + 0.2 for i in x], [by_created.get(h, 0) for h in hours], 0.4,
             label="by created_at (written rows)", color=COLOURS[1])  # fmt: skip
    step = max(1, len(hours) // 12)
    axes.set_xticks(list(x)[::step], [h.replace("T", " ") + "h" for h in hours][::step],
                    rotation=30, ha="right", fontsize=7)  # fmt: skip
    axes.set_ylabel("records")
    axes.legend(frameon=False, fontsize=8)
    return _svg(figure)


def plot_bars(values: dict[str, int], colour: str, horizontal: bool = True) -> str:
    names = list(values) or ["none"]
    numbers = list(values.values()) or [0]
    figure, axes = _axes(height=max(1.6, 0.32 * len(names) + 0.8) if horizontal else 2.8)
    if horizontal:
        bars = axes.barh(names[::-1], numbers[::-1], color=colour)
        axes.tick_params(axis="y", labelsize=8)
    else:
        bars = axes.bar(names, numbers, color=colour)
        axes.tick_params(axis="x", labelsize=8, rotation=20)
    axes.bar_label(bars, fmt="{:,.0f}", fontsize=7, padding=2)
    return _svg(figure)


def plot_trend(inputs: DayInputs) -> str:
    figure, axes = _axes()
    manifests = [*inputs.history, inputs.manifest]
    days = [m.run_date.isoformat()[5:] for m in manifests]  # categorical: gaps stay visible
    for colour, name in zip(COLOURS, TREND_FIGURES, strict=False):
        values = [getattr(m.counts, name) for m in manifests]
        axes.plot(days, values, marker="o", markersize=3, color=colour, label=name)
        axes.plot(days[-1:], values[-1:], marker="o", markersize=8, color=colour)
    axes.set_yscale("symlog")
    axes.tick_params(axis="x", labelsize=7, rotation=30)
    axes.legend(frameon=False, fontsize=7, ncols=2)
    return _svg(figure)


# --- the page ---


def render(inputs: DayInputs) -> str:
    """The page's HTML; every value that comes from data is escaped by Jinja2."""
    import jinja2
    import markupsafe
    import matplotlib

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "eventlake"})
    m = inputs.manifest
    hourly_arrival, hourly_created = arrivals_by_hour(m), m.figures.written_by_created_hour
    hours = day_hours(m.run_date, hourly_arrival)
    created_off_chart = sum(n for h, n in hourly_created.items() if h not in hours)
    reasons, late = quarantine_by_reason(m), late_by_event_date(m)
    plots = {
        "hourly": plot_hourly(hours, hourly_arrival, hourly_created),
        "event_types": plot_bars(rows_by_event_type(m), COLOURS[2]),
        "quarantine": plot_bars(reasons, COLOURS[3]),
        "duplicates": plot_bars(duplicates(m), COLOURS[4], horizontal=False),
        "late": plot_bars(late, COLOURS[5], horizontal=False),
        "trend": plot_trend(inputs),
    }
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(PAGE).render(
        m=m,
        c=m.counts,
        plots={k: markupsafe.Markup(v) for k, v in plots.items()},
        reasons=reasons,
        examples=m.figures.quarantine_examples,
        duplicates=duplicates(m),
        late=late,
        scan=inputs.scan,
        types=quality_by_type(m, inputs.scan, tracking_plan()),
        violation_reasons=violation_reasons(m),
        violation_rate_warn=tracking_plan().violation_rate_warn,
        trend=trend_rows(inputs),
        history_days=len(inputs.history),
        has_created_hours=bool(hourly_created),
        created_off_chart=created_off_chart,
    )


def write_day_report(reports_uri: str, day: date) -> str:
    """Write reports/days/D/index.html and return its URI."""
    uri = day_report_uri(reports_uri, day)
    html = render(read_inputs(reports_uri, day))
    storage.write_bytes(uri, html.encode("utf-8"), content_type="text/html; charset=utf-8")
    return uri


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eventlake day {{ m.run_date }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 1em 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5em 0; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figure svg { max-width: 100%; height: auto; }
.passed { color: #17803d; } .warned { color: #b06b00; } .failed, .not_evaluated { color: #c62828; font-weight: bold; }
pre { background: #f6f6f6; padding: 4px 8px; margin: 2px 0; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; } .card { border: 1px solid #ddd; border-radius: 6px; padding: .5em 1em; }
.card b { display: block; font-size: 1.4em; }
</style></head>
<body>
<h1>eventlake: day {{ m.run_date }}</h1>
<p>Run {{ m.job_run_id or "?" }}, {{ m.started_at }} to {{ m.finished_at }}.
Reconciled: <b id="balanced">{{ m.reconciliation.balanced }}</b>
({{ m.reconciliation.raw_records_in }} in = {{ m.reconciliation.accounted }} accounted).
Soda: <b class="{{ scan.outcome if scan else 'failed' }}" id="soda-outcome">{{ scan.outcome if scan else "no scan" }}</b></p>
<div class="cards">
 <div class="card">raw records <b data-figure="raw_records_in">{{ c.raw_records_in }}</b></div>
 <div class="card">written to the lake <b data-figure="written">{{ c.written }}</b></div>
 <div class="card">quarantined <b data-figure="quarantined">{{ c.quarantined }}</b></div>
 <div class="card">invalid <b data-figure="invalid">{{ c.invalid }}</b></div>
 <div class="card">deferred <b data-figure="deferred">{{ c.deferred }}</b></div>
 <div class="card">late events <b data-figure="late_events">{{ m.late_events }}</b></div>
</div>

<h2>Events per hour</h2>
<div class="figure" id="plot-hourly">{{ plots.hourly }}</div>
{% if created_off_chart %}<p>Not shown: <span data-figure="created_off_chart">{{ created_off_chart }}</span> written rows created outside these hours (late events, clock skew).</p>{% endif %}
{% if not has_created_hours %}<p>This manifest predates the per-hour created_at counts: only arrivals are shown.</p>{% endif %}

<h2>Lake rows per event type</h2>
<div class="figure" id="plot-event-types">{{ plots.event_types }}</div>

<h2>Quarantine by reason</h2>
<div class="figure" id="plot-quarantine">{{ plots.quarantine }}</div>
<table id="quarantine-table"><tr><th>reason</th><th>records</th><th>examples (the start of the raw record)</th></tr>
{% for reason, n in reasons.items() %}<tr><td>{{ reason }}</td><td class="n" data-reason="{{ reason }}">{{ n }}</td>
<td>{% for raw in examples.get(reason, []) %}<pre>{{ raw }}</pre>{% else %}–{% endfor %}</td></tr>
{% else %}<tr><td colspan="3">nothing quarantined</td></tr>{% endfor %}</table>

<h2>Duplicates</h2>
<div class="figure" id="plot-duplicates">{{ plots.duplicates }}</div>
<table>{% for name, n in duplicates.items() %}<tr><td>{{ name }}</td><td class="n" data-figure="{{ name }}">{{ n }}</td></tr>{% endfor %}</table>

<h2>Late events by event_date</h2>
<div class="figure" id="plot-late">{{ plots.late }}</div>
<table>{% for day, n in late.items() %}<tr><td>{{ day }}</td><td class="n" data-late="{{ day }}">{{ n }}</td></tr>
{% else %}<tr><td>no late events</td></tr>{% endfor %}</table>

<h2>Quality per event type</h2>
<p>Events written and the entries of their schema_violations by reason, from the manifest (every
event the run accepted); the events checked, those with a blocking entry (missing_field,
wrong_type, unknown_event_name) and their rate, from Soda's check of the day
(warns above {{ "%.1f" | format(violation_rate_warn * 100) }}%).</p>
<table id="type-quality"><tr><th>type</th><th>events written</th>
{% for reason in violation_reasons %}<th>{{ reason }}</th>{% endfor %}
<th>events checked</th><th>with a blocking entry</th><th>violation rate</th><th>check</th></tr>
{% for row in types %}<tr data-type="{{ row.type }}"><td>{{ row.type }}</td>
<td class="n" data-col="written">{{ row.written }}</td>
{% for reason in violation_reasons %}<td class="n" data-col="{{ reason }}">{{ row.entries.get(reason, 0) }}</td>{% endfor %}
<td class="n" data-col="checked">{{ row.checked }}</td><td class="n" data-col="violating">{{ row.violating }}</td>
<td class="n" data-col="rate">{{ row.rate }}</td><td class="{{ row.outcome or '' }}" data-col="outcome">{{ row.outcome or "–" }}</td></tr>
{% endfor %}</table>

<h2>Soda checks</h2>
{% if scan %}<table id="soda-checks"><tr><th>check</th><th>column</th><th>outcome</th><th>value</th><th>fail if</th></tr>
{% for check in scan.checks %}<tr><td>{{ check.name }}</td><td>{{ check.column or "" }}</td>
<td class="{{ check.outcome }}" data-check-outcome>{{ check.outcome }}</td><td class="n">{{ check.value }}</td><td>{{ check.fail_threshold or "" }}</td></tr>{% endfor %}</table>
{% for error in scan.errors %}<pre class="failed">{{ error }}</pre>{% endfor %}
{% else %}<p class="failed">The Soda scan wrote no report for this day.</p>{% endif %}

<h2>The day against the {{ history_days }} days before</h2>
<div class="figure" id="plot-trend">{{ plots.trend }}</div>
<table id="trend"><tr><th>figure</th><th>this day</th><th>median before</th><th>ratio</th></tr>
{% for row in trend %}<tr><td>{{ row.name }}</td><td class="n">{{ row.value }}</td><td class="n">{{ row.median if row.median is not none else "–" }}</td><td class="n">{{ row.ratio }}</td></tr>{% endfor %}</table>
</body></html>
"""
