# Kinesis -> Firehose -> raw bucket, and the transform Lambda image Firehose calls.

# Plan-only runs: mock values (override_during = plan) make computed ARNs known at plan time,
# which halves the run time of an apply + destroy.
mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  environment      = "test"
  lambda_image_tag = "src-0123456789ab"
}

run "firehose_writes_where_the_glue_job_reads" {
  command = plan

  assert {
    condition     = module.streaming.firehose_prefix == jsondecode(file("../eventlake/core/storage_layout.json")).raw.firehose_prefix
    error_message = "Firehose prefix ${module.streaming.firehose_prefix} differs from eventlake/core/storage_layout.json: the Glue job and firehose-local would look elsewhere"
  }

  assert {
    condition     = module.streaming.firehose_error_prefix == jsondecode(file("../eventlake/core/storage_layout.json")).raw.firehose_error_prefix
    error_message = "Firehose error prefix ${module.streaming.firehose_error_prefix} differs from eventlake/core/storage_layout.json"
  }

  assert {
    condition     = startswith(module.streaming.firehose_prefix, "${jsondecode(file("../eventlake/core/storage_layout.json")).raw.events_root}/")
    error_message = "delivered records must sit under the raw events root"
  }
}

run "firehose_reads_the_stream_and_writes_gzip_through_the_transform" {
  command = plan

  module {
    source = "./modules/streaming"
  }

  variables {
    name_prefix                 = "eventlake-test"
    stream_name                 = "eventlake-test-events"
    kms_key_arn                 = "arn:aws:kms:eu-west-1:123456789012:key/test"
    stream_mode                 = "ON_DEMAND"
    shard_count                 = 2
    retention_hours             = 48
    raw_bucket_arn              = "arn:aws:s3:::eventlake-test-raw-123456789012"
    firehose_prefix             = "events/!{timestamp:yyyy/MM/dd/HH}/"
    firehose_error_prefix       = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/"
    buffer_size_mb              = 96
    buffer_interval_s           = 240
    processor_function_arn      = "arn:aws:lambda:eu-west-1:123456789012:function:eventlake-test-firehose-transform"
    processor_buffer_size_mb    = 2
    processor_buffer_interval_s = 30
    log_retention_days          = 90
  }

  assert {
    condition     = one(aws_kinesis_firehose_delivery_stream.raw.kinesis_source_configuration).kinesis_stream_arn == aws_kinesis_stream.events.arn
    error_message = "Firehose must read from the event stream"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.raw.destination == "extended_s3"
    error_message = "Firehose must use the extended S3 destination"
  }

  assert {
    condition     = one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).bucket_arn == var.raw_bucket_arn
    error_message = "Firehose must deliver into the raw bucket"
  }

  assert {
    condition     = one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).compression_format == "GZIP"
    error_message = "raw objects must be gzip (the Glue job and firehose-local expect .gz)"
  }

  assert {
    condition = (
      one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).buffering_size == 96 &&
      one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).buffering_interval == 240
    )
    error_message = "buffering hints must come from the variables"
  }

  assert {
    condition = (
      one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).prefix == var.firehose_prefix &&
      one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).error_output_prefix == var.firehose_error_prefix
    )
    error_message = "prefix and error prefix must be passed through unchanged"
  }

  assert {
    condition     = one(one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).cloudwatch_logging_options).enabled
    error_message = "Firehose delivery errors must be logged to CloudWatch"
  }

  assert {
    condition = (
      one(one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).processing_configuration).enabled &&
      one(one(one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).processing_configuration).processors).type == "Lambda" &&
      contains([
        for p in one(one(one(aws_kinesis_firehose_delivery_stream.raw.extended_s3_configuration).processing_configuration).processors).parameters :
        p.parameter_value if p.parameter_name == "LambdaArn"
      ], var.processor_function_arn)
    )
    error_message = "records must pass through the transform Lambda"
  }

  assert {
    condition = (
      aws_kinesis_stream.events.encryption_type == "KMS" &&
      aws_kinesis_stream.events.kms_key_id == var.kms_key_arn &&
      aws_kinesis_stream.events.retention_period == 48
    )
    error_message = "the stream must be KMS-encrypted with the stack key and keep retention_hours"
  }

  assert {
    condition = (
      one(aws_kinesis_stream.events.stream_mode_details).stream_mode == "ON_DEMAND" &&
      aws_kinesis_stream.events.shard_count == null
    )
    error_message = "on-demand streams must not set a shard count"
  }

  assert {
    condition     = contains(aws_kinesis_stream.events.shard_level_metrics, "IteratorAgeMilliseconds") && contains(aws_kinesis_stream.events.shard_level_metrics, "WriteProvisionedThroughputExceeded")
    error_message = "shard-level metrics must be on"
  }

  assert {
    condition     = aws_cloudwatch_log_group.firehose.retention_in_days == 90
    error_message = "Firehose logs must expire after log_retention_days"
  }
}

