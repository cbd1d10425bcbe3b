"""AWS Glue 6.0 entry point of the nightly day job: arguments, session, one call into eventlake.

In Glue it uses getResolvedOptions, GlueContext and Job.init/commit. Where `awsglue` is not
installed (a laptop, CI, the local target), the same arguments run on a local SparkSession.
The eventlake package (core + dayjob) comes from the job's --extra-py-files zip.
"""

from __future__ import annotations

import sys


def run_in_glue(argv: list[str]) -> None:
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    from eventlake.core.job_params import DayJobParams
    from eventlake.dayjob.entry import run

    # getResolvedOptions rejects a name it is asked for but not given: ask for those present.
    present = [n.removeprefix("--") for n in DayJobParams.argument_names() if n in argv]
    args = getResolvedOptions(argv, ["JOB_NAME", "JOB_RUN_ID", *present])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    # Glue injects JOB_RUN_ID; the manifest carries it, so the DAG can tell it is this run's.
    params = DayJobParams.from_arguments({**args, "job_run_id": args["JOB_RUN_ID"]})
    run(glue_context.spark_session, params)
    job.commit()


def in_glue(argv: list[str]) -> bool:
    """Glue always passes --JOB_NAME; `awsglue` alone may be a local stub (awsglue-dev)."""
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return "--JOB_NAME" in argv


def main(argv: list[str]) -> int:
    if in_glue(argv):
        run_in_glue(argv)
    else:
        from eventlake.dayjob.entry import run_locally

        run_locally(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
