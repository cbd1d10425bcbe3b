# Every bucket: SSE-KMS with the stack key, public access blocked, TLS-only, owner-enforced.

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

run "every_bucket_is_encrypted_private_and_tls_only" {
  command = plan

  assert {
    condition     = toset(keys(module.storage.bucket_names)) == toset(["raw", "lake", "quarantine", "reports", "scripts", "mwaa"])
    error_message = "expected exactly the raw, lake, quarantine, reports, scripts and mwaa buckets, got ${jsonencode(keys(module.storage.bucket_names))}"
  }

  assert {
    condition     = module.storage.bucket_names.raw == "eventlake-test-raw-123456789012"
    error_message = "bucket names must be <project>-<env>-<purpose>-<account> to stay globally unique, got ${module.storage.bucket_names.raw}"
  }

  assert {
    condition = length(module.storage.encryption) == 6 && alltrue([
      for bucket, sse in module.storage.encryption : sse.sse_algorithm == "aws:kms" && sse.kms_key == module.kms.key_arn
    ])
    error_message = "every bucket must default to SSE-KMS with the stack key: ${jsonencode(module.storage.encryption)}"
  }

  assert {
    condition = length(module.storage.public_access_blocks) == 6 && alltrue([
      for bucket, block in module.storage.public_access_blocks :
      block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets
    ])
    error_message = "every bucket must block all four kinds of public access: ${jsonencode(module.storage.public_access_blocks)}"
  }

  assert {
    condition = length(module.storage.ownership) == 6 && alltrue([
      for bucket, ownership in module.storage.ownership : ownership == "BucketOwnerEnforced"
    ])
    error_message = "every bucket must disable ACLs (BucketOwnerEnforced): ${jsonencode(module.storage.ownership)}"
  }

  assert {
    condition = length(module.storage.bucket_policies) == 6 && alltrue([
      for bucket, policy in module.storage.bucket_policies : anytrue([
        for statement in jsondecode(policy).Statement :
        statement.Effect == "Deny" && statement.Principal == "*" && try(statement.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "every bucket policy must deny requests without TLS"
  }

  assert {
    condition = alltrue([
      for bucket, policy in module.storage.bucket_policies : alltrue([
        for statement in jsondecode(policy).Statement : statement.Effect == "Deny"
      ])
    ])
    error_message = "bucket policies may only deny; access is granted through IAM roles"
  }

  assert {
    condition     = module.storage.versioning.mwaa == "Enabled"
    error_message = "MWAA requires a versioned source bucket"
  }
}

run "raw_expires_and_athena_results_expire" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    name_prefix                        = "eventlake-test"
    account_id                         = "123456789012"
    partition                          = "aws"
    kms_key_arn                        = "arn:aws:kms:eu-west-1:123456789012:key/test"
    raw_expiration_days                = 21
    noncurrent_version_expiration_days = 30
    athena_results_expiration_days     = 7
  }

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.this["raw"].rule :
      rule.status == "Enabled" && try(rule.expiration[0].days, 0) == 21 && try(rule.filter[0].prefix, "") == ""
    ])
    error_message = "raw objects must expire after raw_expiration_days"
  }

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.this["reports"].rule :
      try(rule.expiration[0].days, 0) == 7 && try(rule.filter[0].prefix, "") == "athena-results/"
    ])
    error_message = "Athena results must expire, and only them in the reports bucket"
  }

  assert {
    condition = alltrue([
      for key in ["lake", "quarantine", "scripts", "mwaa"] : alltrue([
        for rule in aws_s3_bucket_lifecycle_configuration.this[key].rule : length(rule.expiration) == 0
      ])
    ])
    error_message = "the lake, quarantine, scripts and MWAA buckets must never expire current objects"
  }

  assert {
    condition = alltrue([
      for key, lifecycle in aws_s3_bucket_lifecycle_configuration.this : anytrue([
        for rule in lifecycle.rule : try(rule.abort_incomplete_multipart_upload[0].days_after_initiation, 0) > 0
      ])
    ])
    error_message = "every bucket must abort incomplete multipart uploads"
  }
}
