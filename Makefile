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

.PHONY: help venv run test bench loadtest lint fmt synth deploy destroy local chromium clean

help:
	@echo "make run PROMPT='...'   run one request through the workflow, locally"
	@echo "make test               unit, integration, infrastructure and browser tests"
	@echo "make local              the whole system on 127.0.0.1 (API, page, moto, stand-ins)"
	@echo "make bench              latency of the local stand-ins"
	@echo "make loadtest           capacity checks on 127.0.0.1 (bounded, about 2 minutes)"
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

loadtest: $(VENV_STAMP)
	$(PY) -m workflow.loadtest --chart out/loadtest.png

local: $(VENV_STAMP)
	$(PY) -m workflow local --port $(PORT)

fmt: $(VENV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The pinned CDK CLI (package.json), offline-friendly: no version check, no
# notices, no telemetry, no instance-metadata probe. Region and options come
# from the environment (AWS_REGION, AWS_PROFILE) or `CDK_ARGS="-c key=value"`.
CDK := CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true \
	JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 npx --no-install cdk --no-notices
CDK_ARGS ?=
TEMPLATE := cdk.out/Text2Image.template.json

# checkov checks skipped for every resource of a kind (single resources are
# skipped in their own metadata, with reasons: cdk/text2image_cdk/nag.py):
#   CKV_AWS_115  reserved concurrency: load is bounded by stage throttling and the endpoint's capacity
#   CKV_AWS_116  DLQ: every function is invoked synchronously (Step Functions, API Gateway); DLQs are for async
#   CKV_AWS_117  VPC: the functions call only public AWS APIs; a VPC would add NAT or endpoints for nothing
#   CKV_AWS_158  KMS for log groups: CloudWatch Logs encrypts at rest already; no secrets are logged
#   CKV_AWS_173  KMS for Lambda environment: it holds thresholds and names, no secrets
#   CKV_AWS_21   S3 versioning: it would keep the rejected images moderation deletes
CHECKOV_SKIP := CKV_AWS_115,CKV_AWS_116,CKV_AWS_117,CKV_AWS_158,CKV_AWS_173,CKV_AWS_21

lint: $(VENV_STAMP) $(NODE_STAMP) $(LINT_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	npx --no-install asl-validator --json-path asl/text2image.asl.json
	@# The synth runs cdk-nag's AwsSolutions checks: any unacknowledged finding fails it.
	$(CDK) synth --quiet $(CDK_ARGS)
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- $(TEMPLATE)
	$(LINT_VENV)/bin/checkov --skip-download --quiet --compact --framework cloudformation \
	  -f $(TEMPLATE) --skip-check $(CHECKOV_SKIP)

synth: $(VENV_STAMP) $(NODE_STAMP)
	$(CDK) synth --quiet $(CDK_ARGS)
	@echo "template: $(TEMPLATE)"

deploy: $(VENV_STAMP) $(NODE_STAMP)
	$(CDK) deploy --require-approval broadening --outputs-file cdk.out/outputs.json $(CDK_ARGS)

destroy: $(VENV_STAMP) $(NODE_STAMP)
	$(CDK) destroy $(CDK_ARGS)

clean:
	rm -rf $(VENV) $(LINT_VENV) node_modules cdk.out out .pytest_cache .ruff_cache
