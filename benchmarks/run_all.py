"""Run every stage benchmark, then write one JSON file and a Markdown table of the results.

Usage: python benchmarks/run_all.py [--smoke] [--only NAME[,NAME]] [--out DIR] [--jobs N] [--list]

A benchmark is a module benchmarks/bench_<name>.py exposing `run(smoke: bool) -> dict`.
Each runs in its own Python process (a crash, a hang or a leftover JVM in one cannot harm
the others); a failure is reported and the rest still run. The exit code is 1 if any failed.

The result shape every benchmark should return (extra keys are kept; a dict of any other
shape is still recorded and shown generically, never a crash):

    {
      "stage": "generator",                    # what part of the pipeline was measured
      "figures": [
        {
          "name": "write_firehose_day",        # what was measured
          "value": 81234.0, "unit": "events/s",
          "baseline_name": "bare uuid4+orjson+gzip loop",   # measured in the same run
          "baseline_value": 150000.0,
          "ratio": 0.54,                       # value / baseline_value (or as the note says)
          "target": ">= 0.3" ,                 # the issue's target for the ratio, or None
          "met": true,                         # whether the target was met, or None
        },
      ],
      "notes": "what dominates, what was tried, sizes used",
      "extra": {...},                          # optional: any other measurements
    }

Outputs: benchmarks/results/<UTC timestamp>[-smoke].json (everything, plus machine facts)
and benchmarks/results/latest.md (the table; a smoke run writes latest-smoke.md instead, so it
never hides the last real figures). The table is also printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_OUT = BENCH_DIR / "results"
TIMEOUT_S = {"smoke": 300, "full": 3 * 3600}


def discover() -> dict[str, Path]:
    """bench_<name>.py files beside this script, by name."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(BENCH_DIR.glob("bench_*.py"))}


def select(found: dict[str, Path], only: str | None) -> dict[str, Path]:
    if not only:
        return found
    wanted = [n.strip().removeprefix("bench_").removesuffix(".py") for n in only.split(",")]
    missing = [n for n in wanted if n not in found]
    if missing:
        known = ", ".join(found) or "none"
        raise SystemExit(f"run_all: no benchmark named {', '.join(missing)} (found: {known})")
    return {n: found[n] for n in wanted}


# --- one benchmark, in a child process ---


def run_child(path: Path, smoke: bool, result_file: Path) -> int:
    """Import the module and call run(smoke); write {"result": ...} or {"error": ...}."""
    sys.path[:0] = [str(BENCH_DIR), str(REPO)]
    outcome: dict[str, Any]
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not callable(getattr(module, "run", None)):
            outcome = {"status": "skipped", "error": "module has no run(smoke) function"}
        else:
            result = module.run(smoke=smoke)
            outcome = {"status": "ok", "result": result}
    except Exception as exc:
        outcome = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=8),
        }
    result_file.write_text(json.dumps(outcome, default=_json_default))
    return 0


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path | datetime):
        return str(value)
    return repr(value)


def run_one(name: str, path: Path, smoke: bool) -> dict[str, Any]:
    timeout = TIMEOUT_S["smoke" if smoke else "full"]
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(path)]
        cmd += ["--result-file", str(result_file)] + (["--smoke"] if smoke else [])
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "failed", "error": f"timed out after {timeout} s", "seconds": timeout}
        seconds = time.perf_counter() - started
        if not result_file.exists():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
            return {
                "status": "failed",
                "error": f"process exited {proc.returncode} without a result: " + " | ".join(tail),
                "seconds": seconds,
            }
        outcome = json.loads(result_file.read_text())
    outcome["seconds"] = seconds
    if outcome["status"] == "ok" and not isinstance(outcome.get("result"), dict):
        outcome = {
            "status": "failed",
            "error": f"run() returned {type(outcome.get('result')).__name__}, not a dict",
            "seconds": seconds,
        }
    return outcome


# --- reporting ---


def table_rows(name: str, outcome: dict[str, Any]) -> list[dict[str, str]]:
    """Rows of the results table for one benchmark, whatever shape its result has."""
    if outcome["status"] != "ok":
        return [_row(name, outcome["status"].upper(), outcome.get("error", ""), "", "", "", "")]
    result = outcome["result"]
    stage = stage_name(name, result)
    figures = result.get("figures")
    if isinstance(figures, list) and all(isinstance(f, dict) for f in figures) and figures:
        return [_figure_row(stage, f) for f in figures]
    rows = [_row(stage, key, _fmt(value), "", "", "", "") for key, value in _scalars(result)]
    return rows or [_row(stage, "(result)", _fmt(result)[:80], "", "", "", "")]


def stage_name(name: str, result: dict[str, Any]) -> str:
    return str(result.get("stage") or result.get("name") or name)


