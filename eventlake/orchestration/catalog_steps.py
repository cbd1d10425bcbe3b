"""register_partitions and publish: the write-audit-publish steps around quality_checks.

The day job writes run D's files (write). register_partitions adds run D's partitions to
events_audit, quarantine and manifests, where quality_checks reads them (audit). publish adds
exactly the audited partitions to events, the table analysts query (and each type's to its
events_<type> table), and emits the Asset (publish). A day whose checks fail stays out of
events. Both steps use the Glue catalog on target aws and its DuckDB twin on target local
(docs/orchestration.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import Asset, BaseOperator
from airflow.sdk.exceptions import AirflowException

from eventlake.core.manifest import Manifest
from eventlake.core.tables import EVENTS
from eventlake.orchestration.day import describe_day, parse_run_date
from eventlake.orchestration.day_job import JOB_RUN_ID_KEY, MANIFEST_COUNTS_KEY
from eventlake.orchestration.duckdb_catalog import DuckDBCatalog
from eventlake.orchestration.glue_catalog import GlueCatalog
from eventlake.orchestration.settings import EventlakeSettings

ASSET_NAME = "eventlake_events"


def catalog_for(settings: EventlakeSettings) -> GlueCatalog | DuckDBCatalog:
    job = settings.job
    buckets = {"lake": job.lake_uri, "quarantine": job.quarantine_uri, "reports": job.reports_uri}
    if not settings.is_aws:
        return DuckDBCatalog(settings.catalog_path, buckets, job.reports_uri)
    from airflow.providers.amazon.aws.hooks.glue_catalog import GlueCatalogHook

    hook = GlueCatalogHook(
        aws_conn_id=settings.aws_conn_id, region_name=settings.region_name or None
    )
    return GlueCatalog(hook.get_conn(), settings.glue_database, buckets)


def events_asset(settings: EventlakeSettings) -> Asset:
    """`s3://<lake bucket>/.../events` in AWS, `file:///.../events` locally."""
    return Asset(name=ASSET_NAME, uri=settings.lake_table_uri, group="eventlake")


class RegisterPartitionsOperator(BaseOperator):
    """Registers run D's partitions for the audit, from the manifest of this run's job."""

    template_fields: Sequence[str] = ("run_date",)

    def __init__(self, *, run_date: str, settings: EventlakeSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_date = run_date
        self.settings = settings

    def execute(self, context: Any) -> dict[str, int]:
        day = parse_run_date(self.run_date)
        self.log.info("run %s", describe_day(day))
        manifest = Manifest.read(self.settings.job.reports_uri, day)
        ran = context["ti"].xcom_pull(task_ids="run_day_job", key=JOB_RUN_ID_KEY)
        if ran and manifest.job_run_id != ran:
            raise AirflowException(
                f"the manifest of {day} was written by run {manifest.job_run_id!r}, not by "
                f"this DAG run's job run {ran!r}: rerun run_day_job"
            )
        results = catalog_for(self.settings).register(manifest)
        for name, result in results.items():
            self.log.info("%s", result.line(name))
        return {name: result.partitions for name, result in results.items()}


class PublishOperator(BaseOperator):
    """Makes run D's audited partitions visible in events and the per-type tables; the Asset
    event carries the day."""

    template_fields: Sequence[str] = ("run_date",)

    def __init__(
        self, *, run_date: str, settings: EventlakeSettings, asset: Asset, **kwargs: Any
    ) -> None:
        super().__init__(outlets=[asset], **kwargs)
        self.run_date = run_date
        self.settings = settings
        self.asset = asset

    def execute(self, context: Any) -> dict[str, Any]:
        day = parse_run_date(self.run_date)
        results = catalog_for(self.settings).publish(day)
        for name, result in results.items():
            self.log.info("%s", result.line(name))
        counts = context["ti"].xcom_pull(task_ids="run_day_job", key=MANIFEST_COUNTS_KEY) or {}
        extra = {
            "run_date": self.run_date,
            "written": counts.get("written"),
            "partitions": results[EVENTS].partitions,
        }
        context["outlet_events"][self.asset].extra = extra
        self.log.info("published %s for run_date %s: %s", self.asset.uri, self.run_date, extra)
        return extra
