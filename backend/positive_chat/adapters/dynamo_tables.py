"""DynamoDB adapter: the Connections, Messages and Topics tables.

This module owns the item shapes (attribute names as template.yaml and DESIGN.md §4 define them)
and every DynamoDB request the chat makes. It uses the low-level client (thread-safe, unlike
boto3 resources) with boto3's type (de)serializers; numbers come back as int or float, never
Decimal. A DynamoDB failure after botocore's retries becomes ServiceUnavailableError.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from positive_chat.domain.errors import ServiceUnavailableError
from positive_chat.domain.model import Connection, Message, MessagePage
from positive_chat.domain.ratelimit import TokenTake

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "DynamoConnectionStore",
    "DynamoMessageStore",
    "DynamoTopicStore",
    "from_item",
    "query_messages",
    "to_item",
]

logger = logging.getLogger(__name__)

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def _plain(value: Any) -> Any:
    """Decimal -> int/float, recursively (DynamoDB numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _dynamo(value: Any) -> Any:
    """float -> Decimal, recursively (boto3 refuses floats)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dynamo(v) for v in value]
    return value


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (None values are left out)."""
    return {k: _SERIALIZER.serialize(_dynamo(v)) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a plain dict."""
    return {k: _plain(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(_dynamo(v)) for k, v in values.items()}


@contextmanager
def _service_errors(operation: str) -> Iterator[None]:
    """Translate boto errors (after botocore's retries) into ServiceUnavailableError."""
    try:
        yield
    except ClientError as err:
        error = err.response.get("Error", {})
        logger.error(
            "DynamoDB %s failed",
            operation,
            extra={"error_code": error.get("Code", "?"), "error_message": error.get("Message")},
        )
        raise ServiceUnavailableError("storage is unavailable; try again") from err
    except BotoCoreError as err:
        logger.error("DynamoDB %s failed", operation, extra={"error": type(err).__name__})
        raise ServiceUnavailableError("storage is unavailable; try again") from err


def _is_conditional_failure(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# --- Connections -------------------------------------------------------------------------------


def _connection(values: Mapping[str, Any]) -> Connection:
    return Connection(
        connection_id=str(values["connectionId"]),
        room=values.get("room"),
        user=values.get("user"),
        lang=str(values.get("lang", "en")),
        role=str(values.get("role", "user")),
        version=int(values.get("v", 1)),
        connected_at=int(values.get("connectedAt", 0)),
        name_key=values.get("nameKey"),
        named_at=int(values.get("namedAt", 0)),
    )


class DynamoConnectionStore:
    """Connections: pk ``connectionId``; GSI ``ByRoom`` (room, connectionId), ALL."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, connection_id: str) -> Connection | None:
        """The connection, or None."""
        with _service_errors("GetItem"):
            response = self._client.get_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection_id}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return _connection(from_item(item)) if item else None

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
        with _service_errors("UpdateItem"):
            response = self._client.update_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection.connection_id}},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_values(values),
                ReturnValues="ALL_OLD",
            )
        old = response.get("Attributes")
        return _connection(from_item(old)) if old else None

    def bind_user(
        self, connection_id: str, user: str, *, key: str, now: int, open_after: int
    ) -> Connection | None:
        """Bind ``user`` (a v1 frame's name, ``key`` its order key) if no name is bound, or if
        the bound one came from a later frame (a greater ``nameKey``) and was bound after
        ``open_after`` (epoch ms: the binding is still open). One conditional write; return the
        connection as it stands after it (None if it has no item)."""
        names = {"#id": "connectionId", "#user": "user", "#key": "nameKey", "#at": "namedAt"}
        with _service_errors("UpdateItem"):
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
                if not _is_conditional_failure(err):
                    raise
                old: Mapping[str, Any] | None = err.response.get("Item")  # type: ignore[assignment]
                return _connection(from_item(old)) if old else None
        return _connection(from_item(response["Attributes"]))

    def leave(self, connection_id: str) -> Connection | None:
        """Remove the connection's room (it drops out of ByRoom); return the previous state."""
        with _service_errors("UpdateItem"):
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
                if _is_conditional_failure(err):
                    return None  # never joined (or already gone): nothing to leave
                raise
        old = response.get("Attributes")
        return _connection(from_item(old)) if old else None

    def delete(self, connection_id: str) -> Connection | None:
        """Delete the connection; return what it was."""
        with _service_errors("DeleteItem"):
            response = self._client.delete_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection_id}},
                ReturnValues="ALL_OLD",
            )
        old = response.get("Attributes")
        return _connection(from_item(old)) if old else None

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
        with _service_errors("UpdateItem"):
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
                if not _is_conditional_failure(err):
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
            with _service_errors("Query"):
                response = self._client.query(**kwargs)
            found.extend(_connection(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            kwargs["ExclusiveStartKey"] = last


# --- Messages ----------------------------------------------------------------------------------


def message_item(message: Message) -> dict[str, Any]:
    """The Messages item of ``message`` (``review`` only while awaiting a moderator)."""
    awaiting_review = message.status in ("rejected", "held")
    return to_item(
        {
            "room": message.room,
            "msgId": message.message_id,
            "user": message.user,
            "lang": message.lang,
            "content": message.content,
            "createdAt": message.created_at,
            "status": message.status,
            "sentiment": message.sentiment,
            "sentimentScore": dict(message.sentiment_score) or None,
            "topics": dict(message.topics),
            "roomTopics": list(message.room_topics),
            "translations": dict(message.translations),
            "clientId": message.client_id,
            "review": "pending" if awaiting_review else None,
            "flagReason": message.flag_reason,
        }
    )


def query_messages(client: Any, kwargs: dict[str, Any], limit: int) -> MessagePage:
    """Up to ``limit`` messages of a Query (whose filter may hide items), in the order read.

    A FilterExpression applies after Limit, so this keeps paging until ``limit + 1`` items pass
    (the extra one only tells whether more remain). ``kwargs`` is updated as pages are read.
    """
    found: list[Message] = []
    while len(found) <= limit:
        with _service_errors("Query"):
            response = client.query(**kwargs)
        found.extend(_message(from_item(item)) for item in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last:
            break
        kwargs["ExclusiveStartKey"] = last
    return MessagePage(messages=found[:limit], has_more=len(found) > limit)


def _message(values: Mapping[str, Any]) -> Message:
    return Message(
        room=str(values["room"]),
        message_id=str(values["msgId"]),
        user=str(values.get("user", "")),
        lang=str(values.get("lang", "en")),
        content=str(values.get("content", "")),
        created_at=int(values.get("createdAt", 0)),
        status=values.get("status", "published"),
        sentiment=values.get("sentiment"),
        sentiment_score=values.get("sentimentScore") or {},
        topics=values.get("topics") or {},
        room_topics=tuple(values.get("roomTopics") or ()),
        translations=values.get("translations") or {},
        client_id=values.get("clientId"),
        flag_reason=values.get("flagReason"),
    )


class DynamoMessageStore:
    """Messages: pk ``room``, sk ``msgId``; sparse GSI ``ReviewQueue`` (review, msgId)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put(self, message: Message) -> None:
        """Store a new message."""
        with _service_errors("PutItem"):
            self._client.put_item(TableName=self._table, Item=message_item(message))

    def latest(self, room: str, limit: int) -> MessagePage:
        """The latest ``limit`` visible messages, oldest first."""
        return self._visible(room, limit, newest_first=True)

    def before(self, room: str, message_id: str, limit: int) -> MessagePage:
        """Up to ``limit`` visible messages older than ``message_id``, oldest first."""
        return self._visible(room, limit, newest_first=True, bound=("<", message_id))

    def after(self, room: str, message_id: str, limit: int) -> MessagePage:
        """Up to ``limit`` visible messages newer than ``message_id``, oldest first."""
        return self._visible(room, limit, newest_first=False, bound=(">", message_id))

    def _visible(
        self,
        room: str,
        limit: int,
        *,
        newest_first: bool,
        bound: tuple[str, str] | None = None,
    ) -> MessagePage:
        # Only visible messages pass the filter (query_messages pages past the others). Pages
        # read twice what is needed so that a few rejected/held messages do not cost a second
        # request; RCUs follow bytes.
        condition = "#room = :room"
        values: dict[str, Any] = {
            ":room": {"S": room},
            ":published": {"S": "published"},
            ":approved": {"S": "approved"},
        }
        names = {"#room": "room", "#status": "status"}
        if bound is not None:
            condition += f" AND #msgId {bound[0]} :bound"
            values[":bound"] = {"S": bound[1]}
            names["#msgId"] = "msgId"
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "FilterExpression": "#status IN (:published, :approved)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            "Limit": 2 * limit + 1,
        }
        page = query_messages(self._client, kwargs, limit)
        if newest_first:  # read newest first, handed over oldest first
            return MessagePage(messages=page.messages[::-1], has_more=page.has_more)
        return page

    def save_translations(
        self, room: str, message_id: str, translations: Mapping[str, str]
    ) -> None:
        """Add translations that are not there yet; a concurrent writer's text is kept."""
        if not translations:
            return
        try:
            self._save(room, message_id, translations)
        except ClientError as err:
            if not _is_conditional_failure(err):
                logger.warning("could not save translations", extra={"message_id": message_id})
                return
            if len(translations) == 1:
                return  # someone saved this language first: theirs stands
            for lang, text in translations.items():  # save the languages nobody saved yet
                try:
                    self._save(room, message_id, {lang: text})
                except ClientError:
                    continue
        except BotoCoreError:
            logger.warning("could not save translations", extra={"message_id": message_id})

    def _save(self, room: str, message_id: str, translations: Mapping[str, str]) -> None:
        names: dict[str, str] = {"#t": "translations", "#msgId": "msgId"}
        values: dict[str, Any] = {}
        sets, conditions = [], ["attribute_exists(#msgId)"]
        for index, (lang, text) in enumerate(sorted(translations.items())):
            names[f"#l{index}"] = lang
            values[f":t{index}"] = {"S": text}
            sets.append(f"#t.#l{index} = :t{index}")
            conditions.append(f"attribute_not_exists(#t.#l{index})")
        self._client.update_item(
            TableName=self._table,
            Key={"room": {"S": room}, "msgId": {"S": message_id}},
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )


# --- Topics ------------------------------------------------------------------------------------


class DynamoTopicStore:
    """Topics: pk ``room``, sk ``topic``, counter ``num``; GSI ``ByCount`` (room, num) KEYS_ONLY."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def add(self, room: str, counts: Mapping[str, int]) -> None:
        """Add each topic's count to the room's counters (one atomic ADD per topic); if one
        fails, the counts already added are taken back (best effort) before raising."""
        added: dict[str, int] = {}
        try:
            for topic, count in counts.items():
                self._add_one(room, topic, count)
                added[topic] = count
        except ServiceUnavailableError:
            for topic, count in added.items():
                try:
                    self._add_one(room, topic, -count)
                except ServiceUnavailableError:
                    logger.error("could not take back a topic count", extra={"room": room})
            raise

    def _add_one(self, room: str, topic: str, count: int) -> None:
        with _service_errors("UpdateItem"):
            self._client.update_item(
                TableName=self._table,
                Key={"room": {"S": room}, "topic": {"S": topic}},
                UpdateExpression="ADD #num :n",
                ExpressionAttributeNames={"#num": "num"},
                ExpressionAttributeValues={":n": {"N": str(count)}},
            )

    def top(self, room: str, limit: int) -> list[tuple[str, int]]:
        """The room's ``limit`` most counted topics, most counted first."""
        with _service_errors("Query"):
            response = self._client.query(
                TableName=self._table,
                IndexName="ByCount",
                KeyConditionExpression="#room = :room",
                ExpressionAttributeNames={"#room": "room"},
                ExpressionAttributeValues={":room": {"S": room}},
                ScanIndexForward=False,
                Limit=limit,
            )
        rows = [from_item(item) for item in response.get("Items", [])]
        # A count taken back (a message that was never stored) can leave 0: not a topic.
        return [(str(row["topic"]), int(row["num"])) for row in rows if int(row["num"]) > 0]
