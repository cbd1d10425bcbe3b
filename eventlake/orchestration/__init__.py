"""MWAA (and the local Airflow): the events_daily tasks for the aws and local targets.

Shipped in plugins.zip with eventlake.core and eventlake.quality. This package's init
imports nothing, so the demo can read DAG_ID without loading Airflow.
"""

DAG_ID = "events_daily"
