# MWAA (Airflow 3.3.1) running the nightly DAG, with an execution role scoped to this stack.

locals {
  environment_name = var.name_prefix
  environment_arn  = "arn:${var.partition}:airflow:${var.region}:${var.account_id}:environment/${local.environment_name}"
  log_types        = ["DAGProcessing", "Scheduler", "Task", "WebServer", "Worker"]
  log_group_prefix = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:airflow-${local.environment_name}-"
  mwaa_bucket      = var.bucket_arns.mwaa

  airflow_configuration = merge(
    { for key, value in var.eventlake_settings : "eventlake.${key}" => value },
    {
      "core.load_examples"               = "false"
      "core.dags_are_paused_at_creation" = "false"
    },
  )

  read_only_s3 = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"]

  execution_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PublishEnvironmentMetrics"
        Effect   = "Allow"
        Action   = ["airflow:PublishMetrics"]
        Resource = [local.environment_arn]
      },
      {
        Sid      = "ReadDagsPluginsRequirements"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock"]
        Resource = [local.mwaa_bucket, "${local.mwaa_bucket}/*"]
      },
      {
        # MWAA checks the account-level block before it starts; the call has no resource.
        Sid      = "CheckAccountPublicAccessBlock"
        Effect   = "Allow"
        Action   = ["s3:GetAccountPublicAccessBlock"]
        Resource = ["*"]
      },
      {
        Sid      = "WriteAirflowLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults"]
        Resource = ["${local.log_group_prefix}*"]
      },
      {
        Sid      = "ReadGlueJobLogs"
        Effect   = "Allow"
        Action   = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"]
        Resource = [var.glue_job_log_group_arn, "${var.glue_job_log_group_arn}:*"]
      },
      {
        Sid      = "ListLogGroups"
        Effect   = "Allow"
        Action   = ["logs:DescribeLogGroups"]
        Resource = ["*"]
      },
      {
        Sid       = "PublishAirflowMetrics"
        Effect    = "Allow"
        Action    = ["cloudwatch:PutMetricData"]
        Resource  = ["*"]
        Condition = { StringEquals = { "cloudwatch:namespace" = "AmazonMWAA" } }
      },
      {
        Sid      = "UseCeleryQueue"
        Effect   = "Allow"
        Action   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"]
        Resource = ["arn:${var.partition}:sqs:${var.region}:*:airflow-celery-*"]
      },
      {
        Sid      = "UseTheDataKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid      = "RunTheNightlyJob"
        Effect   = "Allow"
        Action   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:GetJob", "glue:BatchStopJobRun"]
        Resource = [var.glue_job_arn]
      },
      {
        Sid      = "ReadEventsCatalogForAthena"
        Effect   = "Allow"
        Action   = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
        Resource = var.glue_catalog_arns
      },
      {
        # register_partitions and publish change one run's partitions.
        Sid      = "RegisterRunPartitions"
        Effect   = "Allow"
        Action   = ["glue:BatchCreatePartition", "glue:BatchUpdatePartition", "glue:BatchDeletePartition"]
        Resource = var.glue_catalog_arns
      },
      {
        # publish creates and updates the tracking plan's per-type tables (events_<type>),
        # each with a partition index like the declared tables'.
        Sid      = "FollowTheTrackingPlan"
        Effect   = "Allow"
        Action   = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:CreatePartitionIndex"]
        Resource = var.glue_type_table_arns
      },
      {
        # events_* also matches events_audit: the tables Terraform declares stay its own.
        Sid      = "KeepDeclaredTablesTerraforms"
        Effect   = "Deny"
        Action   = ["glue:CreateTable", "glue:UpdateTable", "glue:CreatePartitionIndex"]
        Resource = var.glue_declared_table_arns
      },
      {
        Sid      = "QueryThroughTheWorkgroup"
        Effect   = "Allow"
        Action   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"]
        Resource = [var.athena_workgroup_arn]
      },
      {
        Sid    = "ReadLakeAndQuarantine"
        Effect = "Allow"
        Action = local.read_only_s3
        Resource = [
          var.bucket_arns.lake, "${var.bucket_arns.lake}/*",
          var.bucket_arns.quarantine, "${var.bucket_arns.quarantine}/*",
        ]
      },
      {
        # The DAG waits for the day's last raw hour before it starts the job.
        Sid       = "ListRawEvents"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = [var.bucket_arns.raw]
        Condition = { StringLike = { "s3:prefix" = ["${var.raw_events_root}/*"] } }
      },
      {
        Sid      = "WriteReportsAndAthenaResults"
        Effect   = "Allow"
        Action   = concat(local.read_only_s3, ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"])
        Resource = [var.bucket_arns.reports, "${var.bucket_arns.reports}/*"]
      },
      {
        Sid      = "SendAlerts"
        Effect   = "Allow"
        Action   = ["sns:Publish"]
        Resource = [var.alerts_topic_arn]
      },
    ]
  }
}

resource "aws_cloudwatch_log_group" "airflow" {
  for_each = toset(local.log_types)

  # MWAA writes to airflow-<environment>-<type>; creating them first sets retention and the key.
  name              = "airflow-${local.environment_name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "execution" {
  name = "${local.environment_name}-mwaa-execution"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "execution" {
  name   = "eventlake-dag"
  role   = aws_iam_role.execution.id
  policy = jsonencode(local.execution_policy)
}

resource "aws_mwaa_environment" "this" {
  count = var.create_environment ? 1 : 0

  name                  = local.environment_name
  airflow_version       = "3.3.1"
  environment_class     = var.environment_class
  min_workers           = var.min_workers
  max_workers           = var.max_workers
  execution_role_arn    = aws_iam_role.execution.arn
  kms_key               = var.kms_key_arn
  webserver_access_mode = var.webserver_access_mode

  source_bucket_arn      = local.mwaa_bucket
  dag_s3_path            = "dags/"
  plugins_s3_path        = "plugins.zip"
  requirements_s3_path   = "requirements.txt"
  startup_script_s3_path = "startup.sh"

  airflow_configuration_options = local.airflow_configuration

  network_configuration {
    security_group_ids = [aws_security_group.mwaa.id]
    subnet_ids         = local.subnet_ids
  }

  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = var.log_level
    }
    scheduler_logs {
      enabled   = true
      log_level = var.log_level
    }
    task_logs {
      enabled   = true
      log_level = var.log_level
    }
    webserver_logs {
      enabled   = true
      log_level = var.log_level
    }
    worker_logs {
      enabled   = true
      log_level = var.log_level
    }
  }

  lifecycle {
    # `eventlake deploy` pins new plugins/requirements/startup versions after each upload;
    # Terraform must not roll them back.
    ignore_changes = [plugins_s3_object_version, requirements_s3_object_version, startup_script_s3_object_version]
  }

  depends_on = [aws_iam_role_policy.execution, aws_cloudwatch_log_group.airflow]
}
