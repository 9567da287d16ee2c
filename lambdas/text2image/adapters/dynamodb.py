"""The generation semaphore's item in DynamoDB.

One item per pool: `leases` maps each holder to its lease expiry, `waiters`
maps each waiting run to when it started waiting, `latency_ms` is the recent
generation latency, `live_capacity` the generations the instances in service
serve (written by the scheduled refresh). Taking a slot is one conditional
update: it succeeds only while `size(leases)` is below the capacity (the item's
`live_capacity`, or the deployed one until the first refresh), so concurrent
acquirers can never hold more than the capacity between them, and after a scale-in
no slot is granted until the holders above the new capacity have released theirs.
Expired leases are removed with a condition on their own expiry, so a lease renewed meanwhile is never lost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.domain.admission import SlotPool
from text2image.errors import SlotTableRefused, SlotTableThrottled, SlotTableUnavailable

_CONDITION_FAILED = "ConditionalCheckFailedException"


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == _CONDITION_FAILED


class SlotTable:
    def __init__(self, client: Any, table: str, pool: str) -> None:
        self._client = client
        self._table = table
        self._key = {"pool": {"S": pool}}

    def _update(self, message: str, **arguments: Any) -> bool:
        """Run one UpdateItem; False when its condition does not hold."""
        return self._updated(message, **arguments) is not None

    def _updated(self, message: str, **arguments: Any) -> dict[str, Any] | None:
        """Run one UpdateItem: the attributes it returns (as `ReturnValues` asks), or None
        when its condition does not hold."""
        try:
            response = self._client.update_item(TableName=self._table, Key=self._key, **arguments)
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise self._translated(error, message) from None
        except BotoCoreError as error:
            raise self._translated(error, message) from None
        return dict(response.get("Attributes", {}))

    @staticmethod
    def _translated(error: Exception, message: str) -> Exception:
        return translate(
            error,
            throttled=SlotTableThrottled,
            unavailable=SlotTableUnavailable,
            permanent=SlotTableRefused,
            message=message,
        )

    def ensure_pool(self) -> None:
        """Create the pool's item with empty maps, once; an existing item is kept."""
        self._update(
            "The slot table could not be prepared",
            UpdateExpression=(
                "SET leases = if_not_exists(leases, :empty), waiters = if_not_exists(waiters, :empty)"
            ),
            ExpressionAttributeValues={":empty": {"M": {}}},
        )

    def read(self) -> SlotPool:
        item = self._get()
        if "leases" not in item:  # the item was deleted (or never made): conditions on it would never hold
            self.ensure_pool()
            item = self._get()
        return _pool(item)

    def _get(self) -> dict[str, Any]:
        try:
            response = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise self._translated(error, "The slot table could not be read") from None
        return dict(response.get("Item", {}))

    def try_acquire(self, holder: str, capacity: int, lease_expiry: float) -> bool:
        """Take a slot if fewer are held than the live capacity (or `capacity`, the deployed
        one, before the first refresh), or renew this holder's own."""
        return self._update(
            "A generation slot could not be taken",
            UpdateExpression="SET leases.#holder = :expiry REMOVE waiters.#holder",
            ConditionExpression=(
                "size(leases) < live_capacity"
                " OR (attribute_not_exists(live_capacity) AND size(leases) < :capacity)"
                " OR attribute_exists(leases.#holder)"
            ),
            ExpressionAttributeNames={"#holder": holder},
            ExpressionAttributeValues={":expiry": _number(lease_expiry), ":capacity": _number(capacity)},
        )

    def reclaim(self, holder: str, expiry: float) -> bool:
        """Remove a lease that expired, unless it was renewed since it was read."""
        return self._update(
            "An expired generation slot could not be reclaimed",
            UpdateExpression="REMOVE leases.#holder",
            ConditionExpression="leases.#holder = :expiry",
            ExpressionAttributeNames={"#holder": holder},
            ExpressionAttributeValues={":expiry": _number(expiry)},
        )

    def wait(self, holder: str, since: float) -> SlotPool:
        """Join the queue (once: a waiter keeps its place), and the pool as it is then:
        one UpdateItem where a read would otherwise follow."""
        arguments = {
            "UpdateExpression": "SET waiters.#holder = if_not_exists(waiters.#holder, :since)",
            "ExpressionAttributeNames": {"#holder": holder},
            "ExpressionAttributeValues": {":since": _number(since)},
            "ReturnValues": "ALL_NEW",
        }
        try:
            return _pool(self._updated("The queue could not be joined", **arguments) or {})
        except SlotTableRefused:
            # The item was deleted (or never made): there is no map to join yet.
            self.ensure_pool()
            return _pool(self._updated("The queue could not be joined", **arguments) or {})

    def leave(self, holder: str) -> None:
        self._update(
            "The queue could not be left",
            UpdateExpression="REMOVE waiters.#holder",
            ExpressionAttributeNames={"#holder": holder},
        )

    def forget_waiter(self, holder: str, since: float) -> bool:
        """Remove a waiter that stopped asking (its run ended without leaving), unless it came back."""
        return self._update(
            "A stale waiter could not be removed",
            UpdateExpression="REMOVE waiters.#holder",
            ConditionExpression="waiters.#holder = :since",
            ExpressionAttributeNames={"#holder": holder},
            ExpressionAttributeValues={":since": _number(since)},
        )

    def set_capacity(self, capacity: int, instances_in_service: int) -> SlotPool:
        """Record the capacity the fleet serves now, and the pool as it is then. Leases
        are left alone: a run holding a slot finishes whatever the new capacity."""
        attributes = self._updated(
            "The generation capacity could not be recorded",
            UpdateExpression=(
                "SET live_capacity = :capacity, instances_in_service = :instances,"
                " leases = if_not_exists(leases, :empty), waiters = if_not_exists(waiters, :empty)"
            ),
            ExpressionAttributeValues={
                ":capacity": _number(capacity),
                ":instances": _number(instances_in_service),
                ":empty": {"M": {}},
            },
            ReturnValues="ALL_NEW",
        )
        return _pool(attributes or {})

    def release(self, holder: str, latency_ms: int | None = None) -> None:
        """Give the slot back (idempotent), recording how long the generation took."""
        arguments: dict[str, Any] = {
            "UpdateExpression": "REMOVE leases.#holder, waiters.#holder",
            "ExpressionAttributeNames": {"#holder": holder},
        }
        if latency_ms is not None:
            arguments["UpdateExpression"] = "SET latency_ms = :latency " + arguments["UpdateExpression"]
            arguments["ExpressionAttributeValues"] = {":latency": _number(latency_ms)}
        self._update("The generation slot could not be released", **arguments)


def _pool(item: dict[str, Any]) -> SlotPool:
    """The semaphore item as DynamoDB returns it."""
    latency = item.get("latency_ms", {}).get("N")
    capacity = item.get("live_capacity", {}).get("N")
    return SlotPool(
        leases={holder: float(value["N"]) for holder, value in item.get("leases", {}).get("M", {}).items()},
        waiters={holder: float(value["N"]) for holder, value in item.get("waiters", {}).get("M", {}).items()},
        latency_seconds=float(latency) / 1000 if latency is not None else 0.0,
        live_capacity=int(capacity) if capacity is not None else None,
    )


def _number(value: float) -> dict[str, str]:
    return {"N": str(Decimal(str(round(value, 3))))}
