"""The Messages and Topics table adapters.

Item shapes and error handling are shared with the other tables (adapters/dynamo_items.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from positive_chat.adapters.dynamo_items import (
    from_item,
    is_conditional_failure,
    message_item,
    query_messages,
    service_errors,
)
from positive_chat.domain.errors import ServiceUnavailableError
from positive_chat.domain.model import Message, MessagePage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger(__name__)


class DynamoMessageStore:
    """Messages: pk ``room``, sk ``msgId``; sparse GSI ``ReviewQueue`` (review, msgId)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put(self, message: Message) -> None:
        """Store a new message."""
        with service_errors("PutItem"):
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
            if not is_conditional_failure(err):
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
        with service_errors("UpdateItem"):
            self._client.update_item(
                TableName=self._table,
                Key={"room": {"S": room}, "topic": {"S": topic}},
                UpdateExpression="ADD #num :n",
                ExpressionAttributeNames={"#num": "num"},
                ExpressionAttributeValues={":n": {"N": str(count)}},
            )

    def top(self, room: str, limit: int) -> list[tuple[str, int]]:
        """The room's ``limit`` most counted topics, most counted first."""
        with service_errors("Query"):
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
