"""Cold start: the cyclic garbage collector paused while a function's modules import.

Importing a handler builds a large heap that lives as long as the container
(boto3's service models, Pydantic, Powertools, the package's models), and the
collector would scan that growing heap again and again during the import: about
a sixth of a handler's import here (`make bench`). In Lambda the collector is
paused from the first import of `text2image.handlers` until the handler's first
invocation, which moves what the import built out of the collector's sight
(`gc.freeze`: it is never garbage) and resumes collection. Outside Lambda (tests,
the local runner, the CDK app) nothing changes.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

# Powertools' names for them (aws_lambda_powertools.shared.constants), written
# out: importing Powertools here would build it before the pause.
LAMBDA_TASK_ROOT_ENV = "LAMBDA_TASK_ROOT"
EMULATED_LAMBDA_ENVS = ("AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE")

_paused = False


def running_in_lambda(environ: Mapping[str, str] = os.environ) -> bool:
    """In Lambda, and not SAM's or Chalice's local emulation of it."""
    emulated = any(environ.get(name) for name in EMULATED_LAMBDA_ENVS)
    return bool(environ.get(LAMBDA_TASK_ROOT_ENV)) and not emulated


def pause_collection_while_importing(environ: Mapping[str, str] = os.environ) -> None:
    global _paused
    if running_in_lambda(environ) and gc.isenabled():
        gc.disable()
        _paused = True


def end_cold_start() -> None:
    """Freeze what the import built and resume collection; nothing if it was not paused."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def resumes_collection(handler: Callable[..., Any]) -> Callable[..., Any]:
    """The handler, ending the cold start's pause when it is first called."""

    @wraps(handler)
    def invoke(event: Any, context: Any) -> Any:
        end_cold_start()
        return handler(event, context)

    invoke.ends_cold_start = True  # type: ignore[attr-defined]
    return invoke
