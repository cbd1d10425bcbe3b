# The nightly job and what reads its output: the Glue job, the declared catalog tables, Athena.

variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for job output, logs, bookmarks and Athena results."
  type        = string
}

variable "bucket_arns" {
  description = "Bucket ARN per purpose (raw, lake, quarantine, reports, scripts, mwaa)."
  type        = map(string)
}

variable "database_name" {
  description = "Glue catalog database."
  type        = string
}

variable "tables" {
  description = "The declared tables (storage_layout.json's \"tables\"): columns, typed partition keys, bucket and prefix."
  type        = any
}

variable "uris" {
  description = "raw, lake, quarantine, reports, athena, package, jar and script URIs."
  type        = map(string)
}

variable "worker_type" {
  description = "Glue worker type."
  type        = string
}

variable "number_of_workers" {
  description = "Glue workers."
  type        = number
}

variable "timeout_minutes" {
  description = "Job timeout."
  type        = number
}

variable "additional_modules" {
  description = "--additional-python-modules value."
  type        = string
}

variable "log_retention_days" {
  description = "Job log retention."
  type        = number
}

variable "athena_expiration_days" {
  description = "Athena results lifetime (documented on the workgroup)."
  type        = number
}

variable "job_defaults" {
  description = "grace_minutes, lookback_days, max_future_skew_s, max_event_age_days."
  type        = map(number)
}

locals {
  job_name       = "${var.name_prefix}-events-daily"
  workgroup_name = var.name_prefix
  job_log_group  = "/aws-glue/jobs/${local.job_name}"
  catalog_arn    = "arn:${var.partition}:glue:${var.region}:${var.account_id}:catalog"
  database_arn   = "arn:${var.partition}:glue:${var.region}:${var.account_id}:database/${var.database_name}"
  tables_arn     = "arn:${var.partition}:glue:${var.region}:${var.account_id}:table/${var.database_name}/*"
  # Terraform declares no per-type table: publish follows the tracking plan (docs/orchestration.md).
  type_tables_arn = "arn:${var.partition}:glue:${var.region}:${var.account_id}:table/${var.database_name}/events_*"

  # "same_as" tables share their base's columns and location (events_audit over events).
  declared_tables = {
    for name, spec in var.tables : name => merge(try(var.tables[spec.same_as], {}), spec)
  }
  table_formats = {
    parquet = {
      input  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      output = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
      serde  = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }
    json = {
      input  = "org.apache.hadoop.mapred.TextInputFormat"
      output = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
      serde  = "org.openx.data.jsonserde.JsonSerDe"
    }
  }

  # Defaults for every run; Airflow adds --run_date (and may override any of these).
  job_arguments = {
    "--raw_uri"                          = var.uris.raw
    "--lake_uri"                         = var.uris.lake
    "--quarantine_uri"                   = var.uris.quarantine
    "--reports_uri"                      = var.uris.reports
    "--grace_minutes"                    = tostring(var.job_defaults.grace_minutes)
    "--lookback_days"                    = tostring(var.job_defaults.lookback_days)
    "--max_future_skew_s"                = tostring(var.job_defaults.max_future_skew_s)
    "--max_event_age_days"               = tostring(var.job_defaults.max_event_age_days)
    "--extra-py-files"                   = var.uris.package
    "--extra-jars"                       = var.uris.jar
    "--additional-python-modules"        = var.additional_modules
    "--job-language"                     = "python"
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-continuous-cloudwatch-log" = "true"
    "--continuous-log-logGroup"          = local.job_log_group
    "--enable-spark-ui"                  = "false"
  }

  read_only_s3  = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"]
  read_write_s3 = concat(local.read_only_s3, ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"])

  job_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadRawEventsAndCode"
        Effect   = "Allow"
        Action   = local.read_only_s3
        Resource = [var.bucket_arns.raw, "${var.bucket_arns.raw}/*", var.bucket_arns.scripts, "${var.bucket_arns.scripts}/*"]
      },
      {
        Sid    = "WriteLakeQuarantineReports"
        Effect = "Allow"
        Action = local.read_write_s3
        Resource = [
          var.bucket_arns.lake, "${var.bucket_arns.lake}/*",
          var.bucket_arns.quarantine, "${var.bucket_arns.quarantine}/*",
          var.bucket_arns.reports, "${var.bucket_arns.reports}/*",
        ]
      },
      {
        Sid      = "UseTheDataKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid      = "WriteJobLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
        Resource = ["arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:/aws-glue/*"]
      },
      {
        # PutMetricData has no resource-level permissions; pinned to Glue's namespace.
        Sid       = "PublishJobMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = ["*"]
        Condition = { StringEquals = { "cloudwatch:namespace" = "Glue" } }
      },
    ]
  }
}

resource "aws_glue_catalog_database" "events" {
  name        = var.database_name
  description = "eventlake: events (published), events_audit, quarantine and manifests, declared in storage_layout.json"
}

