# eventlake on AWS: producer -> Kinesis -> Firehose (+ transform Lambda) -> S3 raw ->
# nightly MWAA DAG -> Glue job -> Parquet lake + quarantine + reports -> declared Glue tables / Athena.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name_prefix = "${var.project}-${var.environment}"
  account_id  = data.aws_caller_identity.current.account_id

  # The S3 layout is single-sourced with the Python code (eventlake.core.layout):
  # Firehose writes exactly where firehose-local, the generator and the Glue job look.
  storage_layout = jsondecode(file("${path.module}/../eventlake/core/storage_layout.json"))
  glue_database  = coalesce(var.glue_database_name, local.storage_layout.glue.database)
  stream_name    = "${local.name_prefix}-events"

  buckets = module.storage.bucket_names
  uris = {
    raw        = "s3://${local.buckets.raw}"
    lake       = "s3://${local.buckets.lake}"
    quarantine = "s3://${local.buckets.quarantine}"
    reports    = "s3://${local.buckets.reports}"
    athena     = "s3://${local.buckets.reports}/athena-results/"
    package    = "s3://${local.buckets.scripts}/eventlake/eventlake.zip"
    jar        = "s3://${local.buckets.scripts}/eventlake/eventlake-dayjob.jar"
    script     = "s3://${local.buckets.scripts}/glue_jobs/events_daily.py"
  }
}

module "kms" {
  source = "./modules/kms"

  name_prefix = local.name_prefix
  account_id  = local.account_id
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.name
}

module "storage" {
  source = "./modules/storage"

  name_prefix                        = local.name_prefix
  account_id                         = local.account_id
  partition                          = data.aws_partition.current.partition
  kms_key_arn                        = module.kms.key_arn
  force_destroy                      = var.force_destroy_buckets
  raw_expiration_days                = var.raw_expiration_days
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  athena_results_expiration_days     = var.athena_results_expiration_days
}

module "transform" {
  source = "./modules/transform"

  name_prefix          = local.name_prefix
  kms_key_arn          = module.kms.key_arn
  image_tag            = var.lambda_image_tag
  memory_mb            = var.lambda_memory_mb
  timeout_s            = var.lambda_timeout_s
  reserved_concurrency = var.lambda_reserved_concurrency
  keep_images          = var.ecr_keep_images
  log_retention_days   = var.log_retention_days
}

module "streaming" {
  source = "./modules/streaming"

  name_prefix                 = local.name_prefix
  stream_name                 = local.stream_name
  kms_key_arn                 = module.kms.key_arn
  stream_mode                 = var.kinesis_stream_mode
  shard_count                 = var.kinesis_shard_count
  retention_hours             = var.kinesis_retention_hours
  raw_bucket_arn              = module.storage.bucket_arns.raw
  firehose_prefix             = local.storage_layout.raw.firehose_prefix
  firehose_error_prefix       = local.storage_layout.raw.firehose_error_prefix
  buffer_size_mb              = var.firehose_buffer_size_mb
  buffer_interval_s           = var.firehose_buffer_interval_s
  processor_function_arn      = module.transform.function_arn
  processor_buffer_size_mb    = var.firehose_processor_buffer_size_mb
  processor_buffer_interval_s = var.firehose_processor_buffer_interval_s
  log_retention_days          = var.log_retention_days
}

module "processing" {
  source = "./modules/processing"

  name_prefix            = local.name_prefix
  account_id             = local.account_id
  partition              = data.aws_partition.current.partition
  region                 = data.aws_region.current.name
  kms_key_arn            = module.kms.key_arn
  bucket_arns            = module.storage.bucket_arns
  database_name          = local.glue_database
  tables                 = local.storage_layout.tables
  uris                   = local.uris
  worker_type            = var.glue_worker_type
  number_of_workers      = var.glue_number_of_workers
  timeout_minutes        = var.glue_timeout_minutes
  additional_modules     = var.glue_additional_python_modules
  log_retention_days     = var.log_retention_days
  athena_expiration_days = var.athena_results_expiration_days
  job_defaults = {
    grace_minutes      = var.grace_minutes
    lookback_days      = var.lookback_days
    max_future_skew_s  = var.max_future_skew_s
    max_event_age_days = var.max_event_age_days
  }
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix           = local.name_prefix
  account_id            = local.account_id
  partition             = data.aws_partition.current.partition
  kms_key_arn           = module.kms.key_arn
  alert_email           = var.alert_email
  stream_name           = module.streaming.stream_name
  delivery_stream_name  = module.streaming.delivery_stream_name
  function_name         = module.transform.function_name
  glue_job_name         = module.processing.job_name
  iterator_age_alarm_ms = var.kinesis_iterator_age_alarm_ms
  freshness_alarm_s     = var.firehose_freshness_alarm_s
  buffer_interval_s     = var.firehose_buffer_interval_s
}

module "orchestration" {
  source = "./modules/orchestration"

  name_prefix              = local.name_prefix
  account_id               = local.account_id
  partition                = data.aws_partition.current.partition
  region                   = data.aws_region.current.name
  kms_key_arn              = module.kms.key_arn
  bucket_arns              = module.storage.bucket_arns
  raw_events_root          = local.storage_layout.raw.events_root
  create_environment       = var.create_mwaa
  environment_class        = var.mwaa_environment_class
  min_workers              = var.mwaa_min_workers
  max_workers              = var.mwaa_max_workers
  webserver_access_mode    = var.mwaa_webserver_access_mode
  log_level                = var.mwaa_log_level
  log_retention_days       = var.log_retention_days
  create_vpc               = var.create_vpc
  vpc_cidr                 = var.vpc_cidr
  availability_zones       = var.availability_zones
  existing_vpc_id          = var.existing_vpc_id
  existing_subnet_ids      = var.existing_private_subnet_ids
  glue_job_arn             = module.processing.job_arn
  glue_catalog_arns        = module.processing.catalog_arns
  glue_type_table_arns     = module.processing.type_table_arns
  glue_declared_table_arns = module.processing.declared_table_arns
  glue_job_log_group_arn   = module.processing.job_log_group_arn
  athena_workgroup_arn     = module.processing.workgroup_arn
  alerts_topic_arn         = module.monitoring.topic_arn

  # The DAG reads these from the [eventlake] Airflow config section (AIRFLOW__EVENTLAKE__*).
  eventlake_settings = {
    target            = "aws"
    raw_uri           = local.uris.raw
    lake_uri          = local.uris.lake
    quarantine_uri    = local.uris.quarantine
    reports_uri       = local.uris.reports
    glue_job_name     = module.processing.job_name
    glue_database     = module.processing.database_name
    athena_workgroup  = module.processing.workgroup_name
    athena_output_uri = local.uris.athena
    alerts_topic_arn  = module.monitoring.topic_arn
    grace_minutes     = tostring(var.grace_minutes)
    lookback_days     = tostring(var.lookback_days)
    region_name       = var.region
    # Soda runs in its own venv (its pins clash with Airflow's constraints); startup.sh builds it.
    soda_python             = "/usr/local/airflow/soda-venv/bin/python"
    max_future_skew_s       = tostring(var.max_future_skew_s)
    max_event_age_days      = tostring(var.max_event_age_days)
    firehose_buffer_minutes = tostring(ceil(var.firehose_buffer_interval_s / 60))
  }
}
