#!/usr/bin/env bash
# Offline Terraform checks: fmt, init (no backend), validate, and `terraform test` with a mocked AWS provider.
# Uses the provider mirror at /opt/tf-plugins when it exists (CI and dev machines without
# registry access); otherwise `terraform init` downloads the provider as usual.
set -euo pipefail
cd "$(dirname "$0")/.."

MIRROR="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
if [[ -d "$MIRROR" ]]; then
  cli_config="$(mktemp)"
  trap 'rm -f "$cli_config"' EXIT
  cat >"$cli_config" <<HCL
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
HCL
  export TF_CLI_CONFIG_FILE="$cli_config"
  echo "tf-check: AWS provider from the mirror at $MIRROR"
fi
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

step() { echo "tf-check: $*"; }

step "terraform fmt -check -recursive"
terraform fmt -check -recursive -diff

step "terraform init -backend=false"
terraform init -backend=false -input=false -no-color >/dev/null

step "terraform validate"
terraform validate -no-color

step "terraform test (mock_provider \"aws\", no credentials, no network)"
terraform test -no-color
