"""update_catalog: the Glue crawler in AWS, a rebuild of the DuckDB catalog file locally."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from eventlake.orchestration.duckdb_catalog import build_local_catalog
from eventlake.orchestration.settings import EventlakeSettings


class LocalCatalogOperator(BaseOperator):
    def __init__(self, *, settings: EventlakeSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings

    def execute(self, context: Any) -> dict[str, int]:
        s = self.settings
        j = s.job
        counts = build_local_catalog(s.catalog_path, j.lake_uri, j.quarantine_uri, j.reports_uri)
        self.log.info("local catalog %s refreshed: %s", s.catalog_path, counts)
        self.log.info('query it with: duckdb %s "SELECT count(*) FROM events"', s.catalog_path)
        return counts


def crawler_operator(settings: EventlakeSettings, **kwargs: Any) -> BaseOperator:
    """GlueCrawlerRunOperator: the successor of the deprecated GlueCrawlerOperator (provider
    9.34). The crawler itself (targets, schema policy) is defined in Terraform."""
    from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerRunOperator

    return GlueCrawlerRunOperator(
        crawler_name=settings.crawler_name,
        aws_conn_id=settings.aws_conn_id,
        region_name=settings.region_name or None,
        deferrable=settings.deferrable,
        poll_interval=settings.glue_poll_seconds,
        # a crawl still running from a rerun is waited for, not an error
        fail_on_already_running=False,
        **kwargs,
    )