resource "aws_glue_security_configuration" "this" {
  name = var.name_prefix

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "job" {
  name              = local.job_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "job" {
  name               = local.job_name
  assume_role_policy = jsonencode(local.glue_assume_role)
}

resource "aws_iam_role_policy" "job" {
  name   = "events-daily"
  role   = aws_iam_role.job.id
  policy = jsonencode(local.job_policy)
}

resource "aws_glue_job" "events_daily" {
  name                   = local.job_name
  description            = "Nightly: validate, quarantine, dedupe by event_uuid, write the partitioned Parquet lake"
  role_arn               = aws_iam_role.job.arn
  glue_version           = "6.0"
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  execution_class        = "STANDARD"
  max_retries            = 0 # Airflow owns retries, so a rerun is always a visible decision.
  security_configuration = aws_glue_security_configuration.this.name
  default_arguments      = local.job_arguments

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = var.uris.script
  }

  execution_property {
    # One run per day at a time: two concurrent runs of the same day would race.
    max_concurrent_runs = 1
  }

  depends_on = [aws_iam_role_policy.job, aws_cloudwatch_log_group.job]
}

# The tables Athena users and Soda read, declared from the same JSON the job writes with:
# explicit columns and typed partition keys. No crawler: partitions are registered through
# the Glue API by the DAG (register_partitions, publish), so nothing infers or changes a type.
resource "aws_glue_catalog_table" "declared" {
  for_each = local.declared_tables

  name          = each.key
  database_name = aws_glue_catalog_database.events.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"
  parameters = merge(
    { EXTERNAL = "TRUE", classification = each.value.format },
    each.value.format == "parquet" ? { "parquet.compression" = "ZSTD" } : {},
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = "${var.uris[each.value.bucket]}/${each.value.root}/"
    input_format  = local.table_formats[each.value.format].input
    output_format = local.table_formats[each.value.format].output

    ser_de_info {
      serialization_library = local.table_formats[each.value.format].serde
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }

  # The nightly steps look up one run's partitions (run_date = 'D'): an index keeps that
  # lookup from growing with the age of the lake where run_date is not the leading key.
  dynamic "partition_index" {
    for_each = each.value.partition_keys[0].name != "run_date" ? ["run_date"] : []
    content {
      index_name = "by_${partition_index.value}"
      keys       = [partition_index.value]
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = local.workgroup_name
  description   = "Soda checks and ad-hoc queries over the events table; results expire after ${var.athena_expiration_days} days"
  force_destroy = true

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = 10 * 1024 * 1024 * 1024

    result_configuration {
      output_location = var.uris.athena

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

locals {
  glue_assume_role = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  }
}

output "job_name" {
  description = "Glue job name."
  value       = aws_glue_job.events_daily.name
}

output "job_arn" {
  description = "Glue job ARN."
  value       = aws_glue_job.events_daily.arn
}

output "job_arguments" {
  description = "The job's default arguments."
  value       = aws_glue_job.events_daily.default_arguments
}

output "glue_version" {
  description = "The job's Glue version."
  value       = aws_glue_job.events_daily.glue_version
}

output "job_log_group_arn" {
  description = "The job's continuous log group."
  value       = aws_cloudwatch_log_group.job.arn
}

output "tables" {
  description = "The declared tables: name -> location, columns and partition keys."
  value = {
    for name, table in aws_glue_catalog_table.declared : name => {
      location       = one(table.storage_descriptor).location
      columns        = [for c in one(table.storage_descriptor).columns : { name = c.name, type = c.type }]
      partition_keys = [for k in table.partition_keys : { name = k.name, type = k.type }]
    }
  }
}

output "database_name" {
  description = "Glue database."
  value       = aws_glue_catalog_database.events.name
}

output "catalog_arns" {
  description = "Catalog, database and table ARNs of the events database (for read policies)."
  value       = [local.catalog_arn, local.database_arn, local.tables_arn]
}

output "type_table_arns" {
  description = "Catalog, database and the events_<type> table ARNs: the tracking plan's per-type tables, which publish creates and updates."
  value       = [local.catalog_arn, local.database_arn, local.type_tables_arn]
}

output "declared_table_arns" {
  description = "The ARNs of the tables declared here (storage_layout.json's tables), which the orchestration role may not change."
  value       = [for name in keys(local.declared_tables) : "arn:${var.partition}:glue:${var.region}:${var.account_id}:table/${var.database_name}/${name}"]
}

output "workgroup_name" {
  description = "Athena workgroup."
  value       = aws_athena_workgroup.this.name
}

output "workgroup_arn" {
  description = "Athena workgroup ARN."
  value       = aws_athena_workgroup.this.arn
}

output "workgroup_encryption" {
  description = "Encryption option of the workgroup's results."
  value       = aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option
}

output "iam_policies" {
  description = "IAM policy documents of this module, by role."
  value = {
    glue_job = aws_iam_role_policy.job.policy
  }
}
