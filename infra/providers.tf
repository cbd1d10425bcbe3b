provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      project     = var.project
      environment = var.environment
      managed-by  = "terraform"
    })
  }
}
