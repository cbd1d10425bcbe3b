"""The Soda data contract of the events table, the scan runner and its reports."""
