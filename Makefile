# Two commands matter: `make demo` (the whole pipeline locally) and `make test` (everything CI runs).
# Both create or refresh .venv/ idempotently and install what they need themselves.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
export SODA_CORE_TELEMETRY_ENABLED := false

.PHONY: venv demo test browser lint format unit tf-test checkov bench airflow deploy clean

$(STAMP): pyproject.toml requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e '.[cli]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	@$(BIN)/eventlake demo $(DEMO_ARGS)

test: $(STAMP) browser lint unit tf-test checkov

# The Airflow UI test drives Debian's chromium; install it where we can (root + apt-get).
# Never fatal: without it the browser test skips and says why.
browser:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends chromium \
			|| { apt-get update && apt-get install -y --no-install-recommends chromium; } \
			|| echo "browser: could not install chromium; the Airflow UI test will skip"; \
	else \
		echo "browser: /usr/bin/chromium missing (need root and apt-get to install it); the Airflow UI test will skip"; \
	fi

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

# The Airflow UI on the local target, showing the runs `make demo` made (Ctrl-C stops it).
airflow: $(STAMP)
	$(BIN)/eventlake airflow $(AIRFLOW_ARGS)

deploy: $(STAMP)
	$(BIN)/eventlake deploy $(DEPLOY_ARGS)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .local .pytest_cache .ruff_cache
