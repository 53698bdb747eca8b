# Billow: `make run` starts the service on its embedded stack; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Lambda runs python3.12: use it when this machine has it (also under pyenv), else python3.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { command -v $$p; break; }; done)
STAMP := $(VENV)/.installed

.PHONY: run token test lint unit integration bench mutate clean browser

$(STAMP): requirements-dev.txt shared/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m local.run

token: $(STAMP)
	@$(PY) -m local.auth --tenant $(or $(TENANT),acme) --role $(or $(ROLE),admin) $(if $(SANDBOX),--sandbox)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/mypy -p billing
	$(VENV)/bin/mypy tests/unit/fake_conformance.py

test: lint browser
	$(PY) -m pytest -n auto

# The browser tests drive Debian's Chromium headless (Playwright cannot download browsers here);
# the PDF tests render pages with poppler's pdftoppm. Installed when missing and we may; otherwise
# those tests are skipped and say why.
browser:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing for the browser and PDF tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "could not install$$missing: the tests that need them will be skipped"; \
	  else echo "missing$$missing, and not root: the tests that need them will be skipped"; fi; fi

unit: $(STAMP)
	$(PY) -m pytest -n auto tests/unit

integration: $(STAMP)
	$(PY) -m pytest -n auto tests/integration

bench: $(STAMP)
	$(PY) -m bench

# Mutation testing of the money engine and the services' safety rules; prints the share killed.
mutate: $(STAMP)
	$(PY) -m tests.mutation

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache shared/.mypy_cache .hypothesis .mutmut
