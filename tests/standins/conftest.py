"""Real boto3 clients pointed at the session's stand-in server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import clear_faults, clear_translations

# One attempt per call: the tests look at what the server answers, not at the SDK's retries.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120)


def client(service: str, env: LocalEnvironment) -> Any:
    return boto3.client(
        service,
        endpoint_url=env.standins_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=NO_RETRIES,
    )


@pytest.fixture
def standins(local_env: LocalEnvironment) -> Iterator[LocalEnvironment]:
    clear_faults(local_env.standins_url)
    clear_translations(local_env.standins_url)
    yield local_env
    clear_faults(local_env.standins_url)
    clear_translations(local_env.standins_url)


@pytest.fixture
def comprehend(standins: LocalEnvironment) -> Any:
    return client("comprehend", standins)


@pytest.fixture
def rekognition(standins: LocalEnvironment) -> Any:
    return client("rekognition", standins)


@pytest.fixture
def sagemaker(standins: LocalEnvironment) -> Any:
    return client("sagemaker-runtime", standins)


@pytest.fixture
def translate(standins: LocalEnvironment) -> Any:
    return client("translate", standins)
