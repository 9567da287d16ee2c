"""Deploy rehearsal: the workflow run from a synthesized CloudFormation template.

moto's CloudFormation cannot deploy this stack (unsupported resource types, no
`DefinitionSubstitutions`, custom resources need Docker), so the rehearsal works
at template level, on the running LocalEnvironment:

- the state machine is built from the template's own `DefinitionString` and
  `DefinitionSubstitutions`, resolved, and created EXPRESS on moto;
- each function ARN substituted into it is dispatched to the handler the template
  names (`Handler`), with exactly the `Environment.Variables` the template gives
  that function (`Ref`/`GetAtt` resolved to local resources) plus only what the
  Lambda runtime itself provides: credentials, Region and, here, the
  `AWS_ENDPOINT_URL_*` variables of the local services;
- the SDXL stand-in answers only the endpoint the template's `EndpointName`
  output names, as a real account has only its own endpoints.

So what the CDK wires (ARNs, variable names and values, thresholds) is what the
handlers expect: a renamed variable or a missing substitution fails it.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from text2image.catalogue import ASL_PLACEHOLDER, ASL_SETTINGS, FUNCTIONS
from text2image.contract import GenerateRequest
from text2image.domain.jobs import JOB_STATE_MACHINE_SUFFIX
from text2image.tables import TABLES
from workflow.local.environment import (
    FUNCTION_ENVIRONMENT,
    PAUSE_PARAMETER,
    PROVENANCE_CERTIFICATE_PARAMETER,
    REGION,
    TABLE_NAMES,
    LocalEnvironment,
    RunResult,
)
from workflow.local.lambda_dispatch import ACCOUNT_ID, LambdaDispatcher, _environment

# The stack's name, as the template's AWS::StackName resolves (the CDK app's).
REHEARSAL_STACK_NAME = "Text2Image"
# What the stand-in SDXL endpoint is called when the template creates its own.
STANDIN_ENDPOINT_NAME = "sdxl-rehearsal"
# Variables the Lambda runtime sets in every function; never the template's business.
RUNTIME_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


class RehearsalError(Exception):
    """The template does not wire what the handlers need; the message says where."""


@dataclass(frozen=True)
class TemplateFunction:
    """One function as the template defines it, its references resolved locally."""

    logical_id: str
    handler: str
    variables: dict[str, str]
    # The template's Timeout (Lambda's default is 3 s): the local dispatcher enforces it.
    timeout_seconds: float = 3.0


class TemplateResolver:
    """Resolves `Ref`, `Fn::GetAtt` and `Fn::Join` to local stand-ins of the
    template's resources; anything else is a RehearsalError naming it."""

    def __init__(self, template: Mapping[str, Any], region: str, account: str, endpoint_name: str) -> None:
        self.resources: Mapping[str, Any] = template["Resources"]
        self.region = region
        self.account = account
        self.endpoint_name = endpoint_name
        self.buckets: set[str] = set()
        self.pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": REHEARSAL_STACK_NAME,
        }

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{logical_id}"

    def bucket_name(self, logical_id: str) -> str:
        name = f"rehearsal-{logical_id.lower()}"[:63]
        self.buckets.add(name)
        return name

    def table_name(self, logical_id: str) -> str:
        """The local environment's table for the spec this logical id was made from."""
        for spec in TABLES:
            if spec.construct_id in logical_id:
                return TABLE_NAMES[spec.env_var]
        raise RehearsalError(f"no table spec for {logical_id!r}")

    def _type(self, logical_id: str) -> str:
        try:
            return str(self.resources[logical_id]["Type"])
        except KeyError:
            raise RehearsalError(f"the template refers to {logical_id!r}, which it does not define") from None

    def resolve(self, node: Any) -> str:
        if isinstance(node, str):
            return node
        if isinstance(node, dict) and len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Ref":
                return self._ref(argument)
            if function == "Fn::GetAtt":
                logical_id, attribute = argument
                return self._get_att(logical_id, attribute)
            if function == "Fn::Join":
                delimiter, items = argument
                return delimiter.join(self.resolve(item) for item in items)
        raise RehearsalError(f"the rehearsal cannot resolve {json.dumps(node)}")

    def _ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if self._type(name) == "AWS::S3::Bucket":
            return self.bucket_name(name)
        if self._type(name) == "AWS::DynamoDB::Table":
            return self.table_name(name)
        if self._type(name) == "AWS::SSM::Parameter":
            # The stack's only parameter is the pause switch: the local one stands in.
            return PAUSE_PARAMETER
        raise RehearsalError(f"no local stand-in for Ref {name} ({self._type(name)})")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        kind = (self._type(logical_id), attribute)
        if kind == ("AWS::Lambda::Function", "Arn"):
            return self.function_arn(logical_id)
        if kind == ("AWS::SageMaker::Endpoint", "EndpointName"):
            return self.endpoint_name
        if kind == ("AWS::S3::Bucket", "Arn"):
            return f"arn:aws:s3:::{self.bucket_name(logical_id)}"
        if kind == ("AWS::DynamoDB::Table", "Arn"):
            return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.table_name(logical_id)}"
        if kind == ("AWS::KMS::Key", "Arn"):
            # The KMS stand-in signs with its one key whatever the KeyId.
            return f"arn:aws:kms:{self.region}:{self.account}:key/{logical_id}"
        if kind == ("AWS::IAM::Role", "Arn"):
            return f"arn:aws:iam::{self.account}:role/{logical_id}"
        raise RehearsalError(f"no local stand-in for Fn::GetAtt {logical_id}.{attribute} ({kind[0]})")


