# Every stage has an alarm, and every alarm (and the Glue failure rule) reaches the alert topic.

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

run "alarms_cover_every_stage_and_page_the_topic" {
  command = plan

  assert {
    condition = length(setsubtract(toset([
      "AWS/Firehose/DeliveryToS3.Success",
      "AWS/Firehose/DeliveryToS3.DataFreshness",
      "AWS/Kinesis/WriteProvisionedThroughputExceeded",
      "AWS/Kinesis/GetRecords.IteratorAgeMilliseconds",
      "AWS/Lambda/Errors",
    ]), toset(values(module.monitoring.alarm_metrics)))) == 0
    error_message = "missing alarms; have ${jsonencode(module.monitoring.alarm_metrics)}"
  }

  assert {
    condition = alltrue([
      for alarm, actions in module.monitoring.alarm_actions : contains(actions, module.monitoring.topic_arn)
    ])
    error_message = "every alarm must notify the alert topic: ${jsonencode(module.monitoring.alarm_actions)}"
  }

  assert {
    condition     = module.monitoring.glue_failure_target == module.monitoring.topic_arn
    error_message = "Glue job failures must go to the alert topic"
  }

  assert {
    condition = (
      jsondecode(module.monitoring.glue_failure_pattern).detail.jobName == [module.processing.job_name] &&
      contains(jsondecode(module.monitoring.glue_failure_pattern).detail.state, "FAILED") &&
      contains(jsondecode(module.monitoring.glue_failure_pattern).detail.state, "TIMEOUT")
    )
    error_message = "the Glue failure rule must match this job's FAILED and TIMEOUT runs"
  }
}
