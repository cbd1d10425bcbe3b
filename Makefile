# Two commands matter: `make demo` (the whole pipeline locally) and `make test` (everything CI runs).
# Both create or refresh .venv/ idempotently and install what they need themselves.
SHELL := /bin/bash
# The first interpreter of that version on PATH or under pyenv (whose shims need PYENV_VERSION).
find_python = $(firstword $(foreach p,python$(1) $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/$(1).*/bin/python$(1)),$(shell "$(p)" -c 'import sys; sys.exit(sys.version[:5] != "$(1).")' >/dev/null 2>&1 && echo "$(p)")))
# The dev environment runs MWAA 3.3.1's Python; the Glue-side tests also run on Glue 6.0's.
PYTHON ?= $(call find_python,3.12)
GLUE_PYTHON ?= $(call find_python,3.13)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GLUE_VENV := .venv-glue
GLUE_STAMP := $(GLUE_VENV)/.installed
CHECKOV_VENV := .venv-checkov
export SODA_CORE_TELEMETRY_ENABLED := false

.PHONY: venv demo test browser lint format unit glue-test tf-test checkov bench airflow deploy clean

# A venv of another Python version is replaced, not reused.
$(STAMP): pyproject.toml requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "make: Python 3.12 (MWAA 3.3.1's) not found; install it (e.g. pyenv install 3.12) or pass PYTHON=/path/to/python3.12"; exit 1; }
	@$(BIN)/python -c 'import sys; sys.exit(sys.version[:5] != "3.12.")' 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e '.[cli]'
	@touch $@

$(GLUE_STAMP): pyproject.toml requirements-glue.txt
	@test -n "$(GLUE_PYTHON)" || { echo "make: Python 3.13 (Glue 6.0's) not found; install it (e.g. pyenv install 3.13) or pass GLUE_PYTHON=/path/to/python3.13"; exit 1; }
	@$(GLUE_VENV)/bin/python -c 'import sys; sys.exit(sys.version[:5] != "3.13.")' 2>/dev/null || { rm -rf $(GLUE_VENV); $(GLUE_PYTHON) -m venv $(GLUE_VENV); }
	$(GLUE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(GLUE_VENV)/bin/python -m pip install --quiet -r requirements-glue.txt -e '.[cli]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	@$(BIN)/eventlake demo $(DEMO_ARGS)

test: $(STAMP) browser lint unit glue-test tf-test checkov

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

# Also the tracking plan: changes since its last released snapshot must not break readers.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/eventlake schemas check

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The code Glue 6.0 runs (the contract and the Spark stages), on Glue 6.0's Python 3.13.
glue-test: $(GLUE_STAMP)
	PYSPARK_PYTHON=$(GLUE_VENV)/bin/python $(GLUE_VENV)/bin/python -m pytest tests/contract tests/dayjob $(GLUE_PYTEST_ARGS)

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
	rm -rf $(VENV) $(GLUE_VENV) $(CHECKOV_VENV) .local .pytest_cache .ruff_cache
