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
# The sagemaker SDK (2.x) pins older attrs/packaging/protobuf than the main venv: its own venv.
SAGEMAKER_VENV := .venv-sagemaker
SAGEMAKER_PY := $(SAGEMAKER_VENV)/bin/python
SAGEMAKER_STAMP := $(SAGEMAKER_VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

PROMPT ?= a jaguar in the Amazon rainforest
NEGATIVE ?=
SEED ?=
OUT ?= out/image.png
PORT ?= 8080

.PHONY: provenance-cert provenance-layer verify help venv run test bench eval-prompts loadtest capacity-sim lint fmt synth deploy destroy local chromium clean openapi smoke \
	endpoint endpoint-check jumpstart-table graphviz diagram docs docs-inventory pause resume

help:
	@echo "make run PROMPT='...'   run one request through the workflow, locally"
	@echo "make test               unit, integration, infrastructure and browser tests"
	@echo "make local              the whole system on 127.0.0.1 (API, page, moto, stand-ins)"
	@echo "make bench              latency of the local stand-ins, cold-start ratio of each handler, provenance cost"
	@echo "make eval-prompts       false rejections and harmful prompts stopped, on tests/data/prompts (API=URL for a deployed stack)"
	@echo "make loadtest           capacity checks on 127.0.0.1 (about 13 minutes, stops by itself within 20); INSTANCES=n"
	@echo "make capacity-sim       a day at 10 to 1,000 requests a minute, simulated: static vs live capacity"
	@echo "make lint               ruff, asl-validator, cdk-nag, cfn-lint, checkov"
	@echo "make synth | deploy | destroy   the CDK app (deploy needs AWS credentials)"
	@echo "make verify IMAGE=...   an image's Content Credentials and watermark, offline (TRUST=1: the local dev CA)"
	@echo "make provenance-cert    certify the deployed KMS signing key with the development CA (docs/provenance.md)"
	@echo "make openapi            regenerate docs/openapi.json from the contract"
	@echo "make docs               regenerate the generated parts of docs/: the diagram, the states table, what make deploy creates"
	@echo "make diagram            regenerate docs/workflow.dot, .svg and the states table in docs/workflow.md from the ASL"
	@echo "make smoke URL=...      check a deployed stack (or make local) answers correctly; AUTH=iam|apiKey|cognito"
	@echo "make pause | resume     stop or restart generation on the deployed stack (LOCAL=1: on make local)"
	@echo "make endpoint           deploy JumpStart SDXL 1.0 with the sagemaker SDK (needs AWS credentials)"
	@echo "make endpoint-check ENDPOINT=...   call an endpoint directly with the design's request"
	@echo "make jumpstart-table    resolve the per-Region JumpStart artifacts with the SDK (network)"

$(VENV_STAMP): requirements.txt requirements.lock requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

venv: $(VENV_STAMP)

$(LINT_STAMP): requirements-lint.txt
	test -x $(LINT_VENV)/bin/python || $(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --upgrade pip==26.3
	$(LINT_VENV)/bin/python -m pip install --quiet -r requirements-lint.txt
	touch $@

$(SAGEMAKER_STAMP): requirements-sagemaker.txt requirements-sagemaker.lock
	test -x $(SAGEMAKER_PY) || $(PYTHON) -m venv $(SAGEMAKER_VENV)
	$(SAGEMAKER_PY) -m pip install --quiet --upgrade pip==26.3
	$(SAGEMAKER_PY) -m pip install --quiet -r requirements-sagemaker.txt -c requirements-sagemaker.lock
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

# The workflow diagram is drawn by Debian's Graphviz; CI needs none, since the
# tests check the SVG by the DOT hash it carries.
DOT ?= /usr/bin/dot
graphviz:
	@test -x $(DOT) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  else echo "Graphviz is missing: sudo apt-get install graphviz" >&2; exit 1; fi; }

diagram: $(VENV_STAMP) graphviz
	$(PY) -m workflow.ops.diagram

run: $(VENV_STAMP)
	$(PY) -m workflow run "$(PROMPT)" $(if $(NEGATIVE),--negative-prompt "$(NEGATIVE)") $(if $(SEED),--seed $(SEED)) --out "$(OUT)" $(if $(ALL_STATES),--all-states)

test: $(VENV_STAMP) $(NODE_STAMP) $(SAGEMAKER_STAMP) chromium graphviz
	$(PY) -m pytest

# Every benchmark prints its numbers; the target fails at the end if any of them missed its target.
bench: $(VENV_STAMP)
	@status=0; \
	$(PY) -m workflow.measure.standins_bench || status=1; \
	$(PY) -m workflow.measure.cold_start || status=1; \
	taskset -c 0 $(PY) -m workflow.measure.provenance_bench || status=1; \
	exit $$status

# An evaluation, not a test: it prints rates and writes out/eval-prompts.png.
API ?=
eval-prompts: $(VENV_STAMP)
	$(PY) -m workflow.measure.eval_prompts $(if $(API),--api "$(API)")

# A simulation, not a test: static vs live capacity over a day; prints and writes docs/capacity-sim.png.
capacity-sim: $(VENV_STAMP)
	$(PY) -m workflow.measure.capacity_sim --chart docs/capacity-sim.png

# The SDXL stand-in's instances: `make loadtest INSTANCES=3`.
INSTANCES ?= 1
loadtest: $(VENV_STAMP)
	INSTANCES=$(INSTANCES) $(PY) -m workflow.measure.loadtest --chart out/loadtest.png

# AUTH=cognito: sign-in against moto's Cognito, with a test user (docs/local.md).
local: $(VENV_STAMP)
	$(PY) -m workflow local --port $(PORT) $(if $(filter cognito,$(AUTH)),--auth cognito)

# The operator's switch: while paused, requests answer 503 and jobs wait. No redeploy.
LOCAL ?=
pause resume: $(VENV_STAMP)
	$(PY) -m workflow.ops.pause $@ $(if $(LOCAL),--local "http://127.0.0.1:$(PORT)")

# URL: the stack's ApiUrl (or SiteUrl) output, or make local's URL. AUTH=iam signs
# with SigV4 from your credentials; AUTH=apiKey sends API_KEY as x-api-key; AUTH=cognito signs in
# as SMOKE_USERNAME with SMOKE_PASSWORD (URL: the SiteUrl, or make local AUTH=cognito's URL).
URL ?= http://127.0.0.1:$(PORT)
AUTH ?= none
# ENDPOINT=name also calls the SDXL endpoint directly: an endpoint fault, not a workflow one.
ENDPOINT ?=
smoke: $(VENV_STAMP) $(if $(ENDPOINT),$(SAGEMAKER_STAMP))
	$(PY) -m workflow.ops.smoke "$(URL)" --auth $(AUTH) \
	  $(if $(SMOKE_USERNAME),--username "$(SMOKE_USERNAME)") $(if $(SMOKE_PASSWORD),--password "$(SMOKE_PASSWORD)")
	$(if $(ENDPOINT),$(SAGEMAKER_PY) -m workflow.ops.jumpstart_sdk predict --endpoint-name "$(ENDPOINT)")

# The original design's way: JumpStartModel(...).deploy() on ml.g5.4xlarge, then one
# predict; prints the name for CDK_ARGS="-c existingEndpointName=...". About $2.03/hour
# until you delete it (aws sagemaker delete-endpoint --endpoint-name NAME).
ENDPOINT_NAME ?=
endpoint: $(SAGEMAKER_STAMP)
	SAGEMAKER_SUPPRESS_V2_WARNING=1 $(SAGEMAKER_PY) -m workflow.ops.jumpstart_sdk deploy \
	  $(if $(ENDPOINT_NAME),--endpoint-name "$(ENDPOINT_NAME)") --out out/endpoint-check.png

endpoint-check: $(SAGEMAKER_STAMP)
	SAGEMAKER_SUPPRESS_V2_WARNING=1 $(SAGEMAKER_PY) -m workflow.ops.jumpstart_sdk predict --endpoint-name "$(ENDPOINT)"

jumpstart-table: $(SAGEMAKER_STAMP)
	SAGEMAKER_SUPPRESS_V2_WARNING=1 $(SAGEMAKER_PY) -m workflow.ops.jumpstart_sdk table

# The certificate of the deployed stack's KMS signing key, from the development CA
# (docs/provenance.md says what a publicly trusted one needs); CERT_ARGS="--key-id K --parameter P".
# CSR=path [SUBJECT="CN=...,O=..."]: write a request for a CA of your choosing instead;
# CHAIN=path: store the chain that CA issued, after checking it certifies the KMS key.
CERT_ARGS ?=
CSR ?=
SUBJECT ?=
CHAIN ?=
provenance-cert: $(VENV_STAMP)
	$(PY) -m workflow.ops.provenance cert $(if $(CSR),--csr "$(CSR)") $(if $(SUBJECT),--subject "$(SUBJECT)") \
		$(if $(CHAIN),--chain "$(CHAIN)") $(CERT_ARGS)

# MarkProvenance's and VerifyApi's libraries as a Lambda layer, from manylinux wheels (no Docker).
provenance-layer: $(VENV_STAMP)
	$(PY) -m workflow.ops.provenance_layer

# What POST /verify answers, offline: make verify IMAGE=path [TRUST=1]
IMAGE ?=
verify: $(VENV_STAMP)
	@test -n "$(IMAGE)" || { echo "usage: make verify IMAGE=path/to/image.png" >&2; exit 2; }
	$(PY) -m workflow.ops.provenance verify "$(IMAGE)" $(if $(TRUST),--trust)

openapi: $(VENV_STAMP)
	$(PY) -m workflow.ops.openapi --write

# docs/deploy.md's list of resources, counted from an offline synth.
docs-inventory: $(VENV_STAMP)
	$(PY) -m workflow.ops.inventory --write

docs: diagram docs-inventory openapi

fmt: $(VENV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The pinned CDK CLI (package.json), offline-friendly: no version check, no
# notices, no telemetry, no instance-metadata probe. Region and options come
# from the environment (AWS_REGION, AWS_PROFILE) or `CDK_ARGS="-c key=value"`.
# jsii's Node banner: the app's jsii runtime prints it before its protocol starts,
# and jsii's Python side echoes such lines as b'...'. Node 20 (Debian's) is past
# jsii's support since 2026-10-30, a banner only the END_OF_LIFE variable silences,
# by major version; a later major reaching its end shows it again.
# Exported too, for the Python commands that build the app in-process (the deploy's preflight,
# provenance-cert, docs).
JSII_QUIET := JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK := CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true \
	$(JSII_QUIET) npx --no-install cdk --no-notices
CDK_ARGS ?=
TEMPLATE := cdk.out/Text2Image.template.json
# `cdk deploy` synthesizes with the caller's account (CDK_DEFAULT_ACCOUNT), so lint
# checks that variant too, in its own assembly directory.
LINT_ACCOUNT := 123456789012
CONCRETE_OUT := cdk.out.concrete
CONCRETE_TEMPLATE := $(CONCRETE_OUT)/Text2Image.template.json

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
	$(CDK) synth --quiet --output $(CONCRETE_OUT) $(CDK_ARGS) -c account=$(LINT_ACCOUNT)
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- $(TEMPLATE) $(CONCRETE_TEMPLATE)
	$(LINT_VENV)/bin/checkov --skip-download --quiet --compact --framework cloudformation \
	  -f $(TEMPLATE) -f $(CONCRETE_TEMPLATE) --skip-check $(CHECKOV_SKIP)

synth: $(VENV_STAMP) $(NODE_STAMP)
	$(CDK) synth --quiet $(CDK_ARGS)
	@echo "template: $(TEMPLATE)"

# Preflight first (credentials, Region, bootstrap, Powertools layer, endpoint quota:
# README "Deploying"), with the same CDK_ARGS; then the deploy; then its URLs.
deploy: $(VENV_STAMP) $(NODE_STAMP) provenance-layer
	$(PY) -m workflow preflight $(CDK_ARGS)
	$(CDK) deploy --require-approval broadening --outputs-file cdk.out/outputs.json $(CDK_ARGS)
	@$(PY) -m workflow outputs

destroy: $(VENV_STAMP) $(NODE_STAMP)
	$(CDK) destroy $(CDK_ARGS)

clean:
	rm -rf $(VENV) $(LINT_VENV) $(SAGEMAKER_VENV) node_modules cdk.out $(CONCRETE_OUT) out .pytest_cache .ruff_cache
