"""The Idempotency-Keys table of `POST /generate`: one item per key.

Each change is one conditional write, so concurrent repeats of a key cannot both
win it: the claim is a put conditioned on the key being free (`domain.idempotency.is_free`,
written here as a condition expression); remembering and releasing are conditioned
on the item still being this run's claim, so a run whose lease passed cannot undo
the claim of the run that took the key over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.domain.idempotency import KeyRecord, KeyStatus
from text2image.errors import IdempotencyTableRefused, IdempotencyTableThrottled, IdempotencyTableUnavailable

_CONDITION_FAILED = "ConditionalCheckFailedException"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class _ConditionFailed(Exception):
    def __init__(self, item: dict[str, Any] | None) -> None:
        self.item = item


@contextmanager
def _table_errors(message: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == _CONDITION_FAILED:
            raise _ConditionFailed(error.response.get("Item")) from None
        raise _translated(error, message) from None
    except BotoCoreError as error:
        raise _translated(error, message) from None


def _translated(error: Exception, message: str) -> Exception:
    return translate(
        error,
        throttled=IdempotencyTableThrottled,
        unavailable=IdempotencyTableUnavailable,
        permanent=IdempotencyTableRefused,
        message=message,
    )


def _record(item: dict[str, Any]) -> KeyRecord:
    plain = {name: _deserializer.deserialize(value) for name, value in item.items()}
    return KeyRecord(
        key_id=str(plain["key_id"]),
        digest=str(plain["digest"]),
        status=KeyStatus(plain["status"]),
        execution_id=str(plain["execution_id"]),
        lease_expires_at=float(plain["lease_expires_at"]),
        expires_at=int(plain["expires_at"]),
        answer=json.loads(plain["answer"]) if "answer" in plain else None,
    )


class KeyTable:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def claim(self, record: KeyRecord, now: float) -> KeyRecord | None:
        """Put the claim if the key is free; otherwise the record that holds it."""
        item = {
            "key_id": record.key_id,
            "digest": record.digest,
            "status": record.status.value,
            "execution_id": record.execution_id,
            "lease_expires_at": Decimal(str(round(record.lease_expires_at, 3))),
            "expires_at": record.expires_at,
        }
        try:
            with _table_errors("The Idempotency-Key could not be claimed"):
                self._client.put_item(
                    TableName=self._table,
                    Item={name: _serializer.serialize(value) for name, value in item.items()},
                    ConditionExpression=(
                        "attribute_not_exists(key_id) OR execution_id = :me OR expires_at < :now"
                        " OR (#status = :in_progress AND lease_expires_at < :now)"
                    ),
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":me": {"S": record.execution_id},
                        ":now": {"N": str(round(now, 3))},
                        ":in_progress": {"S": KeyStatus.IN_PROGRESS.value},
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except _ConditionFailed as failed:
            if failed.item is None:  # deleted in between: it is free again
                return self.claim(record, now)
            return _record(failed.item)
        return None

    def remember(self, key_id: str, execution_id: str, answer: dict[str, Any]) -> bool:
        """Keep the final answer on this run's claim; False if the claim is no longer ours."""
        return self._change_own_claim(
            "update_item",
            "The answer could not be kept on its Idempotency-Key",
            key_id,
            execution_id,
            UpdateExpression="SET #status = :answered, answer = :answer",
            values={":answered": {"S": KeyStatus.ANSWERED.value}, ":answer": {"S": json.dumps(answer)}},
        )

    def release(self, key_id: str, execution_id: str) -> bool:
        """Free this run's claim; False if it is not ours (never made, or taken over)."""
        return self._change_own_claim(
            "delete_item", "The Idempotency-Key could not be released", key_id, execution_id
        )

    def _change_own_claim(
        self,
        operation: str,
        message: str,
        key_id: str,
        execution_id: str,
        values: dict[str, Any] | None = None,
        **arguments: Any,
    ) -> bool:
        """One write conditioned on the item being this run's claim, still in progress."""
        try:
            with _table_errors(message):
                getattr(self._client, operation)(
                    TableName=self._table,
                    Key={"key_id": {"S": key_id}},
                    ConditionExpression="execution_id = :me AND #status = :in_progress",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":me": {"S": execution_id},
                        ":in_progress": {"S": KeyStatus.IN_PROGRESS.value},
                        **(values or {}),
                    },
                    **arguments,
                )
        except _ConditionFailed:
            return False
        return True
