# The nightly Glue job, the declared catalog tables and the Athena workgroup.

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

run "glue_job_gets_the_fixed_arguments" {
  command = plan

  assert {
    condition     = module.processing.glue_version == "6.0"
    error_message = "the job must run on Glue 6.0 (Spark 4.1.1, Python 3.13), got ${module.processing.glue_version}"
  }

  assert {
    condition = (
      module.processing.job_arguments["--raw_uri"] == "s3://${module.storage.bucket_names.raw}" &&
      module.processing.job_arguments["--lake_uri"] == "s3://${module.storage.bucket_names.lake}" &&
      module.processing.job_arguments["--quarantine_uri"] == "s3://${module.storage.bucket_names.quarantine}" &&
      module.processing.job_arguments["--reports_uri"] == "s3://${module.storage.bucket_names.reports}"
    )
    error_message = "the job's URIs must point at this stack's buckets: ${jsonencode(module.processing.job_arguments)}"
  }

  assert {
    condition = (
      module.processing.job_arguments["--grace_minutes"] == "60" &&
      module.processing.job_arguments["--lookback_days"] == "7" &&
      module.processing.job_arguments["--max_future_skew_s"] == "300" &&
      module.processing.job_arguments["--max_event_age_days"] == "7"
    )
    error_message = "grace, lookback, skew and age defaults must match the job script's defaults"
  }

  assert {
    condition     = module.processing.job_arguments["--extra-py-files"] == "s3://${module.storage.bucket_names.scripts}/eventlake/eventlake.zip"
    error_message = "the shared package must ship as --extra-py-files s3://<scripts>/eventlake/eventlake.zip"
  }

  assert {
    condition     = module.processing.job_arguments["--extra-jars"] == "s3://${module.storage.bucket_names.scripts}/eventlake/eventlake-dayjob.jar"
    error_message = "the day job's jar (the plan's violation check) must load from --extra-jars s3://<scripts>/eventlake/eventlake-dayjob.jar, where eventlake deploy uploads it"
  }

  assert {
    condition     = !contains(keys(module.processing.job_arguments), "--run_date")
    error_message = "--run_date is per run (Airflow passes it); a default would silently reprocess one fixed day"
  }

  assert {
    condition = (
      module.processing.job_arguments["--enable-continuous-cloudwatch-log"] == "true" &&
      module.processing.job_arguments["--enable-metrics"] == "true"
    )
    error_message = "continuous logging and job metrics must be on"
  }

  assert {
    condition     = toset(keys(module.processing.tables)) == toset(keys(jsondecode(file("../eventlake/core/storage_layout.json")).tables))
    error_message = "every table of storage_layout.json must be declared, got ${jsonencode(keys(module.processing.tables))}"
  }

  assert {
    condition = alltrue([
      for name, spec in jsondecode(file("../eventlake/core/storage_layout.json")).tables :
      module.processing.tables[name].columns == [
        for c in jsondecode(file("../eventlake/core/storage_layout.json")).tables[try(spec.same_as, name)].columns : { name = c.name, type = c.type }
      ]
    ])
    error_message = "a declared table's columns differ from storage_layout.json (the columns the job writes)"
  }

  assert {
    condition = (
      module.processing.tables["events"].partition_keys == [{ name = "event_date", type = "date" }, { name = "event_type", type = "string" }, { name = "run_date", type = "date" }] &&
      module.processing.tables["quarantine"].partition_keys == [{ name = "run_date", type = "date" }, { name = "reason", type = "string" }] &&
      module.processing.tables["manifests"].partition_keys == [{ name = "run_date", type = "date" }]
    )
    error_message = "event_date and run_date must be DATE partition keys, event_type STRING"
  }

  assert {
    condition = (
      module.processing.tables["events"].location == "s3://${module.storage.bucket_names.lake}/events/" &&
      module.processing.tables["events_audit"].location == module.processing.tables["events"].location &&
      module.processing.tables["quarantine"].location == "s3://${module.storage.bucket_names.quarantine}/events/" &&
      module.processing.tables["manifests"].location == "s3://${module.storage.bucket_names.reports}/manifests/"
    )
    error_message = "the tables must sit over the buckets the job writes (events_audit over the same files as events)"
  }

  assert {
    condition     = module.processing.database_name == jsondecode(file("../eventlake/core/storage_layout.json")).glue.database
    error_message = "the Glue database must default to storage_layout.json's glue.database"
  }

  assert {
    condition     = module.processing.workgroup_encryption == "SSE_KMS"
    error_message = "Athena results must be encrypted with KMS"
  }
}