@dataclass(frozen=True)
class RehearsalPlan:
    """What the template deploys, resolved: the definition to create and the functions it calls."""

    definition: str
    role_arn: str
    functions: dict[str, TemplateFunction]
    endpoint_name: str
    buckets: frozenset[str]
    image_bucket: str


def plan(
    template: Mapping[str, Any],
    region: str = REGION,
    account: str = ACCOUNT_ID,
    standin_endpoint: str = STANDIN_ENDPOINT_NAME,
) -> RehearsalPlan:
    """Read the template's state machine and the functions it calls; refuse what would not run."""
    resolver = TemplateResolver(template, region, account, standin_endpoint)
    # The sync machine; the job machine is the same file with the job's timeout.
    machines = [
        properties["Properties"]
        for properties in template["Resources"].values()
        if properties["Type"] == "AWS::StepFunctions::StateMachine"
        and not str(properties["Properties"].get("StateMachineName", "")).endswith(JOB_STATE_MACHINE_SUFFIX)
    ]
    if len(machines) != 1:
        raise RehearsalError(f"expected one AWS::StepFunctions::StateMachine, found {len(machines)}")
    (machine,) = machines
    if machine.get("StateMachineType") != "EXPRESS":
        raise RehearsalError(f"the state machine is {machine.get('StateMachineType')!r}, not EXPRESS")
    substitutions = {
        name: resolver.resolve(value) for name, value in machine.get("DefinitionSubstitutions", {}).items()
    }
    raw = resolver.resolve(machine["DefinitionString"])
    missing = sorted(set(ASL_PLACEHOLDER.findall(raw)) - set(substitutions))
    if missing:
        raise RehearsalError(f"DefinitionString uses {missing} with no DefinitionSubstitutions entry")
    definition = ASL_PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], raw)

    functions: dict[str, TemplateFunction] = {}
    prefix = resolver.function_arn("")
    for placeholder, arn in substitutions.items():
        if placeholder in ASL_SETTINGS:  # a deployment setting, such as the guardrail's mode
            continue
        if not arn.startswith(prefix):
            raise RehearsalError(
                f"substitution {placeholder} is {arn!r}, not one of the template's functions"
            )
        logical_id = arn.removeprefix(prefix)
        functions[logical_id] = _function(resolver, logical_id)
    outputs = template.get("Outputs", {})
    if "EndpointName" not in outputs:
        raise RehearsalError("the template has no EndpointName output")
    image_buckets = {
        function.variables["IMAGE_BUCKET"]
        for function in functions.values()
        if "IMAGE_BUCKET" in function.variables
    }
    if len(image_buckets) != 1:
        raise RehearsalError(f"the functions do not agree on one IMAGE_BUCKET: {sorted(image_buckets)}")
    return RehearsalPlan(
        definition=definition,
        role_arn=resolver.resolve(machine["RoleArn"]),
        functions=functions,
        endpoint_name=resolver.resolve(outputs["EndpointName"]["Value"]),
        buckets=frozenset(resolver.buckets),
        image_bucket=image_buckets.pop(),
    )


def _function(resolver: TemplateResolver, logical_id: str) -> TemplateFunction:
    resource = resolver.resources[logical_id]
    if resource["Type"] != "AWS::Lambda::Function":
        raise RehearsalError(f"{logical_id} is a {resource['Type']}, not a Lambda function")
    properties = resource["Properties"]
    handler = properties.get("Handler", "")
    specs = [spec for spec in FUNCTIONS if spec.handler == handler]
    if not specs:
        raise RehearsalError(f"{logical_id}: Handler {handler!r} is no handler of the Lambda package")
    raw_variables = properties.get("Environment", {}).get("Variables", {})
    variables = {name: resolver.resolve(value) for name, value in raw_variables.items()}
    # A variable with a default would silently fall back to it: every one the
    # handler's configuration reads must be set by the template.
    unset = sorted(set(specs[0].config.env_names()) - set(variables))
    if unset:
        raise RehearsalError(f"{logical_id} ({handler}) reads {unset}, which the template does not set")
    return TemplateFunction(
        logical_id=logical_id,
        handler=handler,
        variables=variables,
        timeout_seconds=float(properties.get("Timeout", 3)),
    )


