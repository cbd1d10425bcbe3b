# terraform apply -var-file=envs/dev.tfvars (eventlake deploy --env dev does this)
environment = "dev"
region      = "eu-west-1"

force_destroy_buckets = true
log_retention_days    = 30
raw_expiration_days   = 14

kinesis_stream_mode     = "ON_DEMAND"
kinesis_retention_hours = 24

firehose_buffer_size_mb    = 64
firehose_buffer_interval_s = 300

lambda_memory_mb            = 512
lambda_reserved_concurrency = 10

glue_worker_type       = "G.1X"
glue_number_of_workers = 2

mwaa_environment_class     = "mw1.micro"
mwaa_min_workers           = 1
mwaa_max_workers           = 1
mwaa_webserver_access_mode = "PUBLIC_ONLY" # still needs IAM sign-in; no VPN needed in dev
