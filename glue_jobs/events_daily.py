"""AWS Glue 5.0 entry point of the nightly day job: arguments, session, one call into eventlake.

In Glue it uses getResolvedOptions, GlueContext and Job.init/commit. Where `awsglue` is not
installed (a laptop, CI, `spark-submit`), the same arguments run on a local SparkSession.
"""

from __future__ import annotations

import json
import sys


def run_in_glue(argv: list[str]) -> dict:
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    from eventlake.spark.config import config_from_arguments, glue_argument_names
    from eventlake.spark.job import run_day_job

    args = getResolvedOptions(argv, ["JOB_NAME", *glue_argument_names(argv)])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    manifest = run_day_job(glue_context.spark_session, config_from_arguments(args))
    job.commit()
    return manifest


def run_locally(argv: list[str]) -> dict:
    from eventlake.spark.config import config_from_arguments, parse_local_arguments
    from eventlake.spark.job import run_day_job
    from eventlake.spark.session import local_session

    config = config_from_arguments(parse_local_arguments(argv[1:]))
    return run_day_job(local_session(), config)


def in_glue(argv: list[str]) -> bool:
    """Glue always passes --JOB_NAME; `awsglue` alone may be a local stub (awsglue-dev)."""
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return "--JOB_NAME" in argv


def main(argv: list[str]) -> int:
    manifest = run_in_glue(argv) if in_glue(argv) else run_locally(argv)
    print(json.dumps({"run_date": manifest["run_date"], **manifest["counts"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