class TemplateDispatcher(LambdaDispatcher):
    """Runs the template's functions by logical id, each with its template environment
    in force while its handler loads and while it runs."""

    def __init__(self, region: str, functions: Mapping[str, TemplateFunction]) -> None:
        super().__init__(region)
        self._handlers = {name: function.handler for name, function in functions.items()}
        self._timeouts = {name: function.timeout_seconds for name, function in functions.items()}
        for name, function in functions.items():
            self._environments[name] = dict(function.variables) | {
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
            }

    def invoke(self, function: str, payload: bytes | str | None) -> tuple[bytes, str | None]:
        with _environment(self._environments.get(function.rsplit(":", 1)[-1], {})):
            return super().invoke(function, payload)


class Rehearsal:
    """The template's workflow on a running LocalEnvironment: `with Rehearsal(env, t).deployed() as r`."""

    def __init__(self, env: LocalEnvironment, template: Mapping[str, Any], region: str = REGION) -> None:
        self.env = env
        self.plan = plan(copy.deepcopy(dict(template)), region=region)
        self.dispatcher = TemplateDispatcher(region, self.plan.functions)
        self.state_machine_arn = ""

    @property
    def bucket(self) -> str:
        return self.plan.image_bucket

    @contextmanager
    def _without_process_configuration(self) -> Iterator[None]:
        """Only the template may configure a function: the variables the local
        environment sets process-wide for its own functions are lifted meanwhile."""
        names = set(FUNCTION_ENVIRONMENT) | {name for spec in FUNCTIONS for name in spec.config.env_names()}
        names |= {name for function in self.plan.functions.values() for name in function.variables}
        names -= set(RUNTIME_VARIABLES)
        saved = {name: os.environ.pop(name) for name in names if name in os.environ}
        try:
            yield
        finally:
            os.environ.update(saved)

    @contextmanager
    def deployed(self) -> Iterator[Rehearsal]:
        """The template's bucket(s) and state machine on moto, its functions dispatched;
        afterwards the local environment's own dispatch and configuration are back."""
        env = self.env
        for bucket in sorted(self.plan.buckets):
            env.s3.create_bucket(Bucket=bucket)
        # What make provenance-cert does after a deploy: the stand-in key's chain, where the template says.
        chain = env.ssm.get_parameter(Name=PROVENANCE_CERTIFICATE_PARAMETER)["Parameter"]["Value"]
        parameters = {
            function.variables["PROVENANCE_CERTIFICATE_PARAMETER"]
            for function in self.plan.functions.values()
            if "PROVENANCE_CERTIFICATE_PARAMETER" in function.variables
        }
        for parameter in parameters:
            env.ssm.put_parameter(Name=parameter, Value=chain, Type="String", Overwrite=True)
        self.state_machine_arn = env.sfn.create_state_machine(
            name=f"text2image-rehearsal-{uuid.uuid4().hex[:8]}",
            definition=self.plan.definition,
            roleArn=self.plan.role_arn,
            type="EXPRESS",
        )["stateMachineArn"]
        with self._without_process_configuration():
            self.dispatcher.install()
            self.dispatcher.cold_start()
            env.serve_endpoints({self.plan.endpoint_name})
            try:
                yield self
            finally:
                env.serve_endpoints(None)
                env.dispatcher.install()
                env.dispatcher.cold_start()
                env.sfn.delete_state_machine(stateMachineArn=self.state_machine_arn)
                for bucket in self.plan.buckets:
                    env.empty_bucket(bucket)
                    env.s3.delete_bucket(Bucket=bucket)
                for parameter in parameters:
                    env.ssm.delete_parameter(Name=parameter)

    def run(self, request: GenerateRequest | Mapping[str, Any], timeout: float = 120.0) -> RunResult:
        body = request.model_dump(exclude_defaults=True) if isinstance(request, GenerateRequest) else request
        execution_arn = self.env.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=str(uuid.uuid4()), input=json.dumps(dict(body))
        )["executionArn"]
        return self.env.wait(execution_arn, timeout=timeout)

    def keys(self, prefix: str = "") -> list[str]:
        return self.env.keys(prefix, bucket=self.bucket)
