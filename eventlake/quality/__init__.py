"""The Soda data contract of the events table, the scan runner and its reports.

Runs wherever soda-core is installed: the project venv locally, the Soda venv that
startup.sh builds on MWAA. It never imports Airflow. Shipped in plugins.zip.
"""
