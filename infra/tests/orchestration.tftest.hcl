# MWAA: version, source paths, the [eventlake] settings the DAG reads, network choices.

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

run "an_account_without_mwaa_gets_everything_else" {
  command = plan

  variables {
    create_mwaa = false
  }

  assert {
    condition     = module.orchestration.environment_name == null && module.orchestration.webserver_url == null
    error_message = "create_mwaa = false must leave the MWAA environment out"
  }

  assert {
    condition     = output.airflow_eventlake_settings.target == "aws" && output.airflow_eventlake_settings.glue_job_name == module.processing.job_name
    error_message = "the DAG's settings must still be there for a self-run Airflow"
  }

  assert {
    condition     = length(jsondecode(output.iam_policies.mwaa_execution).Statement) > 0
    error_message = "the DAG's execution role must still be created"
  }
}

run "mwaa_runs_airflow_3_3_1_from_the_mwaa_bucket" {
  command = plan

  assert {
    condition     = module.orchestration.airflow_version == "3.3.1"
    error_message = "MWAA must run Airflow 3.3.1, got ${module.orchestration.airflow_version}"
  }

  assert {
    condition = (
      module.orchestration.source_paths.bucket == module.storage.bucket_arns.mwaa &&
      module.orchestration.source_paths.dags == "dags/" &&
      module.orchestration.source_paths.plugins == "plugins.zip" &&
      module.orchestration.source_paths.requirements == "requirements.txt" &&
      module.orchestration.source_paths.startup == "startup.sh"
    )
    error_message = "MWAA must read dags/, plugins.zip, requirements.txt and startup.sh from the MWAA bucket (eventlake deploy uploads there)"
  }

  assert {
    condition     = module.orchestration.webserver_access_mode == "PRIVATE_ONLY"
    error_message = "the Airflow UI must be private unless asked otherwise"
  }

  assert {
    condition = alltrue([
      for key in ["target", "raw_uri", "lake_uri", "quarantine_uri", "reports_uri", "glue_job_name", "glue_database", "athena_workgroup", "athena_output_uri", "alerts_topic_arn", "grace_minutes", "lookback_days", "region_name", "soda_python", "max_future_skew_s", "max_event_age_days", "firehose_buffer_minutes"] :
      contains(keys(module.orchestration.airflow_configuration), "eventlake.${key}")
    ])
    error_message = "every [eventlake] key the DAG reads must be set"
  }

  assert {
    condition = (
      module.orchestration.airflow_configuration["eventlake.target"] == "aws" &&
      module.orchestration.airflow_configuration["eventlake.glue_job_name"] == module.processing.job_name &&
      module.orchestration.airflow_configuration["eventlake.alerts_topic_arn"] == module.monitoring.topic_arn &&
      module.orchestration.airflow_configuration["eventlake.raw_uri"] == module.processing.job_arguments["--raw_uri"] &&
      module.orchestration.airflow_configuration["eventlake.lake_uri"] == module.processing.job_arguments["--lake_uri"] &&
      module.orchestration.airflow_configuration["eventlake.athena_output_uri"] == "s3://${module.storage.bucket_names.reports}/athena-results/"
    )
    error_message = "the DAG's settings must name this stack's job, topic and buckets"
  }
}

run "public_webserver_is_a_choice" {
  command = plan

  variables {
    mwaa_webserver_access_mode = "PUBLIC"
  }

  expect_failures = [var.mwaa_webserver_access_mode]
}

