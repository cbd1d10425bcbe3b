# `eventlake deploy` reads these with `terraform output -json`.

output "region" {
  description = "Region of the stack."
  value       = data.aws_region.current.name
}

output "bucket_names" {
  description = "Bucket name per purpose: raw, lake, quarantine, reports, scripts, mwaa."
  value       = module.storage.bucket_names
}

output "uris" {
  description = "URIs the Glue job and the DAG use."
  value       = local.uris
}

output "kms_key_arn" {
  description = "The stack's data key."
  value       = module.kms.key_arn
}

output "kinesis_stream_name" {
  description = "Stream the producer writes to (`eventlake produce --stream ...`)."
  value       = module.streaming.stream_name
}

output "firehose_delivery_stream_name" {
  description = "Firehose delivery stream."
  value       = module.streaming.delivery_stream_name
}

output "firehose_prefixes" {
  description = "Prefix and error prefix as set on the delivery stream (must equal storage_layout.json)."
  value = {
    prefix       = module.streaming.firehose_prefix
    error_prefix = module.streaming.firehose_error_prefix
  }
}

output "ecr_repository_url" {
  description = "Where `eventlake deploy` pushes the transform image."
  value       = module.transform.repository_url
}

output "ecr_repository_name" {
  description = "ECR repository name."
  value       = module.transform.repository_name
}

output "lambda_function_name" {
  description = "Transform function."
  value       = module.transform.function_name
}

output "glue_job_name" {
  description = "Nightly Glue job."
  value       = module.processing.job_name
}

output "glue_tables" {
  description = "The declared Glue tables (events, events_audit, quarantine, manifests): location, columns, partition keys."
  value       = module.processing.tables
}

output "glue_database" {
  description = "Glue catalog database."
  value       = module.processing.database_name
}

output "athena_workgroup" {
  description = "Athena workgroup."
  value       = module.processing.workgroup_name
}

output "alerts_topic_arn" {
  description = "Alert topic."
  value       = module.monitoring.topic_arn
}

output "airflow_eventlake_settings" {
  description = "The DAG's [eventlake] settings as MWAA gets them (AIRFLOW__EVENTLAKE__<KEY> for a self-run Airflow)."
  value       = module.orchestration.eventlake_settings
}

output "mwaa_environment_name" {
  description = "MWAA environment `eventlake deploy` updates."
  value       = module.orchestration.environment_name
}

output "mwaa_webserver_url" {
  description = "Airflow UI."
  value       = module.orchestration.webserver_url
}

output "iam_policies" {
  description = "Every IAM role policy document this stack creates, by role (reviewed by tests/iam.tftest.hcl)."
  value = merge(
    module.streaming.iam_policies,
    module.transform.iam_policies,
    module.processing.iam_policies,
    module.orchestration.iam_policies,
  )
}
