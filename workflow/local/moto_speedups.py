"""Speed-ups of moto, the local test double, for bursts of concurrent executions.

Everything local runs in one Python process: moto's server, its Step Functions
engine executing the ASL, the handlers it invokes and the stand-ins, on the one
GIL. moto 5.2.5 (pinned) redoes work per execution or per request that depends on
nothing but constants, and under a burst of 24 runs that CPU queued every answer
by seconds (`make loadtest` check 1). Each patch here caches such a result and
leaves what moto computes, and so what the workflow does, unchanged. They speed up
the local emulation only, not the product: Step Functions, Lambda and API Gateway
on AWS do none of this work in the caller's process.

Each patch is idempotent and applied by `speed_up_moto()` when a
`workflow.local.environment.LocalEnvironment` starts.
"""

from __future__ import annotations

import functools
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Distinct definitions (and JSONPath texts) a process keeps parsed: the two
# machines' and the few that tests make.
PARSED_DEFINITIONS_KEPT = 32
JSON_PATHS_KEPT = 1024
# Ended executions remembered for a waiter that comes late (far more than run at once).
ENDS_REMEMBERED = 4096
# Lambda invocations the engine has in flight at once: a burst of 24 runs, plus jobs.
ENGINE_LAMBDA_CONNECTIONS = 64


def parse_each_definition_once() -> None:
    """moto's engine parses the ASL with its pure-Python ANTLR parser at the start of
    every execution: 85-270 ms of CPU each. The program is parsed once per definition
    text and kept pickled; each execution unpickles its own copy (~1 ms, where a deep
    copy took 5-12 ms), so no two executions share an evaluation object, as when each
    parsed its own. A program that cannot be pickled (one holding a lock, as moto's
    Parallel state does) is parsed per execution, as before."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    if getattr(ExecutionWorker, "_parses_each_definition_once", False):
        return
    programs: dict[str, bytes | None] = {}
    lock = threading.Lock()  # held while parsing: a burst's first runs parse once, not each

    def evaluation_entrypoint(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with lock:
            if definition not in programs:
                program = AmazonStateLanguageParser.parse(definition)[0]
                if len(programs) >= PARSED_DEFINITIONS_KEPT:
                    programs.pop(next(iter(programs)))
                programs[definition] = _pickled(program)
                if programs[definition] is None:
                    return program
            pickled = programs[definition]
        if pickled is None:
            return AmazonStateLanguageParser.parse(definition)[0]
        return pickle.loads(pickled)

    ExecutionWorker._get_evaluation_entrypoint = evaluation_entrypoint  # type: ignore[method-assign]
    ExecutionWorker._parses_each_definition_once = True  # type: ignore[attr-defined]


def _pickled(program: Any) -> bytes | None:
    try:
        return pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
    except (TypeError, AttributeError, pickle.PicklingError):
        return None


def share_engine_lambda_client() -> None:
    """moto's engine builds a new boto3 Lambda client for every Lambda task it runs
    (`boto_client_for`): ~8 ms of CPU each, several per run. Clients are safe to share
    between threads, so the engine gets one per region, service and target, made as
    moto makes it, with a connection pool as large as a burst's invocations in flight."""
    from botocore.config import Config
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    if getattr(original, "_shared", False):
        return
    clients: dict[tuple[str, str, bool, str], Any] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def shared_client(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto ignores the state's credentials; its client signs with fixed keys.
        key = (region, service, botocore_stubber.enabled, moto_server_port())
        with lock:
            client = clients.get(key)
            if client is None:
                made = original(region, service, state_credentials)
                config = made.meta.config.merge(Config(max_pool_connections=ENGINE_LAMBDA_CONNECTIONS))
                credentials = made._request_signer._credentials
                client = clients[key] = boto_client.boto3.client(
                    service_name=service,
                    region_name=region,
                    endpoint_url=None if botocore_stubber.enabled else made.meta.endpoint_url,
                    aws_access_key_id=credentials.access_key,
                    aws_secret_access_key=credentials.secret_key,
                    config=config,
                )
        return client

    shared_client._shared = True  # type: ignore[attr-defined]
    _rebind(original, shared_client)


def parse_each_json_path_once() -> None:
    """The engine parses each JSONPath (`$.request`, `$$.Execution.Id`...) every time a
    state evaluates one, and jsonpath-ng builds a new PLY parser, tables included, for
    each parse: ~3 ms each, dozens per run. A parsed path is an immutable expression
    (`find` and `update_or_create` change the data, not the path), so one per text is
    shared."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):  # the two that import a jsonpath-ng `parse`
        if getattr(module.parse, "cache_info", None) is None:
            module.parse = functools.lru_cache(maxsize=JSON_PATHS_KEPT)(module.parse)


def list_response_methods_once() -> None:
    """moto answers every request by checking the action against the names of its
    response class's methods, listed anew each time with `inspect.getmembers` (a
    few ms for a class of ~100 members). A class's methods do not change while the
    server runs, so each class's list is made once."""
    from moto.core import responses

    if getattr(responses.method_names_from_class, "cache_info", None) is None:
        responses.method_names_from_class = functools.lru_cache(maxsize=None)(
            responses.method_names_from_class
        )


