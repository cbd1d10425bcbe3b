# --- Where and what ---

variable "region" {
  description = "AWS region for the whole stack."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "eventlake"
}

variable "environment" {
  description = "Deployment environment; part of every resource name."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters, digits or dashes (it goes into bucket names)."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` delete non-empty buckets. Keep false outside throwaway dev stacks."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group this stack creates (Firehose, Lambda, Glue, MWAA, VPC flow logs)."
  type        = number
  default     = 365
}

# --- S3 ---

variable "raw_expiration_days" {
  description = "Days raw Firehose objects are kept. The nightly job reads a day plus its grace period and lookback, so keep it above lookback_days."
  type        = number
  default     = 30
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced object version is kept (reruns replace lake partitions)."
  type        = number
  default     = 30
}

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept under the reports bucket."
  type        = number
  default     = 30
}

# --- Kinesis ---

variable "kinesis_stream_mode" {
  description = "ON_DEMAND (default) or PROVISIONED. Provisioned sizing: one shard takes 1,000 records/s and 1 MiB/s of writes; shards = ceil(max(peak records/s / 1000, peak MiB/s / 1)) plus headroom. `eventlake capacity` computes it."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.kinesis_stream_mode)
    error_message = "kinesis_stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "kinesis_shard_count" {
  description = "Shards in PROVISIONED mode (ignored on demand). See kinesis_stream_mode for the sizing rule."
  type        = number
  default     = 2

  validation {
    condition     = var.kinesis_shard_count >= 1
    error_message = "kinesis_shard_count must be at least 1."
  }
}

variable "kinesis_retention_hours" {
  description = "Stream retention, 24-8760 hours. Longer retention lets Firehose catch up after an outage."
  type        = number
  default     = 24

  validation {
    condition     = var.kinesis_retention_hours >= 24 && var.kinesis_retention_hours <= 8760
    error_message = "kinesis_retention_hours must be between 24 and 8760."
  }
}

variable "kinesis_iterator_age_alarm_ms" {
  description = "Alarm when Firehose falls this far behind the stream."
  type        = number
  default     = 900000
}

# --- Firehose ---

variable "firehose_buffer_size_mb" {
  description = "Firehose S3 buffer size (MiB, 64-128 with a Lambda processor keeps objects large)."
  type        = number
  default     = 128
}

variable "firehose_buffer_interval_s" {
  description = "Firehose S3 buffer interval in seconds (0-900)."
  type        = number
  default     = 300
}

variable "firehose_processor_buffer_size_mb" {
  description = "MiB Firehose batches per Lambda invocation (1-3; Lambda's 6 MiB response limit applies)."
  type        = number
  default     = 1
}

variable "firehose_processor_buffer_interval_s" {
  description = "Seconds Firehose waits to fill a Lambda batch (0-900)."
  type        = number
  default     = 60
}

variable "firehose_freshness_alarm_s" {
  description = "Alarm when the oldest record not yet in S3 is older than this."
  type        = number
  default     = 1200
}

# --- Lambda transform ---

variable "lambda_image_tag" {
  description = "Tag of the transform image in the ECR repository. `eventlake deploy` computes it from the image contents and passes it."
  type        = string
}

variable "lambda_memory_mb" {
  description = "Transform Lambda memory (MiB); CPU scales with it."
  type        = number
  default     = 512
}

variable "lambda_timeout_s" {
  description = "Transform Lambda timeout. Firehose allows at most 300 s for a processor."
  type        = number
  default     = 120

  validation {
    condition     = var.lambda_timeout_s >= 1 && var.lambda_timeout_s <= 300
    error_message = "lambda_timeout_s must be 1-300 (Firehose's processor limit)."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Cap on concurrent transform invocations; -1 for no reservation."
  type        = number
  default     = 50
}

variable "ecr_keep_images" {
  description = "Tagged transform images kept in ECR; older ones expire."
  type        = number
  default     = 20
}

# --- Glue / Athena ---

variable "glue_database_name" {
  description = "Glue catalog database. Null uses storage_layout.json's glue.database (\"eventlake\"); set it when two environments share an account."
  type        = string
  default     = null
}

variable "glue_worker_type" {
  description = "Glue worker type (G.1X, G.2X, G.4X, ...)."
  type        = string
  default     = "G.1X"
}

variable "glue_number_of_workers" {
  description = "Glue workers (2 minimum). Roughly one G.1X worker per 4-8M events a night."
  type        = number
  default     = 4
}

variable "glue_timeout_minutes" {
  description = "Kill the nightly job after this long."
  type        = number
  default     = 120
}

variable "glue_additional_python_modules" {
  description = "Wheels Glue installs before the job (the shared package needs orjson)."
  type        = string
  default     = "orjson==3.13.0"
}

variable "grace_minutes" {
  description = "Minutes after midnight the job still waits for late Firehose objects of the previous day."
  type        = number
  default     = 60
}

variable "lookback_days" {
  description = "Days of lake history the job reads to drop duplicates that arrive on a later day."
  type        = number
  default     = 7
}

variable "max_future_skew_s" {
  description = "Events created more than this many seconds after arrival are quarantined."
  type        = number
  default     = 300
}

variable "max_event_age_days" {
  description = "Events older than this at arrival are quarantined."
  type        = number
  default     = 7
}

# --- MWAA ---

variable "create_mwaa" {
  description = "Create the MWAA environment. Set false where it cannot be created, e.g. against an emulated account (moto has no MWAA): everything else, including the DAG's execution role and [eventlake] settings, is still applied."
  type        = bool
  default     = true
}

variable "mwaa_environment_class" {
  description = "MWAA environment class (mw1.micro, mw1.small, mw1.medium, ...)."
  type        = string
  default     = "mw1.small"
}

variable "mwaa_min_workers" {
  description = "Minimum MWAA workers."
  type        = number
  default     = 1
}

variable "mwaa_max_workers" {
  description = "Maximum MWAA workers."
  type        = number
  default     = 2
}

variable "mwaa_webserver_access_mode" {
  description = "PRIVATE_ONLY (reach the UI through the VPC) or PUBLIC_ONLY (internet, still behind IAM sign-in)."
  type        = string
  default     = "PRIVATE_ONLY"

  validation {
    condition     = contains(["PRIVATE_ONLY", "PUBLIC_ONLY"], var.mwaa_webserver_access_mode)
    error_message = "mwaa_webserver_access_mode must be PRIVATE_ONLY or PUBLIC_ONLY."
  }
}

variable "mwaa_log_level" {
  description = "Airflow log level shipped to CloudWatch."
  type        = string
  default     = "INFO"
}

variable "create_vpc" {
  description = "Create a VPC for MWAA (two private subnets behind a NAT gateway). False uses existing_vpc_id and existing_private_subnet_ids."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "CIDR of the created VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "availability_zones" {
  description = "Two availability zones for the created subnets; empty means <region>a and <region>b."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) == 2
    error_message = "availability_zones must list exactly two zones (MWAA uses two subnets)."
  }
}

variable "existing_vpc_id" {
  description = "VPC for MWAA when create_vpc = false."
  type        = string
  default     = null
}

variable "existing_private_subnet_ids" {
  description = "Exactly two private subnets in different AZs with outbound access, when create_vpc = false."
  type        = list(string)
  default     = []
}

# --- Alerts ---

variable "alert_email" {
  description = "Optional e-mail subscribed to the alert topic (confirm the subscription mail)."
  type        = string
  default     = null
}
