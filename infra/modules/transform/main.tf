# The Firehose record transform: an ECR repository and a container-image Lambda.

variable "name_prefix" {
  description = "Resource name prefix."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for the repository, the function's environment and its logs."
  type        = string
}

variable "image_tag" {
  description = "Image tag to run (pushed by `eventlake deploy`)."
  type        = string
}

variable "memory_mb" {
  description = "Function memory in MiB."
  type        = number
}

variable "timeout_s" {
  description = "Function timeout in seconds."
  type        = number
}

variable "reserved_concurrency" {
  description = "Reserved concurrency; -1 for none."
  type        = number
}

variable "keep_images" {
  description = "Tagged images kept."
  type        = number
}

variable "log_retention_days" {
  description = "Function log retention."
  type        = number
}

locals {
  function_name = "${var.name_prefix}-firehose-transform"
  # Must match CMD in lambdas/firehose_transform/Dockerfile.
  handler = "eventlake.ingest.transform.lambda_handler"

  function_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.function.arn}:*"]
      },
      {
        # X-Ray has no resource-level permissions for these calls.
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
  }
}

resource "aws_ecr_repository" "transform" {
  name                 = "${var.name_prefix}/firehose-transform"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "transform" {
  repository = aws_ecr_repository.transform.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged layers after a day"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 1 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.keep_images} images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "function" {
  name = local.function_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "function" {
  name   = "transform-runtime"
  role   = aws_iam_role.function.id
  policy = jsonencode(local.function_policy)
}

resource "aws_lambda_function" "transform" {
  #checkov:skip=CKV_AWS_116:Firehose invokes the transform synchronously and retries, then writes failed records under the error prefix; a DLQ only applies to async invocations.
  #checkov:skip=CKV_AWS_117:The transform touches no VPC resource (pure function of the Firehose batch); a VPC would add cold-start ENIs and a NAT dependency for nothing.
  #checkov:skip=CKV_AWS_272:Lambda code signing does not support container images; the image is scanned on push and its tag is immutable.
  function_name                  = local.function_name
  role                           = aws_iam_role.function.arn
  package_type                   = "Image"
  image_uri                      = "${aws_ecr_repository.transform.repository_url}:${var.image_tag}"
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  architectures                  = ["x86_64"]

  image_config {
    command = [local.handler]
  }

  environment {
    variables = { EVENTLAKE_LOG_LEVEL = "INFO" }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  depends_on = [aws_iam_role_policy.function]
}

output "repository_url" {
  description = "ECR repository URL for `docker push`."
  value       = aws_ecr_repository.transform.repository_url
}

output "repository_name" {
  description = "ECR repository name."
  value       = aws_ecr_repository.transform.name
}

output "function_name" {
  description = "Transform function name."
  value       = aws_lambda_function.transform.function_name
}

output "function_arn" {
  description = "Transform function ARN (unqualified: Firehose calls $LATEST)."
  value       = aws_lambda_function.transform.arn
}

output "image_command" {
  description = "The handler the image runs."
  value       = aws_lambda_function.transform.image_config[0].command
}

output "iam_policies" {
  description = "IAM policy documents of this module, by role."
  value       = { transform = aws_iam_role_policy.function.policy }
}
