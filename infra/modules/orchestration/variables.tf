variable "name_prefix" {
  description = "Resource name prefix; also the MWAA environment name."
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

variable "region" {
  description = "AWS region."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for the environment, its logs and the data it reads."
  type        = string
}

variable "bucket_arns" {
  description = "Bucket ARN per purpose (raw, lake, quarantine, reports, scripts, mwaa)."
  type        = map(string)
}

variable "raw_events_root" {
  description = "Prefix of delivered records in the raw bucket (the DAG lists it to wait for the day's last hour)."
  type        = string
}

variable "environment_class" {
  description = "MWAA environment class."
  type        = string
}

variable "min_workers" {
  description = "Minimum workers."
  type        = number
}

variable "max_workers" {
  description = "Maximum workers."
  type        = number
}

variable "webserver_access_mode" {
  description = "PRIVATE_ONLY or PUBLIC_ONLY."
  type        = string
}

variable "log_level" {
  description = "Airflow log level for CloudWatch."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of MWAA and VPC flow log groups."
  type        = number
}

variable "create_vpc" {
  description = "Create the VPC, or use existing_vpc_id and existing_subnet_ids."
  type        = bool
}

variable "vpc_cidr" {
  description = "CIDR of the created VPC."
  type        = string
}

variable "availability_zones" {
  description = "The two zones of the created private subnets; empty means <region>a and <region>b."
  type        = list(string)
  default     = []
}

variable "existing_vpc_id" {
  description = "Existing VPC when create_vpc = false."
  type        = string
  default     = null
}

variable "existing_subnet_ids" {
  description = "Two existing private subnets when create_vpc = false."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.existing_subnet_ids) == 0 || length(var.existing_subnet_ids) == 2
    error_message = "MWAA needs exactly two private subnets in different availability zones."
  }
}

variable "glue_job_arn" {
  description = "The only Glue job the DAG may start."
  type        = string
}

variable "glue_catalog_arns" {
  description = "Catalog, database and table ARNs: Athena reads through them, the DAG registers run partitions in them."
  type        = list(string)
}

variable "glue_type_table_arns" {
  description = "Catalog, database and events_<type> table ARNs: publish creates and updates the tracking plan's per-type tables."
  type        = list(string)
}

variable "glue_declared_table_arns" {
  description = "ARNs of the tables Terraform declares (storage_layout.json): the role may not create, change or delete them, though events_* matches events_audit."
  type        = list(string)
}

variable "create_environment" {
  description = "Create the MWAA environment. false leaves it out (an emulated account: moto has no MWAA) and keeps the rest: role, network, settings."
  type        = bool
  default     = true
}

variable "glue_job_log_group_arn" {
  description = "Job log group, so task logs can show the job's driver output."
  type        = string
}

variable "athena_workgroup_arn" {
  description = "The workgroup Soda queries through."
  type        = string
}

variable "alerts_topic_arn" {
  description = "The topic the DAG publishes failures and quality alerts to."
  type        = string
}

variable "eventlake_settings" {
  description = "Keys of the [eventlake] Airflow config section."
  type        = map(string)
}
