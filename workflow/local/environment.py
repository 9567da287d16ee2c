"""The whole workflow on one machine.

moto's server runs S3 and Step Functions (executing the unchanged ASL file),
Lambda tasks are dispatched in-process to the real handlers, and the stand-ins
answer Comprehend, Rekognition and the SDXL endpoint. The handlers are not told
they are local: only the standard `AWS_ENDPOINT_URL_<SERVICE>` variables and
their own configuration variables differ from the cloud.

moto's Lambda dispatch, its engine and the handlers' environment are
process-wide, so a process runs one LocalEnvironment at a time.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
import requests
from moto.server import ThreadedMotoServer
from pydantic import BaseModel

from repo_paths import ASL_FILE
from text2image import catalogue
from text2image.adapters.quota import PAUSED_VALUE, RUNNING_VALUE
from text2image.catalogue import ASL_PLACEHOLDER
from text2image.contract import GenerateRequest, http_response
from text2image.domain.jobs import JOB_STATE_MACHINE_SUFFIX, job_definition, job_of_execution
from text2image.tables import TABLES
from workflow.local.capacity_schedule import CapacitySchedule
from workflow.local.dev_ca import certify_kms_key
from workflow.local.history import RunResult, state_records
from workflow.local.lambda_dispatch import ACCOUNT_ID, LambdaDispatcher, function_arn
from workflow.local.moto_speedups import EXECUTION_ENDS, serialize_dynamodb_writes, speed_up_moto

REGION = "us-east-1"
BUCKET = "text2image-local-images"
ENDPOINT_NAME = "sdxl-1-0-jumpstart-local"
# The provenance signing key (the KMS stand-in's) and where its certificate chain is kept.
PROVENANCE_KEY_ID = "alias/text2image-local-provenance"
PROVENANCE_CERTIFICATE_PARAMETER = "/text2image-local/provenance/certificate-chain"
# Each table of `text2image.tables`, by the name the local functions get.
TABLE_NAMES: dict[str, str] = {spec.env_var: f"text2image-local-{spec.construct_id}" for spec in TABLES}
# The operator's pause switch (`make pause LOCAL=1`), as the stack creates it in SSM.
PAUSE_PARAMETER = "/text2image/local/generation"
STATE_MACHINE_NAME = "text2image"
JOB_STATE_MACHINE_NAME = JOB_STATE_MACHINE_SUFFIX
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/text2image-state-machine"
ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# How often a waiter looks at its run when no end has woken it (see `wait`).
ENDED_CHECK_SECONDS = 1.0

# What the CDK stack sets in the cloud; tests and callers may override any of it.
FUNCTION_ENVIRONMENT: dict[str, str] = {
    "IMAGE_BUCKET": BUCKET,
    # moto on 127.0.0.1 has no bucket subdomains: POST /verify/uploads' forms name the bucket in the path.
    "UPLOAD_ADDRESSING_STYLE": "path",
    "ENDPOINT_NAME": ENDPOINT_NAME,
    "PROVENANCE_KEY_ID": PROVENANCE_KEY_ID,
    "PROVENANCE_CERTIFICATE_PARAMETER": PROVENANCE_CERTIFICATE_PARAMETER,
    **TABLE_NAMES,
    # The job machine's ARN is known once it is made (`job_state_machine_arn`); its name is fixed.
    "JOB_STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{JOB_STATE_MACHINE_NAME}",
    # moto has no StartSyncExecution (see text2image.handlers.run_job).
    "JOB_EXECUTION_RUNNER": "poll",
    "POWERTOOLS_SERVICE_NAME": "text2image",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # The local ApplyGuardrail stand-in answers for this guardrail (used with GUARDRAIL=on).
    "GUARDRAIL_ID": "local-guardrail",
    "GUARDRAIL_VERSION": "1",
    "PAUSE_PARAMETER": PAUSE_PARAMETER,
    # A flip shows at the next run: tests and `make pause` need no wait for a cache.
    "PAUSE_CACHE_SECONDS": "0",
}


def substitute_placeholders(definition: str, values: Mapping[str, str]) -> str:
    """Fill every `${Name}` of the ASL file, as CloudFormation's substitutions do."""
    return ASL_PLACEHOLDER.sub(lambda match: values[match.group(1)], definition)


