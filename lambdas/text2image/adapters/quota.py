"""The daily quotas table and the operator's pause switch.

One item per caller per UTC day: `used` counts the images the day's runs hold and
`runs` names those runs. A reservation is one conditional update (below the limit,
and not already this run's), so concurrent runs of one caller never pass the
limit between them; a refund removes only this run's own reservation, so a
retried refund never gives back two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import QuotaTableRefused, QuotaTableThrottled, QuotaTableUnavailable

_CONDITION_FAILED = "ConditionalCheckFailedException"
# The switch's value that pauses generation; anything else lets runs through.
PAUSED_VALUE = "paused"
RUNNING_VALUE = "running"


class _ConditionFailed(Exception):
    pass


@contextmanager
def _aws_errors(message: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == _CONDITION_FAILED:
            raise _ConditionFailed from None
        raise _translated(error, message) from None
    except BotoCoreError as error:
        raise _translated(error, message) from None


def _translated(error: Exception, message: str) -> Exception:
    return translate(
        error,
        throttled=QuotaTableThrottled,
        unavailable=QuotaTableUnavailable,
        permanent=QuotaTableRefused,
        message=message,
    )


class QuotaTable:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def reserve(self, counter: str, run: str, limit: int, expires_at: int) -> tuple[bool, int]:
        """(whether `run` holds one of the counter's `limit` images now, images held)."""
        try:
            with _aws_errors("the quota could not be reserved"):
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"quota_id": {"S": counter}},
                    UpdateExpression="ADD used :one, runs :run SET expires_at = :expires",
                    ConditionExpression="(attribute_not_exists(used) OR used < :limit) "
                    "AND NOT contains(runs, :id)",
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":run": {"SS": [run]},
                        ":id": {"S": run},
                        ":limit": {"N": str(limit)},
                        ":expires": {"N": str(expires_at)},
                    },
                    ReturnValues="UPDATED_NEW",
                )
            return True, int(response["Attributes"]["used"]["N"])
        except _ConditionFailed:
            used, runs = self._read(counter)
            # A retried reservation of the same run already holds its image.
            return run in runs, used

    def refund(self, counter: str, run: str) -> bool:
        """Give back `run`'s image; False if it holds none (never reserved, or given back)."""
        try:
            with _aws_errors("the quota could not be refunded"):
                self._client.update_item(
                    TableName=self._table,
                    Key={"quota_id": {"S": counter}},
                    UpdateExpression="ADD used :minus DELETE runs :run",
                    ConditionExpression="contains(runs, :id)",
                    ExpressionAttributeValues={
                        ":minus": {"N": "-1"},
                        ":run": {"SS": [run]},
                        ":id": {"S": run},
                    },
                )
        except _ConditionFailed:
            return False
        return True

    def _read(self, counter: str) -> tuple[int, set[str]]:
        with _aws_errors("the quota could not be read"):
            item = self._client.get_item(
                TableName=self._table, Key={"quota_id": {"S": counter}}, ConsistentRead=True
            ).get("Item", {})
        return int(item.get("used", {}).get("N", "0")), set(item.get("runs", {}).get("SS", []))


class PauseSwitch:
    """The SSM parameter an operator flips; read through Powertools' cache, so a warm
    function asks SSM at most once per `cache_seconds`."""

    def __init__(self, client: Any, parameter: str, cache_seconds: int) -> None:
        self._provider = SSMProvider(boto3_client=client)
        self._parameter = parameter
        self._cache_seconds = cache_seconds

    def is_paused(self) -> bool:
        try:
            value = self._provider.get(self._parameter, max_age=self._cache_seconds)
        except GetParameterError as error:
            cause = error.__cause__ or error
            if isinstance(cause, ClientError | BotoCoreError):
                raise _translated(cause, "the pause switch could not be read") from None
            raise QuotaTableRefused(f"the pause switch could not be read ({error})") from None
        return str(value).strip().lower() == PAUSED_VALUE
