# Every target sets up what it needs: the Python venv, the npm tools and, for
# the browser tests, Debian's Chromium.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
LINT_VENV := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed
NODE_STAMP := node_modules/.installed
CHROMIUM ?= /usr/bin/chromium

PROMPT ?= a jaguar in the Amazon rainforest
NEGATIVE ?=
SEED ?=
OUT ?= out/image.png
PORT ?= 8080

.PHONY: help venv run test bench lint fmt synth deploy destroy local chromium clean

help:
	@echo "make run PROMPT='...'   run one request through the workflow, locally"
	@echo "make test               unit, integration, infrastructure and browser tests"
	@echo "make local              the whole system on 127.0.0.1 (API, page, moto, stand-ins)"
	@echo "make bench              latency of the local stand-ins"
	@echo "make lint               ruff, asl-validator, cdk-nag, cfn-lint, checkov"
	@echo "make synth | deploy | destroy   the CDK app (deploy needs AWS credentials)"

$(VENV_STAMP): requirements.txt requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	touch $@

venv: $(VENV_STAMP)

$(LINT_STAMP): requirements-lint.txt
	test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(LINT_VENV)/bin/python -m pip install --quiet -r requirements-lint.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium; a test tool's own browser download
# cannot work offline.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; }

run: $(VENV_STAMP)
	$(PY) -m workflow run "$(PROMPT)" $(if $(NEGATIVE),--negative-prompt "$(NEGATIVE)") $(if $(SEED),--seed $(SEED)) --out "$(OUT)"

test: $(VENV_STAMP) $(NODE_STAMP) chromium
	$(PY) -m pytest

bench: $(VENV_STAMP)
	$(PY) -m workflow.standins.bench

local: $(VENV_STAMP)
	$(PY) -m workflow local --port $(PORT)

fmt: $(VENV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lint: $(VENV_STAMP) $(NODE_STAMP) $(LINT_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	npx --no-install asl-validator --json-path asl/text2image.asl.json

synth: $(VENV_STAMP) $(NODE_STAMP)
	npx --no-install cdk synth --quiet

deploy: $(VENV_STAMP) $(NODE_STAMP)
	npx --no-install cdk deploy --require-approval broadening

destroy: $(VENV_STAMP) $(NODE_STAMP)
	npx --no-install cdk destroy

clean:
	rm -rf $(VENV) $(LINT_VENV) node_modules cdk.out out .pytest_cache .ruff_cache