def asl_substitutions(region: str = REGION, guardrail: str | None = None) -> dict[str, str]:
    """The ASL's placeholders; the guardrail's mode from `guardrail`, else `GUARDRAIL` (off)."""
    mode = guardrail or os.environ.get("GUARDRAIL") or "off"
    return catalogue.asl_substitutions(
        ASL_FILE.read_text(), lambda name: function_arn(region, name), {"GuardrailMode": mode}
    )


def set_pause_switch(ssm: Any, parameter: str, paused: bool) -> None:
    """Write the pause switch's value: the one thing `make pause` and `make resume` change."""
    value = PAUSED_VALUE if paused else RUNNING_VALUE
    ssm.put_parameter(Name=parameter, Value=value, Type="String", Overwrite=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalEnvironment:
    """moto (S3, Step Functions), the stand-ins and the state machine, on 127.0.0.1."""

    def __init__(
        self,
        environment: Mapping[str, str] | None = None,
        moto_port: int = 0,
        standins_port: int = 0,
        capacity_refresh_seconds: float | None = None,
    ):
        self._extra_environment = dict(environment or {})
        # None: RefreshGenerationCapacity runs only when called (`refresh_capacity`).
        self._capacity_refresh_seconds = capacity_refresh_seconds
        self._moto_port = moto_port or free_port()
        self._standins_port = standins_port
        self.moto_url = f"http://127.0.0.1:{self._moto_port}"
        # Made once: boto3 clients are safe to share between threads, and
        # creating one per call costs more than most calls to moto.
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION
        )
        self.s3: Any = session.client("s3", endpoint_url=self.moto_url)
        self.sfn: Any = session.client("stepfunctions", endpoint_url=self.moto_url)
        self.dynamodb: Any = session.client("dynamodb", endpoint_url=self.moto_url)
        self.ssm: Any = session.client("ssm", endpoint_url=self.moto_url)
        self.cognito: Any = session.client("cognito-idp", endpoint_url=self.moto_url)
        self.standins_url = ""
        self.bucket = BUCKET
        self.state_machine_arn = ""
        self.job_state_machine_arn = ""
        self.dispatcher = LambdaDispatcher(REGION)
        self.capacity = CapacitySchedule(self.dispatcher)
        self._moto: ThreadedMotoServer | None = None
        self._standins: Any = None
        self._saved_environment: dict[str, str | None] = {}
        self._configured: set[str] = set()

    # --- life cycle -----------------------------------------------------------

    @classmethod
    @contextmanager
    def running(cls, **kwargs: Any) -> Iterator[LocalEnvironment]:
        env = cls(**kwargs)
        env.start()
        try:
            yield env
        finally:
            env.stop()

    def start(self) -> LocalEnvironment:
        from workflow.standins.server import StandinServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # The engine logs every Fail state as an exception; here they are answers.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        self._set_environment({"MOTO_PORT": str(self._moto_port)})
        serialize_dynamodb_writes()
        speed_up_moto()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self._moto_port, verbose=False)
        self._moto.start()
        requests.post(
            f"{self.moto_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
            timeout=10,
        ).raise_for_status()

        self._standins = StandinServer(
            host="127.0.0.1", port=self._standins_port, s3_endpoint_url=self.moto_url
        )
        # Models load before the first execution, not inside its 28 s.
        self._standins.app.warm_up()
        self._standins.start()
        self.standins_url = self._standins.url

        self._set_environment(self._aws_environment() | FUNCTION_ENVIRONMENT | self._extra_environment)
        self.dispatcher.install()
        self.dispatcher.cold_start()
        self._create_resources()
        if self._capacity_refresh_seconds is not None:
            self.capacity.start(self._capacity_refresh_seconds)
        # What is alive now (the stand-ins' models, every module) lives as long as the
        # process: out of the collector's sight, as a Lambda's cold start does
        # (text2image.startup), a full collection no longer walks it (0.5 s, seen
        # in the middle of a burst of refusals).
        gc.freeze()
        return self

    def image_model(self) -> dict[str, str]:
        """The stand-in endpoint's image model, and the notice to show beside its images."""
        generator = self._standins.app.sagemaker.generator
        return {"image_model": generator.description, "notice": generator.notice}

    def refresh_capacity(self) -> dict[str, Any]:
        """Run RefreshGenerationCapacity once: the pool's capacity from the stand-in's fleet."""
        return self.capacity.refresh()

    def scale_fleet(self, instances: int) -> None:
        """Set the stand-in endpoint's instances in service, as a scaling activity would."""
        self._standins.app.sagemaker.fleet.resize(instances)

    def stop(self) -> None:
        self.capacity.stop()
        if self._standins is not None:
            self._standins.stop()
            self._standins = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment.clear()

    def configure(self, function: str | None = None, **variables: str) -> None:
        """Change the configuration of every function, or of one, as a redeploy
        would: the next calls cold-start with it."""
        if function is None:
            self._configured.update(variables)
            self._set_environment(variables)
            self.dispatcher.cold_start()
        else:
            self.dispatcher.set_function_environment(function, variables)

    def serve_endpoints(self, names: set[str] | None) -> None:
        """Let the SDXL stand-in answer only these endpoint names (None: any name),
        as an account has only its own endpoints."""
        self._standins.app.sagemaker.endpoint_names = names

    def reset(self) -> None:
        """Back to the configuration the environment started with, a fresh call log and an empty bucket."""
        base = self._saved_function_environment()
        for name in self._configured:
            original = base.get(name, self._saved_environment.get(name))
            if original is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = original
        self._configured.clear()
        self.dispatcher.clear_function_environments()
        self.dispatcher.restore_function_timeouts()
        self.dispatcher.invocations.clear()
        self._empty_tables()
        if getattr(self, "_guardrail_changed", False):
            self.use_guardrail(os.environ.get("GUARDRAIL") or "off")
            self._guardrail_changed = False
        self.set_paused(False)
        if self._standins is not None:
            self._standins.app.calls.clear()
        self.empty_bucket(self.bucket)

    def empty_bucket(self, bucket: str) -> None:
        keys = self.keys(bucket=bucket)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys at most
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})

    def _empty_tables(self) -> None:
        for spec in TABLES:
            table = TABLE_NAMES[spec.env_var]
            for page in self.dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    key = {spec.partition_key: item[spec.partition_key]}
                    self.dynamodb.delete_item(TableName=table, Key=key)

    def _saved_function_environment(self) -> dict[str, str]:
        return self._aws_environment() | FUNCTION_ENVIRONMENT | self._extra_environment

    def _aws_environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": self.moto_url,
            "AWS_ENDPOINT_URL_SFN": self.moto_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.moto_url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.moto_url,
            "AWS_ENDPOINT_URL_SSM": self.moto_url,
            "AWS_ENDPOINT_URL_KMS": self.standins_url,
            "AWS_ENDPOINT_URL_COMPREHEND": self.standins_url,
            "AWS_ENDPOINT_URL_REKOGNITION": self.standins_url,
            "AWS_ENDPOINT_URL_TRANSLATE": self.standins_url,
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.standins_url,
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.standins_url,
            "AWS_ENDPOINT_URL_SAGEMAKER": self.standins_url,
        }

    def _set_environment(self, variables: Mapping[str, str]) -> None:
        for name, value in variables.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def set_paused(self, paused: bool) -> None:
        """Flip the operator's pause switch, as `make pause` and `make resume` do."""
        set_pause_switch(self.ssm, PAUSE_PARAMETER, paused)

    def _create_resources(self) -> None:
        self.s3.create_bucket(Bucket=self.bucket)
        # As `make provenance-cert` does in the cloud: the development CA certifies the
        # signing key, and the chain goes where the functions read it.
        kms = boto3.client(
            "kms",
            endpoint_url=self.standins_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        certify_kms_key(kms, self.ssm, PROVENANCE_KEY_ID, PROVENANCE_CERTIFICATE_PARAMETER)
        self.set_paused(False)
        for spec in TABLES:  # from the definition the CDK stack declares
            self.dynamodb.create_table(**spec.create_table_arguments(TABLE_NAMES[spec.env_var]))
            ttl = spec.time_to_live_arguments(TABLE_NAMES[spec.env_var])
            if ttl is not None:
                self.dynamodb.update_time_to_live(**ttl)
        definition = substitute_placeholders(ASL_FILE.read_text(), asl_substitutions(REGION))
        self.state_machine_arn = self.sfn.create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=ROLE_ARN, type="EXPRESS"
        )["stateMachineArn"]
        # Jobs: the same states, the job's timeout (as the stack deploys it).
        self.job_state_machine_arn = self.sfn.create_state_machine(
            name=JOB_STATE_MACHINE_NAME,
            definition=job_definition(definition),
            roleArn=ROLE_ARN,
            type="EXPRESS",
        )["stateMachineArn"]

    def use_guardrail(self, mode: str) -> None:
        """Redefine both state machines with the guardrail `on` or `off`, as a redeploy
        with `-c guardrail=...` would."""
        self._guardrail_changed = True
        definition = substitute_placeholders(ASL_FILE.read_text(), asl_substitutions(REGION, mode))
        self.sfn.update_state_machine(stateMachineArn=self.state_machine_arn, definition=definition)
        self.sfn.update_state_machine(
            stateMachineArn=self.job_state_machine_arn, definition=job_definition(definition)
        )

    def service_calls(self, operation: str = "") -> list[dict[str, Any]]:
        """The stand-ins' latest calls (operation, HTTP status, ms), oldest first, whose
        operation (X-Amz-Target or path) contains `operation`."""
        if self._standins is None:
            return []
        return [call for call in list(self._standins.app.calls) if operation in call["operation"]]

    def keys(self, prefix: str = "", bucket: str | None = None) -> list[str]:
        """Every object key in the image bucket (or another) under a prefix."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket or self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    # --- executions -----------------------------------------------------------

    def start_execution(self, request: GenerateRequest | Mapping[str, Any]) -> str:
        """Start one execution; the input is the request exactly as API Gateway would pass it."""
        body = request.model_dump(exclude_defaults=True) if isinstance(request, BaseModel) else dict(request)
        return self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=str(uuid.uuid4()), input=json.dumps(body)
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 120.0, history: bool = True) -> RunResult:
        """Until the execution ends (moto has no StartSyncExecution). moto's engine wakes
        the waiter the moment it ends the run (`EXECUTION_ENDS`), and only then does the
        waiter read the end through the API; it also looks every ENDED_CHECK_SECONDS, in
        case a wake-up is missed. Without `history` the result has no state records:
        reading a run's whole history is the costliest call a waiter makes, and an HTTP
        answer needs none."""
        deadline = time.monotonic() + timeout
        with EXECUTION_ENDS.watching(execution_arn) as ended:
            while True:
                ended.wait(max(0.0, min(deadline - time.monotonic(), ENDED_CHECK_SECONDS)))
                described = self.sfn.describe_execution(executionArn=execution_arn)
                if described["status"] in ENDED:
                    return self._result(described, history)
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"execution {execution_arn} did not end within {timeout} s")
                ended.clear()  # woken, yet not ended (the engine failed to record it): poll

    def run(self, request: GenerateRequest | Mapping[str, Any], timeout: float = 120.0) -> RunResult:
        return self.wait(self.start_execution(request), timeout=timeout)

    def describe(self, execution_arn: str) -> RunResult:
        return self._result(self.sfn.describe_execution(executionArn=execution_arn), history=True)

    def _result(self, described: Mapping[str, Any], history: bool) -> RunResult:
        execution_arn = described["executionArn"]
        output = json.loads(described["output"]) if described.get("output") else None
        status_code, body = http_response(
            described["status"], output, described.get("error"), described.get("cause"), execution_arn
        )
        events = (
            self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
            if history
            else []
        )
        return RunResult(
            execution_arn=execution_arn,
            status=described["status"],
            input=json.loads(described["input"]) if described.get("input") else None,
            output=output,
            error=described.get("error"),
            cause=described.get("cause"),
            started=described["startDate"],
            stopped=described.get("stopDate"),
            http_status=status_code,
            body=body,
            history=state_records(events),
        )

    def execution_arn(self, name: str) -> str:
        """The ARN of the execution called `name`: a job's (`job-<id>`) on the job machine."""
        machine = self.job_state_machine_arn if job_of_execution(name) else self.state_machine_arn
        return f"{machine.replace(':stateMachine:', ':execution:', 1)}:{name}"

    def list_executions(self, limit: int = 50) -> list[dict[str, Any]]:
        """The most recent executions of both machines (sync runs and jobs) first: arn, name,
        status, start and stop."""
        listed = [
            execution
            for machine in (self.state_machine_arn, self.job_state_machine_arn)
            for execution in self.sfn.list_executions(stateMachineArn=machine, maxResults=limit)["executions"]
        ]
        return sorted(listed, key=lambda item: item["startDate"], reverse=True)[:limit]
