"""`eventlake schemas check|release`: tracking plan changes that cannot break readers."""

from __future__ import annotations

import argparse
import json
from importlib.resources.abc import Traversable
from pathlib import Path

from eventlake.core.errors import UsageError
from eventlake.core.plan import TrackingPlan, load_plan, tracking_plan
from eventlake.core.plan_evolution import (
    Comparison,
    compare,
    latest_release,
    plan_from_dict,
    released_folder,
    snapshot_text,
)


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "schemas",
        help="check tracking plan changes against the last released plan, and release it",
        description="Compare the tracking plan with its last released snapshot "
        "(tracking_plan/released/v<N>.json): changes that older partitions' readers "
        "survive pass, the others fail with exit code 1.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, func, text in (
        ("check", run_check, "compare the plan with the last released snapshot"),
        ("release", run_release, "check, then write released/v<version>.json"),
    ):
        a = actions.add_parser(name, help=text, description=text)
        a.add_argument(
            "--plan-dir", type=Path, help="a plan folder: plan.json and types/ (default: shipped)"
        )
        a.add_argument("--released-dir", type=Path, help="the snapshots' folder (default: shipped)")
        a.set_defaults(func=func)


def run_check(args: argparse.Namespace) -> int:
    plan, folder = _plan(args), args.released_dir or released_folder()
    comparison = _compare(plan, folder)
    if comparison is None:
        print(f"schemas check: no released snapshot in {folder}; run `eventlake schemas release`")
        return 1
    return 0 if _report(comparison) else 1


def run_release(args: argparse.Namespace) -> int:
    plan, folder = _plan(args), args.released_dir or released_folder()
    comparison = _compare(plan, folder)
    if comparison is not None and not _report(comparison):
        return 1
    if not isinstance(folder, Path):
        raise UsageError(f"cannot write into {folder}: pass --released-dir")
    target = folder / f"v{plan.version}.json"
    if target.exists():
        if json.loads(target.read_text()) == plan.to_dict():
            print(f"schemas release: v{plan.version} is already released ({target})")
            return 0
        print(f"schemas release: {target} exists with different contents; bump the version")
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(snapshot_text(plan))
    print(f"schemas release: wrote {target}; commit it")
    return 0


def _plan(args: argparse.Namespace) -> TrackingPlan:
    try:
        return load_plan(args.plan_dir) if args.plan_dir else tracking_plan()
    except (OSError, ValueError, KeyError) as exc:  # PlanError is a ValueError
        raise UsageError(f"cannot load the plan: {exc}") from exc


def _compare(plan: TrackingPlan, folder: Traversable) -> Comparison | None:
    try:
        release = latest_release(folder)
        if release is None:
            return None
        n, snapshot = release
        released = plan_from_dict(snapshot)
    except (ValueError, KeyError) as exc:
        raise UsageError(f"a snapshot in {folder} is not a plan: {exc}") from exc
    if released.version != n:
        raise UsageError(f"{folder}/v{n}.json holds version {released.version}")
    return compare(released, plan)


def _report(c: Comparison) -> bool:
    """Print the comparison; True if it passes."""
    if c.same:
        print(f"schemas check: the plan equals released v{c.released_version}")
        return True
    print(f"schemas check: plan v{c.version} against released v{c.released_version}")
    for line in c.allowed:
        print(f"  allowed: {line}")
    for line in c.refused:
        print(f"  refused: {line}")
    if c.refused:
        print(f"schemas check: failed ({len(c.refused)} refused)")
    else:
        print(f"schemas check: passed ({len(c.allowed)} allowed)")
    return c.ok