run "existing_vpc_creates_no_network" {
  command = plan

  module {
    source = "./modules/orchestration"
  }

  variables {
    name_prefix              = "eventlake-test"
    account_id               = "123456789012"
    partition                = "aws"
    region                   = "eu-west-1"
    kms_key_arn              = "arn:aws:kms:eu-west-1:123456789012:key/test"
    raw_events_root          = "events"
    environment_class        = "mw1.small"
    min_workers              = 1
    max_workers              = 2
    webserver_access_mode    = "PUBLIC_ONLY"
    log_level                = "INFO"
    log_retention_days       = 30
    create_vpc               = false
    vpc_cidr                 = "10.42.0.0/16"
    existing_vpc_id          = "vpc-0aaaaaaaaaaaaaaaa"
    existing_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
    glue_job_arn             = "arn:aws:glue:eu-west-1:123456789012:job/j"
    glue_catalog_arns        = ["arn:aws:glue:eu-west-1:123456789012:catalog"]
    glue_type_table_arns     = ["arn:aws:glue:eu-west-1:123456789012:table/eventlake/events_*"]
    glue_declared_table_arns = ["arn:aws:glue:eu-west-1:123456789012:table/eventlake/events_audit"]
    glue_job_log_group_arn   = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs/j"
    athena_workgroup_arn     = "arn:aws:athena:eu-west-1:123456789012:workgroup/w"
    alerts_topic_arn         = "arn:aws:sns:eu-west-1:123456789012:t"
    eventlake_settings       = { target = "aws" }
    bucket_arns = {
      raw        = "arn:aws:s3:::r"
      lake       = "arn:aws:s3:::l"
      quarantine = "arn:aws:s3:::q"
      reports    = "arn:aws:s3:::p"
      scripts    = "arn:aws:s3:::s"
      mwaa       = "arn:aws:s3:::m"
    }
  }

  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_nat_gateway.this) == 0
    error_message = "create_vpc = false must not create a VPC or NAT gateway"
  }

  assert {
    condition     = one(aws_mwaa_environment.this[0].network_configuration).subnet_ids == toset(var.existing_subnet_ids)
    error_message = "MWAA must use the given subnets"
  }

  assert {
    condition     = aws_security_group.mwaa.vpc_id == "vpc-0aaaaaaaaaaaaaaaa"
    error_message = "the security group must live in the given VPC"
  }

  assert {
    condition     = aws_mwaa_environment.this[0].webserver_access_mode == "PUBLIC_ONLY"
    error_message = "webserver access mode must follow the variable"
  }

  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.airflow : group.retention_in_days == 30])
    error_message = "MWAA log groups must expire after log_retention_days"
  }
}

run "created_vpc_keeps_mwaa_in_two_private_subnets" {
  command = plan

  module {
    source = "./modules/orchestration"
  }

  variables {
    name_prefix              = "eventlake-test"
    account_id               = "123456789012"
    partition                = "aws"
    region                   = "eu-west-1"
    kms_key_arn              = "arn:aws:kms:eu-west-1:123456789012:key/test"
    raw_events_root          = "events"
    environment_class        = "mw1.small"
    min_workers              = 1
    max_workers              = 2
    webserver_access_mode    = "PUBLIC_ONLY"
    log_level                = "INFO"
    log_retention_days       = 30
    create_vpc               = true
    vpc_cidr                 = "10.42.0.0/16"
    glue_job_arn             = "arn:aws:glue:eu-west-1:123456789012:job/j"
    glue_catalog_arns        = ["arn:aws:glue:eu-west-1:123456789012:catalog"]
    glue_type_table_arns     = ["arn:aws:glue:eu-west-1:123456789012:table/eventlake/events_*"]
    glue_declared_table_arns = ["arn:aws:glue:eu-west-1:123456789012:table/eventlake/events_audit"]
    glue_job_log_group_arn   = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs/j"
    athena_workgroup_arn     = "arn:aws:athena:eu-west-1:123456789012:workgroup/w"
    alerts_topic_arn         = "arn:aws:sns:eu-west-1:123456789012:t"
    eventlake_settings       = { target = "aws" }
    bucket_arns = {
      raw        = "arn:aws:s3:::r"
      lake       = "arn:aws:s3:::l"
      quarantine = "arn:aws:s3:::q"
      reports    = "arn:aws:s3:::p"
      scripts    = "arn:aws:s3:::s"
      mwaa       = "arn:aws:s3:::m"
    }
  }
  assert {
    condition     = length(aws_subnet.private) == 2 && aws_subnet.private[0].availability_zone != aws_subnet.private[1].availability_zone
    error_message = "MWAA needs two private subnets in different availability zones"
  }

  assert {
    condition     = alltrue([for subnet in aws_subnet.private : !subnet.map_public_ip_on_launch])
    error_message = "private subnets must not assign public IPs"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route_table_association.private) == 2
    error_message = "private subnets must reach AWS APIs and PyPI through the NAT gateway"
  }

  assert {
    condition     = length(aws_flow_log.this) == 1 && aws_flow_log.this[0].traffic_type == "ALL"
    error_message = "the VPC must have flow logs"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.mwaa_https.from_port == 443 && aws_vpc_security_group_egress_rule.mwaa_https.to_port == 443
    error_message = "MWAA may leave the VPC only over HTTPS"
  }
}
