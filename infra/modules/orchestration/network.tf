# MWAA runs in two private subnets; a NAT gateway gives it AWS APIs and PyPI.

locals {
  vpc_id     = var.create_vpc ? aws_vpc.this[0].id : var.existing_vpc_id
  subnet_ids = var.create_vpc ? aws_subnet.private[*].id : var.existing_subnet_ids
  # Two fixed zones (not "whatever is available") so a plan never moves subnets.
  azs = length(var.availability_zones) == 2 ? var.availability_zones : ["${var.region}a", "${var.region}b"]
}

resource "aws_vpc" "this" {
  count = var.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name_prefix }
}

# Nothing may use the default security group.
resource "aws_default_security_group" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
}

resource "aws_subnet" "private" {
  count = var.create_vpc ? 2 : 0

  vpc_id                  = aws_vpc.this[0].id
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.name_prefix}-private-${local.azs[count.index]}" }
}

resource "aws_subnet" "public" {
  count = var.create_vpc ? 1 : 0

  vpc_id                  = aws_vpc.this[0].id
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, 255)
  availability_zone       = local.azs[0]
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.name_prefix}-public-nat" }
}

resource "aws_internet_gateway" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
}

resource "aws_eip" "nat" {
  count = var.create_vpc ? 1 : 0

  domain = "vpc"
}

resource "aws_nat_gateway" "this" {
  count = var.create_vpc ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this[0].id
  }
}

resource "aws_route_table_association" "public" {
  count = var.create_vpc ? 1 : 0

  subnet_id      = aws_subnet.public[0].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_route_table" "private" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this[0].id
  }
}

resource "aws_route_table_association" "private" {
  count = var.create_vpc ? 2 : 0

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

# S3 traffic (DAG code, data) skips the NAT gateway: cheaper and stays on the AWS network.
resource "aws_vpc_endpoint" "s3" {
  count = var.create_vpc ? 1 : 0

  vpc_id            = aws_vpc.this[0].id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private[0].id]
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  count = var.create_vpc ? 1 : 0

  name              = "/aws/vpc/${var.name_prefix}-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "flow_logs" {
  count = var.create_vpc ? 1 : 0

  name = "${var.name_prefix}-vpc-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.create_vpc ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = jsonencode(local.flow_logs_policy)
}

locals {
  flow_logs_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteFlowLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = ["arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/vpc/${var.name_prefix}-flow-logs:*"]
    }]
  }
}

resource "aws_flow_log" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id          = aws_vpc.this[0].id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn    = aws_iam_role.flow_logs[0].arn
}

resource "aws_security_group" "mwaa" {
  name        = "${var.name_prefix}-mwaa"
  description = "MWAA: its own components talk to each other; out only over HTTPS"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "mwaa_self" {
  security_group_id            = aws_security_group.mwaa.id
  description                  = "MWAA components (scheduler, workers, webserver, metadata DB endpoint) reach each other"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.mwaa.id
}

resource "aws_vpc_security_group_egress_rule" "mwaa_self" {
  security_group_id            = aws_security_group.mwaa.id
  description                  = "MWAA components reach each other"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.mwaa.id
}

resource "aws_vpc_security_group_egress_rule" "mwaa_https" {
  security_group_id = aws_security_group.mwaa.id
  description       = "AWS APIs (Glue, Athena, SNS, S3, SQS, logs) and PyPI for requirements.txt"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
