# Two commands matter: `make demo` (the whole pipeline locally) and `make test` (everything CI runs).
# Both create or refresh .venv/ idempotently and install what they need themselves.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
export SODA_CORE_TELEMETRY_ENABLED := false

.PHONY: venv demo test lint format unit tf-test checkov bench airflow deploy clean

$(STAMP): pyproject.toml requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e '.[cli]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/eventlake demo $(DEMO_ARGS)

test: $(STAMP) lint unit tf-test checkov

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

tf-test:
	bash infra/scripts/tf-check.sh

$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r infra/requirements-checkov.txt
	@touch $@

checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework terraform -d infra

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

deploy: $(STAMP)
	$(BIN)/eventlake deploy $(DEPLOY_ARGS)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .local .pytest_cache .ruff_cache
