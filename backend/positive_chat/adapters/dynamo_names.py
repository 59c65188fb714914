"""Name claims in the Connections table: one item per (room, name key) makes a name unique.

The claim item's key is ``connectionId = "name#<room>#<name key>"`` (API Gateway connection ids
never hold ``#``). It carries no ``room`` attribute, so the ByRoom index never lists it; it has
``holder`` (the connection id), ``user`` (the name as typed), ``claimedAt`` (epoch ms) and the
table's ``ttl``, so a claim whose holder vanished without a $disconnect also expires. Every
write is conditional: two joins with the same name at once, exactly one wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from positive_chat.adapters.dynamo_items import (
    from_item,
    is_conditional_failure,
    service_errors,
    to_item,
)
from positive_chat.domain.ports import NameClaim

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["DynamoNameClaims", "claim_id"]

_KEY = "connectionId"


def claim_id(room: str, key: str) -> str:
    """The claim item's key."""
    return f"name#{room}#{key}"


class DynamoNameClaims:
    """The NameClaims port over the Connections table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def claim(
        self, room: str, key: str, *, holder: str, user: str, now: int, ttl: int
    ) -> NameClaim | None:
        """Claim for ``holder`` if free or already its own; else the other holder's claim."""
        item = self._item(room, key, holder=holder, user=user, now=now, ttl=ttl)
        with service_errors("PutItem"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#k) OR holder = :me",
                    ExpressionAttributeNames={"#k": _KEY},
                    ExpressionAttributeValues={":me": {"S": holder}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
                old: Mapping[str, Any] = err.response.get("Item") or {}  # type: ignore[assignment]
                values = from_item(old)
                return NameClaim(
                    holder=str(values.get("holder", "")),
                    user=str(values.get("user", "")),
                    claimed_at=int(values.get("claimedAt", 0)),
                )
        return None

    def take_over(
        self, room: str, key: str, *, holder: str, previous: str, user: str, now: int, ttl: int
    ) -> bool:
        """Give the claim to ``holder`` if ``previous`` still holds it."""
        item = self._item(room, key, holder=holder, user=user, now=now, ttl=ttl)
        with service_errors("PutItem"):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#k) OR holder = :old",
                    ExpressionAttributeNames={"#k": _KEY},
                    ExpressionAttributeValues={":old": {"S": previous}},
                )
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
                return False
        return True

    def release(self, room: str, key: str, *, holder: str) -> None:
        """Delete the claim if ``holder`` holds it."""
        with service_errors("DeleteItem"):
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key={_KEY: {"S": claim_id(room, key)}},
                    ConditionExpression="holder = :me",
                    ExpressionAttributeValues={":me": {"S": holder}},
                )
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise

    @staticmethod
    def _item(room: str, key: str, *, holder: str, user: str, now: int, ttl: int) -> dict[str, Any]:
        return to_item(
            {
                _KEY: claim_id(room, key),
                "holder": holder,
                "user": user,
                "claimedAt": now,
                "ttl": ttl,
            }
        )
