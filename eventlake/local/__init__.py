"""The laptop twin of AWS: local Kinesis (moto), local Firehose, the demo, the local Airflow UI.

Never shipped to AWS.
"""