run "job_tables_and_workgroup_details" {
  command = plan

  module {
    source = "./modules/processing"
  }

  variables {
    name_prefix            = "eventlake-test"
    account_id             = "123456789012"
    partition              = "aws"
    region                 = "eu-west-1"
    kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/test"
    database_name          = "eventlake"
    tables                 = jsondecode(file("../eventlake/core/storage_layout.json")).tables
    worker_type            = "G.2X"
    number_of_workers      = 6
    timeout_minutes        = 90
    additional_modules     = "orjson==3.13.0"
    log_retention_days     = 30
    athena_expiration_days = 30
    bucket_arns = {
      raw        = "arn:aws:s3:::eventlake-test-raw-123456789012"
      lake       = "arn:aws:s3:::eventlake-test-lake-123456789012"
      quarantine = "arn:aws:s3:::eventlake-test-quarantine-123456789012"
      reports    = "arn:aws:s3:::eventlake-test-reports-123456789012"
      scripts    = "arn:aws:s3:::eventlake-test-scripts-123456789012"
      mwaa       = "arn:aws:s3:::eventlake-test-mwaa-123456789012"
    }
    uris = {
      raw        = "s3://eventlake-test-raw-123456789012"
      lake       = "s3://eventlake-test-lake-123456789012"
      quarantine = "s3://eventlake-test-quarantine-123456789012"
      reports    = "s3://eventlake-test-reports-123456789012"
      athena     = "s3://eventlake-test-reports-123456789012/athena-results/"
      package    = "s3://eventlake-test-scripts-123456789012/eventlake/eventlake.zip"
      jar        = "s3://eventlake-test-scripts-123456789012/eventlake/eventlake-dayjob.jar"
      script     = "s3://eventlake-test-scripts-123456789012/glue_jobs/events_daily.py"
    }
    job_defaults = { grace_minutes = 45, lookback_days = 3, max_future_skew_s = 120, max_event_age_days = 5 }
  }

  assert {
    condition     = aws_glue_job.events_daily.worker_type == "G.2X" && aws_glue_job.events_daily.number_of_workers == 6
    error_message = "worker type and count must come from the variables"
  }

  assert {
    condition     = one(aws_glue_job.events_daily.command).script_location == "s3://eventlake-test-scripts-123456789012/glue_jobs/events_daily.py"
    error_message = "the job must run glue_jobs/events_daily.py from the scripts bucket"
  }

  assert {
    condition     = aws_glue_job.events_daily.default_arguments["--grace_minutes"] == "45" && aws_glue_job.events_daily.default_arguments["--lookback_days"] == "3"
    error_message = "grace and lookback defaults must follow the variables"
  }

  assert {
    condition     = aws_glue_job.events_daily.security_configuration == aws_glue_security_configuration.this.name
    error_message = "the job must use the security configuration"
  }

  assert {
    condition = (
      one(one(aws_glue_security_configuration.this.encryption_configuration).s3_encryption).s3_encryption_mode == "SSE-KMS" &&
      one(one(aws_glue_security_configuration.this.encryption_configuration).cloudwatch_encryption).cloudwatch_encryption_mode == "SSE-KMS" &&
      one(one(aws_glue_security_configuration.this.encryption_configuration).job_bookmarks_encryption).job_bookmarks_encryption_mode == "CSE-KMS"
    )
    error_message = "the security configuration must encrypt S3 output, logs and bookmarks"
  }

  assert {
    condition     = aws_glue_job.events_daily.default_arguments["--continuous-log-logGroup"] == aws_cloudwatch_log_group.job.name
    error_message = "continuous logs must go to the managed (retained, encrypted) log group"
  }

  assert {
    condition = (
      jsonencode([for i in aws_glue_catalog_table.declared["events"].partition_index : i.keys]) == jsonencode([["run_date"]]) &&
      jsonencode([for i in aws_glue_catalog_table.declared["events_audit"].partition_index : i.keys]) == jsonencode([["run_date"]]) &&
      length(aws_glue_catalog_table.declared["quarantine"].partition_index) == 0
    )
    error_message = "events and events_audit need a run_date partition index (the nightly steps look up one run)"
  }

  assert {
    condition = (
      one(aws_glue_catalog_table.declared["events"].storage_descriptor).ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" &&
      one(aws_glue_catalog_table.declared["manifests"].storage_descriptor).ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe"
    )
    error_message = "Parquet tables need the Parquet SerDe, the manifests the JSON SerDe"
  }

  assert {
    condition     = one(aws_glue_job.events_daily.execution_property).max_concurrent_runs == 1
    error_message = "two runs of the job at once would race on the same partitions"
  }

  assert {
    condition     = one(aws_athena_workgroup.this.configuration).enforce_workgroup_configuration
    error_message = "the workgroup must enforce its encrypted result location"
  }
}