def remember_backend_for_host() -> None:
    """moto's server, for every request and under one lock that all requests share,
    finds the backend for the request's host by listing its ~200 package folders
    (`os.listdir` and `isdir` each) and trying its URL patterns. The answer depends
    on the host only, so it is remembered per host."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host
    if getattr(original, "_remembered", False):
        return
    backends: dict[str | None, Any] = {}

    @functools.wraps(original)
    def backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        # Called under the dispatcher's own lock.
        if host not in backends:
            backends[host] = original(self, host)
        return backends[host]

    backend_for_host._remembered = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = backend_for_host  # type: ignore[method-assign]


class ExecutionEnds:
    """Tells a waiter the moment moto's engine ends an execution, so that a caller
    emulating StartSyncExecution (moto has none) answers when its run ends instead
    of up to a polling interval later, and asks moto only then. The waiter still
    reads the end through the API (DescribeExecution); this only wakes it."""

    def __init__(self, remembered: int = ENDS_REMEMBERED) -> None:
        self._watched: dict[str, threading.Event] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered
        self._lock = threading.Lock()

    @contextmanager
    def watching(self, execution_arn: str) -> Iterator[threading.Event]:
        """An event set when the execution ends, already set if it has (the last
        `remembered` ends are kept, so a run that ends before its waiter watches is
        not missed)."""
        with self._lock:
            event = self._watched.setdefault(execution_arn, threading.Event())
            if execution_arn in self._recent:
                event.set()
        try:
            yield event
        finally:
            with self._lock:
                self._watched.pop(execution_arn, None)

    def ended(self, execution_arn: str) -> None:
        with self._lock:
            self._recent[execution_arn] = None
            if len(self._recent) > self._remembered:
                self._recent.popitem(last=False)
            event = self._watched.get(execution_arn)
            if event is not None:
                event.set()


EXECUTION_ENDS = ExecutionEnds()


def signal_execution_ends() -> None:
    """Sets `EXECUTION_ENDS` when moto's engine records an execution's end (its
    status, output and stop date are written first)."""
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    original = BaseExecutionWorkerCommunication.terminated
    if getattr(original, "_signals", False):
        return

    @functools.wraps(original)
    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        try:
            original(self)
        finally:
            EXECUTION_ENDS.ended(self.execution.exec_arn)

    terminated._signals = True  # type: ignore[attr-defined]
    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]


def _rebind(original: Callable[..., Any], replacement: Callable[..., Any]) -> None:
    """Point every loaded moto Step Functions module that holds `original` (defines
    it, or imported it by name) at `replacement`."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith("moto.stepfunctions"):
            continue
        for attribute, value in list(vars(module).items()):
            if value is original:
                setattr(module, attribute, replacement)


def speed_up_moto() -> None:
    """Apply every speed-up above (each once per process)."""
    import moto.stepfunctions.parser.backend.execution_worker  # noqa: F401  (loads the engine's modules)

    parse_each_definition_once()
    share_engine_lambda_client()
    parse_each_json_path_once()
    list_response_methods_once()
    remember_backend_for_host()
    signal_execution_ends()


_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def serialize_dynamodb_writes() -> None:
    """DynamoDB applies each conditional write atomically; moto's backend checks the
    condition and then writes with no lock, so two threads can both pass it (seen:
    three holders of a two-slot semaphore under twelve threads). One lock around its
    writes gives the local environment the atomicity the semaphore relies on."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_writes_serialized", False):
        return
    lock = threading.Lock()

    def serialized(write: Any) -> Any:
        @functools.wraps(write)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return write(*args, **kwargs)

        return locked

    for name in _DYNAMODB_WRITES:
        setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))
    DynamoDBBackend._writes_serialized = True  # type: ignore[attr-defined]
