"""The Connections table adapter: who is connected, in which room, under which name.

Item shapes and error handling are shared with the other tables (adapters/dynamo_items.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from positive_chat.adapters.dynamo_items import (
    connection_from,
    from_item,
    is_conditional_failure,
    item_values,
    service_errors,
)
from positive_chat.domain.model import Connection
from positive_chat.domain.ports import TokenTake

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger(__name__)


class DynamoConnectionStore:
    """Connections: pk ``connectionId``; GSI ``ByRoom`` (room, connectionId), ALL."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, connection_id: str) -> Connection | None:
        """The connection, or None."""
        with service_errors("GetItem"):
            response = self._client.get_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection_id}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return connection_from(from_item(item)) if item else None

    def join(self, connection: Connection, *, ttl: int) -> Connection | None:
        """Set room/lang/version/ttl/role (user only if unset); return the previous state."""
        if connection.room is None:
            raise ValueError("join() needs a room")
        sets = [
            "#room = :room",
            "#lang = :lang",
            "#v = :v",
            "#ttl = :ttl",
            "#connectedAt = if_not_exists(#connectedAt, :now)",
            "#role = :role",  # an init ends a moderator session (docs/protocol.md, Moderation)
        ]
        values: dict[str, Any] = {
            ":room": connection.room,
            ":lang": connection.lang,
            ":v": connection.version,
            ":ttl": ttl,
            ":now": connection.connected_at,
            ":role": connection.role,
        }
        names = {f"#{n}": n for n in ("room", "lang", "v", "ttl", "connectedAt", "role")}
        if connection.user is not None:
            sets.append("#user = if_not_exists(#user, :user)")
            values[":user"] = connection.user
            names["#user"] = "user"
        with service_errors("UpdateItem"):
            response = self._client.update_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection.connection_id}},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=item_values(values),
                ReturnValues="ALL_OLD",
            )
        old = response.get("Attributes")
        return connection_from(from_item(old)) if old else None

    def bind_user(
        self, connection_id: str, user: str, *, key: str, now: int, open_after: int
    ) -> Connection | None:
        """Bind ``user`` (a v1 frame's name, ``key`` its order key) if no name is bound, or if
        the bound one came from a later frame (a greater ``nameKey``) and was bound after
        ``open_after`` (epoch ms: the binding is still open). One conditional write; return the
        connection as it stands after it (None if it has no item)."""
        names = {"#id": "connectionId", "#user": "user", "#key": "nameKey", "#at": "namedAt"}
        with service_errors("UpdateItem"):
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"connectionId": {"S": connection_id}},
                    UpdateExpression="SET #user = :user, #key = :key, #at = :now",
                    ConditionExpression=(
                        "attribute_exists(#id) AND (attribute_not_exists(#user)"
                        " OR (#key > :key AND #at > :open))"
                    ),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues={
                        ":user": {"S": user},
                        ":key": {"S": key},
                        ":now": {"N": str(now)},
                        ":open": {"N": str(open_after)},
                    },
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
                old: Mapping[str, Any] | None = err.response.get("Item")  # type: ignore[assignment]
                return connection_from(from_item(old)) if old else None
        return connection_from(from_item(response["Attributes"]))

    def leave(self, connection_id: str) -> Connection | None:
        """Remove the connection's room (it drops out of ByRoom); return the previous state."""
        with service_errors("UpdateItem"):
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"connectionId": {"S": connection_id}},
                    UpdateExpression="REMOVE #room",
                    ConditionExpression="attribute_exists(connectionId)",
                    ExpressionAttributeNames={"#room": "room"},
                    ReturnValues="ALL_OLD",
                )
            except ClientError as err:
                if is_conditional_failure(err):
                    return None  # never joined (or already gone): nothing to leave
                raise
        old = response.get("Attributes")
        return connection_from(from_item(old)) if old else None

    def delete(self, connection_id: str) -> Connection | None:
        """Delete the connection; return what it was."""
        with service_errors("DeleteItem"):
            response = self._client.delete_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection_id}},
                ReturnValues="ALL_OLD",
            )
        old = response.get("Attributes")
        return connection_from(from_item(old)) if old else None

    def take_rate_token(
        self, connection_id: str, *, now: int, step: int, latest: int, fresh: bool
    ) -> TokenTake:
        """Take a token with one conditional write computed by DynamoDB (never from a value
        read before) and number the frame; never creates an item. ``fresh``: the bucket is
        full (``rlTat`` absent or not after ``now``); else it must still hold a token
        (``now < rlTat <= latest``). On a failed condition, say what is there."""
        names = {"#tat": "rlTat", "#seq": "seq"}
        values: dict[str, Any] = {
            ":now": {"N": str(now)},
            ":step": {"N": str(step)},
            ":one": {"N": "1"},
        }
        if fresh:
            update = "SET #tat = :new ADD #seq :one"
            values[":new"] = {"N": str(now + step)}
            del values[":step"]
            condition = "attribute_exists(#id) AND (attribute_not_exists(#tat) OR #tat <= :now)"
            names["#id"] = "connectionId"
        else:
            update = "SET #tat = #tat + :step ADD #seq :one"
            condition = "#tat > :now AND #tat <= :latest"
            values[":latest"] = {"N": str(latest)}
        with service_errors("UpdateItem"):
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"connectionId": {"S": connection_id}},
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="UPDATED_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
                old: Mapping[str, Any] | None = err.response.get("Item")  # type: ignore[assignment]
                if not old:
                    return TokenTake(done=False, exists=False)
                tat = from_item(old).get("rlTat")
                return TokenTake(done=False, current=int(tat) if tat is not None else None)
        seq = from_item(response.get("Attributes") or {}).get("seq")
        return TokenTake(done=True, seq=int(seq) if seq is not None else None)

    def in_room(self, room: str) -> list[Connection]:
        """Every connection in ``room`` (all pages of the ByRoom index)."""
        found: list[Connection] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByRoom",
            "KeyConditionExpression": "#room = :room",
            "ExpressionAttributeNames": {"#room": "room"},
            "ExpressionAttributeValues": {":room": {"S": room}},
        }
        while True:
            with service_errors("Query"):
                response = self._client.query(**kwargs)
            found.extend(connection_from(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            kwargs["ExclusiveStartKey"] = last