def _scalars(result: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar values of any other result shape; nested dicts flattened with dots."""
    found: list[tuple[str, Any]] = []
    for key, value in result.items():
        if not prefix and key in ("stage", "name", "notes", "extra"):
            continue
        if isinstance(value, dict):
            found += _scalars(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            found.append((f"{prefix}{key}", value))
    return found


def _figure_row(stage: str, f: dict[str, Any]) -> dict[str, str]:
    unit = f.get("unit") or ""
    value = f"{_fmt(f.get('value'))} {unit}".strip()
    baseline = ""
    if f.get("baseline_name") or f.get("baseline_value") is not None:
        base_value = f.get("baseline_value")
        base_unit = f.get("baseline_unit", unit) or ""
        baseline = f"{f.get('baseline_name', '')}: {_fmt(base_value)} {base_unit}".strip(": ")
    ratio = f.get("ratio")
    met = f.get("met")
    met_text = "" if met is None else ("yes" if met else "NO")
    return _row(
        stage,
        str(f.get("name", "?")),
        value,
        baseline,
        "" if ratio is None else _fmt(ratio),
        str(f.get("target") or ""),
        met_text,
    )


def _row(stage, figure, value, baseline, ratio, target, met) -> dict[str, str]:
    return {
        "stage": stage,
        "figure": figure,
        "value": value,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


COLUMNS = ("stage", "figure", "value", "baseline", "ratio", "target", "met")


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    rows = [r for name, o in report["benchmarks"].items() for r in table_rows(name, o)]
    m = report["machine"]
    lines = [
        f"# Benchmark results ({'smoke' if report['smoke'] else 'full'} run)",
        "",
        f"Run {report['started_at']} on {m['cpu']} ({m['cpu_count']} cores, "
        f"{m['memory_gib']} GiB, load average {m['load_average_1_5_15_min']} at start, "
        f"{m.get('load_average_at_end')} at end), Python {m['python']}, "
        f"commit {report['git_commit']}. "
        f"Raw results: `{report['results_file']}`.",
        "",
        "Each ratio compares the figure with a baseline measured in the same run.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(r[c].replace("|", "\\|") for c in COLUMNS) + " |" for r in rows]
    notes = [
        (name, o["result"].get("notes"), o["seconds"])
        for name, o in report["benchmarks"].items()
        if o["status"] == "ok" and isinstance(o["result"].get("notes"), str)
    ]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- **{name}** ({sec:.1f} s): {text}" for name, text, sec in notes]
    failed = {n: o for n, o in report["benchmarks"].items() if o["status"] == "failed"}
    if failed:
        lines += ["", "## Failures", ""]
        lines += [f"- **{n}**: {o['error']}" for n, o in failed.items()]
    return "\n".join(lines) + "\n"


def print_table(report: dict[str, Any]) -> None:
    rows = [r for name, o in report["benchmarks"].items() for r in table_rows(name, o)]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text if rich is missing
        for r in rows:
            print(" | ".join(r[c] for c in COLUMNS))
        return
    table = Table(title="benchmarks", header_style="bold")
    for c in COLUMNS:
        table.add_column(c, justify="right" if c in ("value", "ratio") else "left")
    for r in rows:
        table.add_row(*(r[c] for c in COLUMNS))
    Console(width=max(Console().width, 160)).print(table)


def machine_facts() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = round(pages / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        memory = None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "load_average_1_5_15_min": load,  # other work on the machine skews absolute rates
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def table_name(smoke: bool) -> str:
    return "latest-smoke.md" if smoke else "latest.md"


def run_suite(smoke: bool, only: str | None, out: Path, jobs: int = 1) -> dict[str, Any]:
    chosen = select(discover(), only)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ") + ("-smoke" if smoke else "")
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / f"{stamp}.json"
    report: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "smoke": smoke,
        "machine": machine_facts(),
        "git_commit": git_commit(),
        "results_file": str(
            results_file.relative_to(REPO) if results_file.is_relative_to(REPO) else results_file
        ),
        "benchmarks": {},
    }

    def one(name: str) -> dict[str, Any]:
        print(f"[run_all] {name} ({'smoke' if smoke else 'full'}) ...", file=sys.stderr, flush=True)
        outcome = run_one(name, chosen[name], smoke)
        print(
            f"[run_all] {name}: {outcome['status']} in {outcome['seconds']:.1f} s"
            + (f" - {outcome['error']}" if outcome["status"] != "ok" else ""),
            file=sys.stderr,
            flush=True,
        )
        return outcome

    # Full runs go one at a time so no benchmark competes for the cores; smoke figures mean
    # nothing, so smoke runs may overlap to stay fast.
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, chosen))
    report["benchmarks"] = dict(zip(chosen, outcomes, strict=True))
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["machine"]["load_average_at_end"] = machine_facts()["load_average_1_5_15_min"]
    report["table_file"] = str(out / table_name(smoke))
    results_file.write_text(json.dumps(report, indent=2, default=_json_default))
    (out / table_name(smoke)).write_text(markdown(report))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--only", help="comma-separated benchmark names, e.g. generator,transform")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--jobs", type=int, help="benchmarks run at once (default: 1; 2 with --smoke)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child, args.smoke, args.result_file)
    if args.list:
        print("\n".join(discover()))
        return 0
    jobs = args.jobs or (2 if args.smoke else 1)
    report = run_suite(args.smoke, args.only, args.out, jobs)
    print_table(report)
    statuses = [o["status"] for o in report["benchmarks"].values()]
    print(
        f"{statuses.count('ok')} ok, {statuses.count('failed')} failed, "
        f"{statuses.count('skipped')} skipped; results: {report['results_file']} and "
        f"{report['table_file']}"
    )
    return 1 if "failed" in statuses else 0


if __name__ == "__main__":
    sys.exit(main())
