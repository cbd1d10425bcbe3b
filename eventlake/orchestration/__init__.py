"""Builds the `events_daily` DAG's tasks for the aws (MWAA) and local targets."""
