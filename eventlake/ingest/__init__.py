"""Real-time ingestion: the Firehose transform Lambda, the producer and its spool, AWS clients.

The Lambda image ships eventlake.core and this package, nothing else.
"""
