# Alerts: one SNS topic; CloudWatch alarms on every stage; an EventBridge rule for Glue failures.

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

variable "kms_key_arn" {
  description = "Key encrypting the topic."
  type        = string
}

variable "alert_email" {
  description = "Optional e-mail subscriber."
  type        = string
  default     = null
}

variable "stream_name" {
  description = "Kinesis stream to watch."
  type        = string
}

variable "delivery_stream_name" {
  description = "Firehose delivery stream to watch."
  type        = string
}

variable "function_name" {
  description = "Transform Lambda to watch."
  type        = string
}

variable "glue_job_name" {
  description = "Glue job whose failures alert."
  type        = string
}

variable "iterator_age_alarm_ms" {
  description = "Iterator age threshold."
  type        = number
}

variable "freshness_alarm_s" {
  description = "Firehose data freshness threshold."
  type        = number
}

variable "buffer_interval_s" {
  description = "Firehose buffer interval (a quiet stream delivers nothing for this long)."
  type        = number
}

locals {
  topic_name = "${var.name_prefix}-alerts"

  alarms = {
    firehose-delivery-failing = {
      description = "Firehose could not deliver to the raw bucket (records go to the errors/ prefix or are retried)."
      namespace   = "AWS/Firehose"
      metric      = "DeliveryToS3.Success"
      dimensions  = { DeliveryStreamName = var.delivery_stream_name }
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = 1
      period      = 300
      periods     = 2
      missing     = "notBreaching"
    }
    firehose-data-stale = {
      description = "The oldest record not yet in S3 is older than ${var.freshness_alarm_s}s: delivery is stuck or falling behind."
      namespace   = "AWS/Firehose"
      metric      = "DeliveryToS3.DataFreshness"
      dimensions  = { DeliveryStreamName = var.delivery_stream_name }
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = max(var.freshness_alarm_s, var.buffer_interval_s * 2)
      period      = 300
      periods     = 1
      missing     = "notBreaching"
    }
    firehose-transform-failing = {
      description = "Firehose's Lambda processing step failed (records land under errors/processing-failed/)."
      namespace   = "AWS/Firehose"
      metric      = "ExecuteProcessing.Success"
      dimensions  = { DeliveryStreamName = var.delivery_stream_name }
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = 1
      period      = 300
      periods     = 2
      missing     = "notBreaching"
    }
    kinesis-write-throttled = {
      description = "Producers are being throttled: add shards (1 per 1,000 records/s or 1 MiB/s) or check for a hot partition key."
      namespace   = "AWS/Kinesis"
      metric      = "WriteProvisionedThroughputExceeded"
      dimensions  = { StreamName = var.stream_name }
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      period      = 300
      periods     = 1
      missing     = "notBreaching"
    }
    kinesis-iterator-age = {
      description = "Firehose is more than ${var.iterator_age_alarm_ms / 1000}s behind the stream; data will be lost past the retention period."
      namespace   = "AWS/Kinesis"
      metric      = "GetRecords.IteratorAgeMilliseconds"
      dimensions  = { StreamName = var.stream_name }
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.iterator_age_alarm_ms
      period      = 300
      periods     = 1
      missing     = "notBreaching"
    }
    lambda-transform-errors = {
      description = "The Firehose transform Lambda raised errors."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = var.function_name }
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      period      = 300
      periods     = 1
      missing     = "notBreaching"
    }
    lambda-transform-throttles = {
      description = "The transform hit its reserved concurrency; Firehose is backing off."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = { FunctionName = var.function_name }
      statistic   = "Sum"
      comparison  = "GreaterThanThreshold"
      threshold   = 0
      period      = 300
      periods     = 3
      missing     = "notBreaching"
    }
  }

  topic_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AlarmsAndRulesOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  }
}

resource "aws_sns_topic" "alerts" {
  name              = local.topic_name
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = jsonencode(local.topic_policy)
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.periods
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  name        = "${var.name_prefix}-glue-job-failed"
  description = "The nightly Glue job failed, timed out or errored."
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      jobName = [var.glue_job_name]
      state   = ["FAILED", "TIMEOUT", "ERROR", "STOPPED"]
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  rule      = aws_cloudwatch_event_rule.glue_job_failed.name
  target_id = "alerts-topic"
  arn       = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      job   = "$.detail.jobName"
      run   = "$.detail.jobRunId"
      state = "$.detail.state"
      error = "$.detail.message"
    }
    input_template = "\"Glue job <job> run <run> ended <state>: <error>\""
  }
}

output "topic_arn" {
  description = "Alert topic ARN."
  value       = aws_sns_topic.alerts.arn
}

output "alarm_actions" {
  description = "Actions of every alarm, by alarm name."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_actions }
}

output "alarm_metrics" {
  description = "namespace/metric of every alarm, by alarm name."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => "${alarm.namespace}/${alarm.metric_name}" }
}

output "glue_failure_target" {
  description = "Where Glue job failures are sent."
  value       = aws_cloudwatch_event_target.glue_job_failed.arn
}

output "glue_failure_pattern" {
  description = "Event pattern of the Glue failure rule."
  value       = aws_cloudwatch_event_rule.glue_job_failed.event_pattern
}
