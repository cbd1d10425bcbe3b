# Least privilege: no wildcard actions; a "*" resource only for calls AWS cannot scope.

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

run "no_policy_grants_wildcard_actions" {
  command = plan

  assert {
    condition     = length(output.iam_policies) >= 5
    error_message = "expected the firehose, transform, glue job, MWAA and flow-log policies, got ${jsonencode(keys(output.iam_policies))}"
  }

  assert {
    condition = alltrue(flatten([
      for role, policy in output.iam_policies : [
        for statement in jsondecode(policy).Statement : [
          for action in flatten([statement.Action]) : action != "*" && !endswith(action, ":*")
        ]
      ]
    ]))
    error_message = "an IAM policy grants a service-wide wildcard action (\"*\" or \"<service>:*\")"
  }

  assert {
    condition = alltrue(flatten([
      for role, policy in output.iam_policies : [
        for statement in jsondecode(policy).Statement : contains(["Allow", "Deny"], statement.Effect) && can(statement.Action) && !can(statement.NotAction) && !can(statement.NotResource)
      ]
    ]))
    error_message = "policies must list what they allow or deny (no NotAction / NotResource)"
  }

  assert {
    # These calls have no resource-level permissions in IAM; everything else names its resources.
    condition = alltrue(flatten([
      for role, policy in output.iam_policies : [
        for statement in jsondecode(policy).Statement : [
          for action in flatten([statement.Action]) : contains([
            "xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData",
            "s3:GetAccountPublicAccessBlock", "logs:DescribeLogGroups", "glue:GetCrawlerMetrics",
          ], action) if contains(flatten([statement.Resource]), "*")
        ]
      ]
    ]))
    error_message = "a data-service action is granted on Resource \"*\""
  }
}

run "mwaa_may_only_run_this_job_and_change_partitions_and_type_tables_of_this_database" {
  command = plan

  assert {
    condition = alltrue([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement :
      flatten([statement.Resource]) == [module.processing.job_arn] if anytrue([for a in flatten([statement.Action]) : startswith(a, "glue:StartJobRun")])
    ])
    error_message = "MWAA may start only the nightly Glue job"
  }

  assert {
    condition = alltrue([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement :
      flatten([statement.Resource]) == module.processing.catalog_arns if anytrue([for a in flatten([statement.Action]) : endswith(a, "Partition")])
    ])
    error_message = "MWAA may change partitions only in the events database"
  }

  assert {
    condition = !anytrue(flatten([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement : [
        for a in flatten([statement.Action]) : contains(["glue:DeleteTable", "glue:StartCrawler"], a)
      ]
    ]))
    error_message = "MWAA must not delete a table (or crawl)"
  }

  assert {
    condition = alltrue([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement :
      flatten([statement.Resource]) == module.processing.type_table_arns
      if statement.Effect == "Allow" && anytrue([for a in flatten([statement.Action]) : contains(["glue:CreateTable", "glue:UpdateTable"], a)])
    ])
    error_message = "MWAA may create and update only the per-type tables (events_<type>)"
  }

  assert {
    # events_* matches events_audit too: a Deny keeps every declared table Terraform's.
    condition = anytrue([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement :
      statement.Effect == "Deny" && contains(statement.Action, "glue:UpdateTable") && contains(statement.Action, "glue:CreateTable") &&
      flatten([statement.Resource]) == module.processing.declared_table_arns
    ]) && anytrue([for arn in module.processing.declared_table_arns : endswith(arn, ":table/${module.processing.database_name}/events_audit")])
    error_message = "MWAA must be denied creating or changing the declared tables (events_audit matches events_*)"
  }

  assert {
    condition     = endswith(module.processing.type_table_arns[2], ":table/${module.processing.database_name}/events_*")
    error_message = "the per-type tables are the events database's events_* tables"
  }

  assert {
    condition = alltrue(flatten([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement : [
        for resource in flatten([statement.Resource]) :
        contains([for arn in values(module.storage.bucket_arns) : arn], trimsuffix(resource, "/*"))
        if startswith(resource, "arn:aws:s3:::")
      ]
    ]))
    error_message = "MWAA may touch only this stack's buckets"
  }

  assert {
    condition = alltrue([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement :
      flatten([statement.Resource]) == [module.monitoring.topic_arn] if contains(flatten([statement.Action]), "sns:Publish")
    ])
    error_message = "MWAA may publish only to the alert topic"
  }

  assert {
    condition = !anytrue([
      for statement in jsondecode(output.iam_policies.mwaa_execution).Statement :
      anytrue([for a in flatten([statement.Action]) : contains(["s3:PutObject", "s3:DeleteObject"], a)]) &&
      anytrue([for r in flatten([statement.Resource]) : startswith(r, module.storage.bucket_arns.lake) || startswith(r, module.storage.bucket_arns.raw) || startswith(r, module.storage.bucket_arns.mwaa)])
    ])
    error_message = "MWAA must not write the raw bucket, the lake or its own DAG source"
  }
}
