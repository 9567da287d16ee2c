"""API Gateway mapping templates (VTL) generated from the outcome table.

`StartSyncExecution` answers HTTP 200 whatever the execution did, so one
integration response reads the execution's `status` (and the output's
`status`, or the error) and sets `$context.responseOverride.status` row by row
from `OUTCOME_RULES`: the same table `http_response` walks for the local API.
Pure Python, no CDK import: the tests render these templates.
"""

from __future__ import annotations

import json

from text2image.contract import (
    OUTCOME_RULES,
    RETRY_AFTER_FIELD,
    UNKNOWN_FAILURE_MESSAGE,
    OutcomeRule,
    invalid_request_body,
)
from text2image.domain.idempotency import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_FIELD
from text2image.domain.quota import CALLER_FIELD

# Fixed text goes into the template as a JSON string literal. VTL would read
# `$` and `#` in it as references and directives, so those are escaped too.


def _literal(text: str) -> str:
    return json.dumps(text).replace("$", "\\u0024").replace("#", "\\u0023")


# A VTL expression printed as a JSON string. escapeJavaScript escapes `'` as
# `\'`, which JSON does not allow: undo that one.
def _string(reference: str) -> str:
    return f'"$util.escapeJavaScript({reference}).replaceAll("\\\\\'", "\'")"'


_PREAMBLE = """\
#set($status = $input.path('$.status'))
#set($error = "$!input.path('$.error')")
#set($cause = "$!input.path('$.cause')")
#set($executionArn = "$!input.path('$.executionArn')")
#set($outputStatus = '')
#if($status == 'SUCCEEDED')
#set($output = $util.parseJson($input.path('$.output')))
#set($outputStatus = "$!output.status")
#end
"""


def _condition(rule: OutcomeRule) -> str:
    parts = [f"$status == '{rule.execution_status}'"]
    if rule.output_status is not None:
        parts.append(f"$outputStatus == '{rule.output_status}'")
    if rule.error is not None:
        parts.append(f"$error == '{rule.error}'")
    return " && ".join(parts)


def _error_body(execution_status: str, error: str, message: str) -> str:
    status = "TIMED_OUT" if execution_status == "TIMED_OUT" else "FAILED"
    return (
        f'{{"status": "{status}", "error": {error}, "message": {message}, '
        f'"execution_id": {_string("$executionArn")}}}'
    )


def _fallback(fixed: str | None, reference: str, default: str) -> str:
    """`fixed or <reference> or default`, as in http_response."""
    if fixed is not None:
        return _literal(fixed)
    return f'#if("$!{reference[1:]}" != ""){_string(reference)}#else{_literal(default)}#end'


def _body(rule: OutcomeRule) -> str:
    if rule.execution_status == "SUCCEEDED":
        # The output of an approved or rejected run is the answer, unchanged.
        return "$input.path('$.output')"
    error = _fallback(rule.error_code, "$error", "Failed")
    message = _fallback(rule.message, "$cause", UNKNOWN_FAILURE_MESSAGE)
    return _error_body(rule.execution_status, error, message)


def generate_response_template() -> str:
    """The integration response template for `POST /generate`."""
    lines = [_PREAMBLE.rstrip("\n")]
    for index, rule in enumerate(OUTCOME_RULES):
        lines.append(f"#{'if' if index == 0 else 'elseif'}({_condition(rule)})")
        lines.append(f"#set($context.responseOverride.status = {rule.http_status})")
        if rule.retry_after:
            # VTL names may contain '-': this sets the Retry-After header.
            lines.append(
                f'#if("$!output.{RETRY_AFTER_FIELD}" != "")'
                f'#set($context.responseOverride.header.Retry-After = "$output.{RETRY_AFTER_FIELD}")#end'
            )
        lines.append(_body(rule))
    # A run that ended in a way no row describes is a defect of the workflow.
    lines.append("#else")
    lines.append("#set($context.responseOverride.status = 502)")
    lines.append(_error_body("FAILED", _literal("Failed"), _literal(UNKNOWN_FAILURE_MESSAGE)))
    lines.append("#end")
    return "\n".join(lines) + "\n"


# The caller the API authenticated, as `domain.quota.caller_of` names it.
COGNITO_CALLER = (
    '#set($caller = "$!context.authorizer.claims.sub")\n'
    '#if("$caller" != "")#set($caller = "user:$caller")#end\n'
)
API_KEY_CALLER = (
    '#set($caller = "$!context.identity.apiKeyId")\n#if("$caller" != "")#set($caller = "key:$caller")#end\n'
)


def start_request_template(state_machine_arn: str, caller_template: str = "") -> str:
    """The execution input is `contract.execution_input`: the request body unchanged (the
    ASL reads it as `$`), with the Idempotency-Key header's value as its first field when
    one was sent, and the authenticated caller (`caller_template` sets `$caller`) before
    it. The request model has checked the body is a JSON object and refuses both fields
    in it, so each goes in after its opening brace."""
    with_key = json.dumps({IDEMPOTENCY_KEY_FIELD: ""})[:-2]  # '{"idempotency_key": "'
    with_caller = json.dumps({CALLER_FIELD: ""})[:-2]  # '{"caller": "'
    caller = (
        caller_template
        + '#if("$!caller" != "")\n'
        + f"#set($open = '{with_caller}')\n"
        + f"#set($who = {_string('$caller')[1:-1]})\n"
        + "#set($close = '\", ')\n"
        + "#set($rest = $body.substring(1))\n"
        + '#set($body = "$open$who$close$rest")\n'
        + "#end\n"
        if caller_template
        else ""
    )
    return (
        f"#set($idempotencyKey = $input.params('{IDEMPOTENCY_HEADER}'))\n"
        "#set($body = $input.json('$'))\n"
        '#if("$!idempotencyKey" != "")\n'
        f"#set($open = '{with_key}')\n"
        f"#set($key = {_string('$idempotencyKey')[1:-1]})\n"
        "#set($close = '\", ')\n"
        "#set($rest = $body.substring(1))\n"
        '#set($body = "$open$key$close$rest")\n'
        "#end\n"
        f"{caller}"
        f'{{\n  "stateMachineArn": "{state_machine_arn}",\n  "input": {_string("$body")}\n}}\n'
    )


# Answers of StartSyncExecution itself failing (throttled, denied): no run happened.
START_FAILED_TEMPLATE = (
    '{"status": "FAILED", "error": "StartFailed", '
    '"message": "The request could not be started. Try again later.", "execution_id": null}'
)

# What API Gateway's request validator answers, in the contract's error shape.
INVALID_BODY_TEMPLATE = json.dumps(invalid_request_body("$context.error.validationErrorString"))

HTTP_STATUSES: tuple[int, ...] = tuple(sorted({rule.http_status for rule in OUTCOME_RULES} | {502}))
# The answers that may carry a Retry-After header (declared on their method responses).
RETRY_AFTER_STATUSES: frozenset[int] = frozenset(
    rule.http_status for rule in OUTCOME_RULES if rule.retry_after
)
