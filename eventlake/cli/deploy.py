"""`eventlake deploy`: the Terraform stack, the Lambda image, the Glue code and the DAGs."""

from __future__ import annotations

import argparse
from pathlib import Path

from eventlake.tools import deploy
from eventlake.tools.deploy import DeployConfig, run_deploy


def _repo_root_default() -> Path:
    return Path(__file__).resolve().parents[2]


def add_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deploy",
        help="Deploy the AWS stack and ship the Lambda image, Glue code and DAGs.",
        description=deploy.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--env", default="dev", help="dev or prod: uses infra/envs/<env>.tfvars (default dev)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print every step and command; change nothing"
    )
    parser.add_argument(
        "--skip-terraform", action="store_true", help="ship code only; the stack exists"
    )
    parser.add_argument(
        "--skip-image", action="store_true", help="do not build or push the Lambda image"
    )
    parser.add_argument(
        "--no-mwaa-update",
        action="store_true",
        help="upload MWAA files but only print the update-environment call",
    )
    parser.add_argument(
        "--auto-approve", action="store_true", help="pass -auto-approve to terraform apply"
    )
    parser.add_argument(
        "--outputs", type=Path, help="terraform output -json saved to a file, instead of the state"
    )
    parser.add_argument(
        "--repo-root", type=Path, default=_repo_root_default(), help=argparse.SUPPRESS
    )
    parser.set_defaults(func=deploy_command)


def deploy_command(args: argparse.Namespace) -> int:
    cfg = DeployConfig(
        env=args.env,
        repo_root=args.repo_root.resolve(),
        dry_run=args.dry_run,
        skip_terraform=args.skip_terraform,
        skip_image=args.skip_image,
        update_mwaa=not args.no_mwaa_update,
        auto_approve=args.auto_approve,
        outputs_file=args.outputs,
    )
    report = run_deploy(cfg)
    print(report.summary(cfg.env, cfg.dry_run))
    return 0
