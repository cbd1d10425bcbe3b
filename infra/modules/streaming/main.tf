# Kinesis Data Stream -> Firehose (Lambda transform) -> raw bucket, gzip NDJSON.

variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "stream_name" {
  description = "Kinesis stream name (the producer writes here)."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for the stream and the log group."
  type        = string
}

variable "stream_mode" {
  description = "ON_DEMAND or PROVISIONED."
  type        = string
}

variable "shard_count" {
  description = "Shards when PROVISIONED: 1 shard per 1,000 records/s or 1 MiB/s of writes, whichever needs more."
  type        = number
}

variable "retention_hours" {
  description = "Stream retention in hours."
  type        = number
}

variable "raw_bucket_arn" {
  description = "Firehose destination bucket."
  type        = string
}

variable "firehose_prefix" {
  description = "S3 prefix for delivered records (from storage_layout.json)."
  type        = string
}

variable "firehose_error_prefix" {
  description = "S3 prefix for failed records (from storage_layout.json)."
  type        = string
}

variable "buffer_size_mb" {
  description = "S3 buffer size in MiB."
  type        = number
}

variable "buffer_interval_s" {
  description = "S3 buffer interval in seconds."
  type        = number
}

variable "processor_function_arn" {
  description = "Transform Lambda ARN."
  type        = string
}

variable "processor_buffer_size_mb" {
  description = "MiB per Lambda batch."
  type        = number
}

variable "processor_buffer_interval_s" {
  description = "Seconds per Lambda batch."
  type        = number
}

variable "log_retention_days" {
  description = "Firehose log retention."
  type        = number
}

locals {
  delivery_stream_name = "${var.name_prefix}-raw"
  log_group_name       = "/aws/kinesisfirehose/${local.delivery_stream_name}"

  firehose_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadTheEventStream"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"]
        Resource = [aws_kinesis_stream.events.arn]
      },
      {
        Sid      = "WriteRawObjects"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
        Resource = [var.raw_bucket_arn, "${var.raw_bucket_arn}/*"]
      },
      {
        Sid      = "UseTheDataKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid      = "InvokeTheTransform"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]
        Resource = [var.processor_function_arn, "${var.processor_function_arn}:*"]
      },
      {
        Sid      = "LogDeliveryErrors"
        Effect   = "Allow"
        Action   = ["logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.firehose.arn}:*"]
      },
    ]
  }
}

resource "aws_kinesis_stream" "events" {
  name             = var.stream_name
  shard_count      = var.stream_mode == "PROVISIONED" ? var.shard_count : null
  retention_period = var.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = var.kms_key_arn

  # Per-shard metrics show a hot partition key before it throttles the producer.
  shard_level_metrics = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
  ]

  stream_mode_details {
    stream_mode = var.stream_mode
  }
}

resource "aws_cloudwatch_log_group" "firehose" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_stream" "s3_delivery" {
  name           = "S3Delivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}

resource "aws_iam_role" "firehose" {
  name = "${local.delivery_stream_name}-firehose"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "firehose.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "firehose" {
  name   = "deliver-raw-events"
  role   = aws_iam_role.firehose.id
  policy = jsonencode(local.firehose_policy)
}

resource "aws_kinesis_firehose_delivery_stream" "raw" {
  #checkov:skip=CKV_AWS_240:Firehose server-side encryption applies to Direct PUT only; this stream's source is a KMS-encrypted Kinesis stream and its S3 objects are SSE-KMS.
  #checkov:skip=CKV_AWS_241:Same as CKV_AWS_240: no Firehose SSE setting exists for a Kinesis-sourced stream.
  name        = local.delivery_stream_name
  destination = "extended_s3"

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.events.arn
    role_arn           = aws_iam_role.firehose.arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = var.raw_bucket_arn
    prefix              = var.firehose_prefix
    error_output_prefix = var.firehose_error_prefix
    compression_format  = "GZIP"
    buffering_size      = var.buffer_size_mb
    buffering_interval  = var.buffer_interval_s
    kms_key_arn         = var.kms_key_arn

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = aws_cloudwatch_log_stream.s3_delivery.name
    }

    processing_configuration {
      enabled = true

      processors {
        type = "Lambda"

        parameters {
          parameter_name  = "LambdaArn"
          parameter_value = var.processor_function_arn
        }
        parameters {
          parameter_name  = "BufferSizeInMBs"
          parameter_value = tostring(var.processor_buffer_size_mb)
        }
        parameters {
          parameter_name  = "BufferIntervalInSeconds"
          parameter_value = tostring(var.processor_buffer_interval_s)
        }
        parameters {
          parameter_name  = "NumberOfRetries"
          parameter_value = "3"
        }
      }
    }
  }

  depends_on = [aws_iam_role_policy.firehose]
}

output "stream_name" {
  description = "Kinesis stream name."
  value       = aws_kinesis_stream.events.name
}

output "stream_arn" {
  description = "Kinesis stream ARN."
  value       = aws_kinesis_stream.events.arn
}

output "delivery_stream_name" {
  description = "Firehose delivery stream name."
  value       = aws_kinesis_firehose_delivery_stream.raw.name
}

output "firehose_prefix" {
  description = "Prefix as configured on the delivery stream."
  value       = one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).prefix
}

output "firehose_error_prefix" {
  description = "Error prefix as configured on the delivery stream."
  value       = one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).error_output_prefix
}

output "iam_policies" {
  description = "IAM policy documents of this module, by role."
  value       = { firehose = aws_iam_role_policy.firehose.policy }
}
