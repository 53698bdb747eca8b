# Billow: `make run` starts the service on its embedded stack; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Lambda runs python3.12: use it when this machine has it (also under pyenv), else python3.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { command -v $$p; break; }; done)
STAMP := $(VENV)/.installed

.PHONY: run token test lint unit integration bench clean

$(STAMP): requirements-dev.txt shared/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m local.run

token: $(STAMP)
	@$(PY) -m local.auth --tenant $(or $(TENANT),acme) --role $(or $(ROLE),admin)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml

test: lint
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
