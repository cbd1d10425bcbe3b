"""Real-time ingestion: the Firehose transform Lambda, the producer and its spool, the file
shipper (tailer, checkpoint), AWS clients.

The Lambda image ships eventlake.core and this package, nothing else.
"""
