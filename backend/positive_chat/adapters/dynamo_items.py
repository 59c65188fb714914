"""DynamoDB item shapes shared by the table adapters: (de)serialising, errors, messages.

Attribute names are those template.yaml and DESIGN.md §4 define. Numbers come back as int or
float, never Decimal. A DynamoDB failure after botocore's retries becomes ServiceUnavailableError.
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

if TYPE_CHECKING:
    pass

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


def item_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _SERIALIZER.serialize(_dynamo(v)) for k, v in values.items()}


@contextmanager
def service_errors(operation: str) -> Iterator[None]:
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


def is_conditional_failure(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# --- Connections -------------------------------------------------------------------------------


def connection_from(values: Mapping[str, Any]) -> Connection:
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
        with service_errors("Query"):
            response = client.query(**kwargs)
        found.extend(message_from(from_item(item)) for item in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        if not last:
            break
        kwargs["ExclusiveStartKey"] = last
    return MessagePage(messages=found[:limit], has_more=len(found) > limit)


def message_from(values: Mapping[str, Any]) -> Message:
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
