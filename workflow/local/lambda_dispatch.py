"""In-process Lambda: moto's Step Functions engine invokes the real handlers.

moto executes the ASL and calls Lambda through its own Lambda backend. Without
Docker that backend (`LambdaSimpleBackend`) only echoes its input, so we give
it a dispatcher that imports the handler named in the function catalogue and
answers as the Lambda service does, including the `Unhandled` function error
whose `errorType` Step Functions matches in Retry and Catch.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

from text2image.catalogue import FUNCTIONS

ACCOUNT_ID = "123456789012"


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


# What Step Functions reports when Lambda stops a function at its timeout.
LAMBDA_TIMEOUT_ERROR = "Sandbox.Timedout"


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that Powertools reads, with the
    function's real deadline: its catalogue timeout from the start of the call."""

    function_name: str
    invoked_function_arn: str
    timeout_seconds: float = 30.0
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    function_name: str
    event: Any
    error_type: str | None


_TIMED_OUT = object()


@contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LambdaDispatcher:
    """Runs catalogue functions in this process, one warm "container" each."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._handlers = {spec.name: spec.handler for spec in FUNCTIONS}
        self._timeouts = {spec.name: float(spec.timeout_seconds) for spec in FUNCTIONS}
        self._timeout_overrides: dict[str, float] = {}
        self._loaded: dict[str, Any] = {}
        self._environments: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self.invocations: list[Invocation] = []

    def cold_start(self) -> None:
        """Forget every loaded handler, so the next call re-reads its configuration."""
        with self._lock:
            self._loaded.clear()
            for spec in FUNCTIONS:
                sys.modules.pop(spec.handler.rsplit(".", 1)[0], None)

    def set_function_environment(self, name: str, variables: dict[str, str]) -> None:
        """Give one function environment variables of its own, as each Lambda has.

        Handlers read their configuration and build their clients at import (cold
        start), so the variables are in force while the handler module loads.
        """
        if name not in self._handlers:
            raise KeyError(f"no function {name!r} in the catalogue")
        with self._lock:
            self._environments[name] = dict(variables)
        self.cold_start()

    def clear_function_environments(self) -> None:
        with self._lock:
            self._environments.clear()
        self.cold_start()

    def set_function_timeout(self, name: str, seconds: float) -> None:
        """Give one function another timeout, as a redeploy would (tests of deadlines)."""
        if name not in self._handlers:
            raise KeyError(f"no function {name!r} in the catalogue")
        self._timeout_overrides[name] = seconds

    def restore_function_timeouts(self) -> None:
        self._timeout_overrides.clear()

    def loaded_handler(self, name: str) -> Any:
        """The function's handler, cold-started with its configuration if need be."""
        return self._handler(name)

    def _handler(self, name: str) -> Any:
        with self._lock:
            if name not in self._loaded:
                module_name, attribute = self._handlers[name].rsplit(".", 1)
                sys.modules.pop(module_name, None)
                with _environment(self._environments.get(name, {})):
                    self._loaded[name] = getattr(importlib.import_module(module_name), attribute)
            return self._loaded[name]

    def invoke(self, function: str, payload: bytes | str | None) -> tuple[bytes, str | None]:
        """(response payload, function error) as the Lambda Invoke API returns them."""
        name = function.rsplit(":", 1)[-1]
        event = json.loads(payload or b"{}")
        if name not in self._handlers:
            error = {"errorType": "ResourceNotFoundException", "errorMessage": f"Function not found: {name}"}
            self.invocations.append(Invocation(name, event, error["errorType"]))
            return json.dumps(error).encode(), "Unhandled"
        try:
            handler = self._handler(name)  # a cold start that fails is the invocation's error
        except Exception as error:
            handler, outcome = None, error
        # As on Lambda, the timeout counts from after the cold start (the init phase).
        context = LocalLambdaContext(
            function_name=name,
            invoked_function_arn=function_arn(self.region, name),
            timeout_seconds=self._timeout_overrides.get(name, self._timeouts[name]),
        )
        if handler is not None:
            outcome = self._run_until_deadline(handler, event, context)
        if isinstance(outcome, BaseException):
            self.invocations.append(Invocation(name, event, type(outcome).__name__))
            body = {
                "errorType": type(outcome).__name__,
                "errorMessage": str(outcome),
                "requestId": context.aws_request_id,
                "stackTrace": traceback.format_tb(outcome.__traceback__),
            }
            return json.dumps(body).encode(), "Unhandled"
        if outcome is _TIMED_OUT:
            # As Lambda does: the caller gets the timeout error at the deadline.
            # A Python thread cannot be killed, so the handler's own deadline
            # checks are what keep it from writing anything afterwards.
            self.invocations.append(Invocation(name, event, LAMBDA_TIMEOUT_ERROR))
            body = {
                "errorType": LAMBDA_TIMEOUT_ERROR,
                "errorMessage": f"Task timed out after {context.timeout_seconds:.2f} seconds",
            }
            return json.dumps(body).encode(), "Unhandled"
        self.invocations.append(Invocation(name, event, None))
        return json.dumps(outcome).encode(), None

    @staticmethod
    def _run_until_deadline(handler: Any, event: Any, context: LocalLambdaContext) -> Any:
        """The handler's result, the exception it raised, or _TIMED_OUT at its deadline."""
        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append(handler(event, context))
            except Exception as error:
                outcome.append(error)

        thread = threading.Thread(target=run, name=f"lambda-{context.function_name}", daemon=True)
        thread.start()
        thread.join(timeout=max(0.0, context.deadline - time.monotonic()))
        return outcome[0] if outcome else _TIMED_OUT

    def calls_to(self, name: str) -> list[Invocation]:
        return [call for call in self.invocations if call.function_name == name]

    def install(self) -> None:
        """Route moto's Lambda Invoke calls, in this process, to this dispatcher."""
        dispatcher = self

        def invoke(
            self: LambdaSimpleBackend,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: dict[str, str],
        ) -> bytes:
            if (headers or {}).get("X-Amz-Invocation-Type") == "Event":
                # Lambda queues an asynchronous invocation and answers 202 at once.
                threading.Thread(
                    target=dispatcher.invoke, args=(function_name, body), name="lambda-event", daemon=True
                ).start()
                return b""
            payload, function_error = dispatcher.invoke(function_name, body)
            if function_error:
                response_headers["x-amz-function-error"] = function_error
            return payload

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
