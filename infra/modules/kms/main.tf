# One customer-managed key for the stack's data at rest: buckets, stream, logs, topic, MWAA.

variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, ...)."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

locals {
  # Key policies need Resource "*" (it means "this key"). Account principals get access
  # through their IAM policies; AWS services that encrypt on our behalf are named here.
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${var.partition}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${var.partition}:logs:${var.region}:${var.account_id}:*" }
        }
      },
      {
        Sid       = "AlarmsAndEventsPublishToTheEncryptedAlertTopic"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
        }
      },
    ]
  }
}

resource "aws_kms_key" "data" {
  description             = "${var.name_prefix}: data at rest (S3, Kinesis, logs, SNS, MWAA)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name_prefix}-data"
  target_key_id = aws_kms_key.data.key_id
}

output "key_arn" {
  description = "ARN of the data key."
  value       = aws_kms_key.data.arn
}

output "key_policy" {
  description = "The key policy document (for tests and review)."
  value       = jsonencode(local.key_policy)
}
