"""`adapters.errors.translate`: which SDK failures the state machine retries.

The stand-ins' tests check that each injected fault reaches botocore with the
service's own code and status; these check what the Lambdas make of them.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from text2image.adapters.errors import THROTTLING_CODES, TRANSIENT_CODES, translate
from text2image.errors import EndpointThrottled, EndpointUnavailable, ModelError


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "InvokeEndpoint",
    )


def translated(error: Exception) -> type:
    return type(
        translate(
            error,
            throttled=EndpointThrottled,
            unavailable=EndpointUnavailable,
            permanent=ModelError,
            message="m",
        )
    )


def test_the_lambdas_see_a_throttle_as_retryable_and_a_model_error_as_permanent():
    # What the endpoint stand-in answers for an injected throttle, then an injected error.
    seen = [
        translated(client_error("ModelNotReadyException", 429)),
        translated(client_error("ModelError", 424)),
    ]
    assert seen == [EndpointThrottled, ModelError]


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
def test_every_throttling_code_is_a_throttle(code):
    assert translated(client_error(code, 400)) is EndpointThrottled


@pytest.mark.parametrize("code", sorted(TRANSIENT_CODES))
def test_every_transient_code_is_unavailable(code):
    assert translated(client_error(code, 400)) is EndpointUnavailable


def test_an_unknown_code_is_judged_by_its_http_status():
    assert translated(client_error("Whatever", 429)) is EndpointThrottled
    assert translated(client_error("Whatever", 503)) is EndpointUnavailable
    assert translated(client_error("ValidationError", 400)) is ModelError


def test_a_dropped_connection_is_unavailable():
    assert translated(EndpointConnectionError(endpoint_url="http://127.0.0.1:1")) is EndpointUnavailable
    assert translated(ReadTimeoutError(endpoint_url="http://127.0.0.1:1")) is EndpointUnavailable


def test_an_error_that_is_not_the_sdks_is_raised_again():
    with pytest.raises(KeyError):
        translated(KeyError("a defect"))