run "provisioned_shards_reach_the_stream" {
  command = plan

  module {
    source = "./modules/streaming"
  }

  variables {
    name_prefix                 = "eventlake-test"
    stream_name                 = "eventlake-test-events"
    kms_key_arn                 = "arn:aws:kms:eu-west-1:123456789012:key/test"
    stream_mode                 = "PROVISIONED"
    shard_count                 = 3
    retention_hours             = 24
    raw_bucket_arn              = "arn:aws:s3:::eventlake-test-raw-123456789012"
    firehose_prefix             = "events/"
    firehose_error_prefix       = "errors/"
    buffer_size_mb              = 64
    buffer_interval_s           = 300
    processor_function_arn      = "arn:aws:lambda:eu-west-1:123456789012:function:f"
    processor_buffer_size_mb    = 1
    processor_buffer_interval_s = 60
    log_retention_days          = 30
  }

  assert {
    condition     = aws_kinesis_stream.events.shard_count == 3 && one(aws_kinesis_stream.events.stream_mode_details).stream_mode == "PROVISIONED"
    error_message = "provisioned mode must use kinesis_shard_count"
  }
}

run "stream_mode_is_validated" {
  command = plan

  variables {
    kinesis_stream_mode = "SERVERLESS"
  }

  expect_failures = [var.kinesis_stream_mode]
}

run "transform_is_a_scanned_image_running_the_dockerfile_handler" {
  command = plan

  module {
    source = "./modules/transform"
  }

  variables {
    name_prefix          = "eventlake-test"
    kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/test"
    image_tag            = "src-0123456789ab"
    memory_mb            = 768
    timeout_s            = 90
    reserved_concurrency = 10
    keep_images          = 15
    log_retention_days   = 30
  }

  assert {
    condition     = aws_lambda_function.transform.package_type == "Image"
    error_message = "the transform must be a container-image function"
  }

  assert {
    condition     = aws_lambda_function.transform.image_uri == "${aws_ecr_repository.transform.repository_url}:src-0123456789ab"
    error_message = "the function must run the pushed tag from the stack's repository"
  }

  assert {
    condition     = jsonencode(one(aws_lambda_function.transform.image_config).command) == jsonencode(["eventlake.ingest.transform.lambda_handler"])
    error_message = "the image command must be eventlake.ingest.transform.lambda_handler"
  }

  assert {
    condition     = strcontains(file("../lambdas/firehose_transform/Dockerfile"), "CMD [\"${one(one(aws_lambda_function.transform.image_config).command)}\"]")
    error_message = "lambdas/firehose_transform/Dockerfile's CMD differs from the handler Terraform configures"
  }

  assert {
    condition     = aws_lambda_function.transform.memory_size == 768 && aws_lambda_function.transform.timeout == 90
    error_message = "memory and timeout must come from the variables"
  }

  assert {
    condition = (
      one(aws_ecr_repository.transform.image_scanning_configuration).scan_on_push &&
      aws_ecr_repository.transform.image_tag_mutability == "IMMUTABLE"
    )
    error_message = "images must be scanned on push and tags immutable"
  }

  assert {
    condition     = anytrue([for rule in jsondecode(aws_ecr_lifecycle_policy.transform.policy).rules : rule.selection.countType == "imageCountMoreThan" && rule.selection.countNumber == 15])
    error_message = "the lifecycle policy must keep only the newest keep_images images"
  }
}
