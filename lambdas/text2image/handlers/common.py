"""What every handler does with its event before its own work."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from text2image.errors import InvalidRequest
from text2image.observability import logger

StepInput = TypeVar("StepInput", bound=BaseModel)


def describe(error: ValidationError) -> str:
    """A validation error in words a caller can act on, without Pydantic's internals."""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "body"
        problems.append(f"{field}: {item['msg']}")
    return "; ".join(problems)


def parse_step(model: type[StepInput], event: dict[str, Any]) -> StepInput:
    """The step's typed input; a malformed one is an InvalidRequest, never retried."""
    try:
        step = model.model_validate(event)
    except ValidationError as error:
        raise InvalidRequest(f"Invalid input: {describe(error)}") from None
    execution_id = getattr(step, "execution_id", None)
    if execution_id:
        logger.set_correlation_id(execution_id)
    return step
