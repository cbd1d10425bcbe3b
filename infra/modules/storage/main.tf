# The six buckets. Every one: SSE-KMS with the stack key, public access blocked,
# TLS-only policy, bucket-owner-enforced ownership, versioning and a lifecycle.

variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "account_id" {
  description = "AWS account id (keeps bucket names globally unique)."
  type        = string
}

variable "partition" {
  description = "AWS partition."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for default bucket encryption."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets."
  type        = bool
  default     = false
}

variable "raw_expiration_days" {
  description = "Days raw Firehose objects live."
  type        = number
}

variable "noncurrent_version_expiration_days" {
  description = "Days replaced object versions live."
  type        = number
}

variable "athena_results_expiration_days" {
  description = "Days Athena results live under athena-results/."
  type        = number
}

locals {
  purposes = {
    raw        = "Firehose delivery: gzip NDJSON under events/ and errors/"
    lake       = "Partitioned Parquet lake written by the nightly Glue job"
    quarantine = "Records that failed the contract, with reasons"
    reports    = "Run manifests, Soda reports and Athena query results"
    scripts    = "Glue job script and the shared eventlake package"
    mwaa       = "MWAA source: dags/, plugins.zip, requirements.txt, startup.sh"
  }

  bucket_names = { for key, _ in local.purposes : key => "${var.name_prefix}-${key}-${var.account_id}" }
  bucket_arns  = { for key, name in local.bucket_names : key => "arn:${var.partition}:s3:::${name}" }

  # Object expiry per bucket (prefix => days); every bucket also drops old versions
  # and incomplete multipart uploads.
  expirations = {
    raw     = { "" = var.raw_expiration_days }
    reports = { "athena-results/" = var.athena_results_expiration_days }
  }

  tls_only_policies = {
    for key, arn in local.bucket_arns : key => jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = [arn, "${arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
        {
          Sid       = "DenyTlsOlderThan12"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = [arn, "${arn}/*"]
          Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
        },
      ]
    })
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs cannot be delivered to an SSE-KMS bucket, and every bucket here is SSE-KMS; use CloudTrail S3 data events for an audit trail.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a per-organisation DR choice (and doubles storage cost); the lake can be rebuilt from raw within raw_expiration_days.
  for_each = local.bucket_names

  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = { purpose = local.purposes[each.key] }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut KMS requests (and cost) by orders of magnitude for Firehose/Spark.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  versioning_configuration {
    # MWAA requires it on its bucket; elsewhere it protects against a bad rerun or delete.
    status = "Enabled"
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = local.tls_only_policies[each.key]

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "housekeeping"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  dynamic "rule" {
    for_each = lookup(local.expirations, each.key, {})
    content {
      id     = "expire-${rule.key == "" ? "all" : trimsuffix(rule.key, "/")}"
      status = "Enabled"
      filter {
        prefix = rule.key
      }
      expiration {
        days = rule.value
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_notification" "this" {
  for_each = aws_s3_bucket.this

  # Object events go to EventBridge (free until a rule matches) so ops can react to
  # new raw hours or manifests without touching the pipeline.
  bucket      = each.value.id
  eventbridge = true
}

output "bucket_names" {
  description = "Bucket name per purpose (raw, lake, quarantine, reports, scripts, mwaa)."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per purpose."
  value       = { for key, bucket in aws_s3_bucket.this : key => "arn:${var.partition}:s3:::${bucket.bucket}" }
}

output "bucket_policies" {
  description = "Bucket policy document per purpose."
  value       = { for key, policy in aws_s3_bucket_policy.tls_only : key => policy.policy }
}

output "encryption" {
  description = "Default encryption per bucket: algorithm and key."
  value = {
    for key, config in aws_s3_bucket_server_side_encryption_configuration.this : key => {
      sse_algorithm = one(config.rule).apply_server_side_encryption_by_default[0].sse_algorithm
      kms_key       = one(config.rule).apply_server_side_encryption_by_default[0].kms_master_key_id
    }
  }
}

output "public_access_blocks" {
  description = "Public access block flags per bucket."
  value = {
    for key, block in aws_s3_bucket_public_access_block.this : key => {
      block_public_acls       = block.block_public_acls
      block_public_policy     = block.block_public_policy
      ignore_public_acls      = block.ignore_public_acls
      restrict_public_buckets = block.restrict_public_buckets
    }
  }
}

output "ownership" {
  description = "Object ownership per bucket."
  value       = { for key, ctl in aws_s3_bucket_ownership_controls.this : key => one(ctl.rule).object_ownership }
}

output "versioning" {
  description = "Versioning status per bucket."
  value       = { for key, v in aws_s3_bucket_versioning.this : key => one(v.versioning_configuration).status }
}
