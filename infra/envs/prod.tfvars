# terraform apply -var-file=envs/prod.tfvars (eventlake deploy --env prod does this)
environment = "prod"
region      = "eu-west-1"

force_destroy_buckets = false
log_retention_days    = 365
raw_expiration_days   = 30

# Provisioned: 1 shard per 1,000 records/s or 1 MiB/s of writes (whichever needs more),
# plus ~30 % headroom. 4 shards carry a 3,000 ev/s peak of ~1 KiB events.
# `eventlake capacity` prints the number for a given peak.
kinesis_stream_mode     = "PROVISIONED"
kinesis_shard_count     = 4
kinesis_retention_hours = 72

firehose_buffer_size_mb    = 128
firehose_buffer_interval_s = 300

lambda_memory_mb            = 1024
lambda_reserved_concurrency = 50

glue_worker_type       = "G.2X"
glue_number_of_workers = 10

mwaa_environment_class     = "mw1.medium"
mwaa_min_workers           = 1
mwaa_max_workers           = 5
mwaa_webserver_access_mode = "PRIVATE_ONLY"

# alert_email = "data-oncall@example.com"
