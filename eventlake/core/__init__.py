"""Imported by every runtime (the Lambda, Glue, MWAA, the CLI): the event contract, the
S3 layout, object storage, the run manifest, the day job's parameters and shared errors.

Pure Python with orjson only: boto3 is imported lazily, where an S3 location is used.
"""
