output "environment_name" {
  description = "MWAA environment name (null without the environment)."
  value       = one(aws_mwaa_environment.this[*].name)
}

output "airflow_version" {
  description = "Airflow version of the environment."
  value       = one(aws_mwaa_environment.this[*].airflow_version)
}

output "webserver_url" {
  description = "Airflow UI URL."
  value       = one(aws_mwaa_environment.this[*].webserver_url)
}

output "source_paths" {
  description = "Where MWAA reads DAGs, plugins, requirements and the startup script."
  value = {
    bucket       = local.mwaa_bucket
    dags         = one(aws_mwaa_environment.this[*].dag_s3_path)
    plugins      = one(aws_mwaa_environment.this[*].plugins_s3_path)
    requirements = one(aws_mwaa_environment.this[*].requirements_s3_path)
    startup      = one(aws_mwaa_environment.this[*].startup_script_s3_path)
  }
}

output "airflow_configuration" {
  description = "Airflow configuration options, including the [eventlake] section (what MWAA gets)."
  value       = local.airflow_configuration
  sensitive   = true # the provider marks every option sensitive
}

output "webserver_access_mode" {
  description = "PRIVATE_ONLY or PUBLIC_ONLY."
  value       = var.webserver_access_mode
}

output "security_group_id" {
  description = "MWAA security group."
  value       = aws_security_group.mwaa.id
}

output "iam_policies" {
  description = "IAM policy documents of this module, by role."
  value = merge(
    { mwaa_execution = aws_iam_role_policy.execution.policy },
    { for role in aws_iam_role_policy.flow_logs : "vpc_flow_logs" => role.policy },
  )
}

output "eventlake_settings" {
  description = "The [eventlake] Airflow settings the DAG reads (the same map MWAA gets, without the prefix)."
  value       = var.eventlake_settings
}
