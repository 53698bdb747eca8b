# Billow: `make run` starts the service on its embedded stack; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Lambda runs python3.12: use it when this machine has it (also under pyenv), else python3.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { command -v $$p; break; }; done)
STAMP := $(VENV)/.installed

.PHONY: run token test lint unit integration bench mutate clean browser console console-check

# The console (TypeScript, console/): npm ci when its lock changed, its API types generated from the
# API's own OpenAPI document, then a build that only reruns when a source changed.
CONSOLE_NPM := console/node_modules/.installed
CONSOLE_SOURCES := $(shell find console/src console/index.html console/vite.config.ts console/tsconfig.json -type f 2>/dev/null)
API_SOURCES := $(shell find shared/billing/http shared/billing/domain -name '*.py' 2>/dev/null)

$(STAMP): requirements-dev.txt shared/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(CONSOLE_NPM): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

console/generated/openapi.json: $(STAMP) $(API_SOURCES)
	@mkdir -p console/generated
	PYTHONPATH=shared $(PY) -c "from billing.http.openapi import openapi_document; print(openapi_document())" > $@

console/dist/index.html: $(CONSOLE_NPM) console/generated/openapi.json $(CONSOLE_SOURCES)
	cd console && npm run --silent build

console: console/dist/index.html

# Its type check, lint and unit tests (Vitest); the browser tests are in tests/integration.
console-check: $(CONSOLE_NPM) console/generated/openapi.json
	cd console && npm run --silent typecheck && npm run --silent lint && npm run --silent test

run: $(STAMP) console
	$(PY) -m local.run

token: $(STAMP)
	@$(PY) -m local.auth --tenant $(or $(TENANT),acme) --role $(or $(ROLE),admin) $(if $(SANDBOX),--sandbox)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/mypy -p billing
	$(VENV)/bin/mypy tests/unit/fake_conformance.py

test: lint console-check console browser
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

integration: $(STAMP) console
	$(PY) -m pytest -n auto tests/integration

bench: $(STAMP)
	$(PY) -m bench

# Mutation testing of the money engine and the services' safety rules; prints the share killed.
mutate: $(STAMP)
	$(PY) -m tests.mutation

clean:
	rm -rf console/node_modules console/dist console/generated
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache shared/.mypy_cache .hypothesis .mutmut
