"""DynamoDB adapter for moderation: the review queue and decisions, moderator sessions, and the
ModerationTable (audit trail, mutes, failed sign-ins).

This module owns every DynamoDB request moderation makes. Decisions are single conditional
UpdateItems on the Messages item, so two moderators racing on one message cannot both win; the
loser learns the current state from ``ReturnValuesOnConditionCheckFailure``. A DynamoDB failure
after botocore's retries becomes ServiceUnavailableError, as in ``store``.

ModerationTable (``pk``, ``sk``; DynamoDB TTL on ``ttl``, epoch seconds):

============  ================================  ===============  ==========================
item          pk                                sk               expires (``ttl``)
============  ================================  ===============  ==========================
audit entry   ``AUDIT``                         entryId          at + audit retention (400 d)
mute          ``MUTE#<room>``                   user name        when the mute ends (+1 h)
sign-in fail  ``AUTHFAIL#ip#<ip>`` or           window number    end of the window (+1 h)
              ``AUTHFAIL#conn#<connectionId>``
============  ================================  ===============  ==========================

Entry ids have the message id format (14-digit epoch ms, ``-``, 10 random characters), so the
audit partition sorts by time and pages newest first. Moderators decide at human speed, far below
one partition's 1,000 writes per second. TTL deletes lazily (within days), so mutes and windows
are also checked against their own times. Room and user names cannot contain ``#``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from positive_chat.adapters.dynamo_items import (
    connection_from,
    from_item,
    is_conditional_failure,
    message_from,
    query_messages,
    service_errors,
)
from positive_chat.config import MODERATORS_ROOM
from positive_chat.domain.model import (
    AuditEntry,
    Connection,
    Decision,
    Message,
    MessagePage,
    QueueCounts,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "DecisionOutcome",
    "DynamoModerationLedger",
    "DynamoModeratorSessions",
    "DynamoReviewStore",
]

_AUDIT_PK = "AUDIT"
_EXPIRY_SLACK_SECONDS = 3600


@dataclass(frozen=True)
class DecisionOutcome:
    """A conditional decision: ``won`` and the message after it, or the message as it stands
    (``None`` when there is no such message)."""

    won: bool
    message: Message | None


# What each decision requires of the message, and what it sets.
_DECISIONS: Mapping[Decision, tuple[str, str]] = {
    "approve": ("approved", "#review = :pending AND #status IN (:rejected, :held)"),
    "reject": ("rejected", "#review = :pending AND #status IN (:rejected, :held)"),
    "delete": ("deleted", "#status IN (:published, :approved)"),
}


class DynamoReviewStore:
    """The Messages table as moderators see it: the sparse ``ReviewQueue`` GSI and decisions."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, room: str, message_id: str) -> Message | None:
        """One message, any status (strongly consistent)."""
        with service_errors("GetItem"):
            response = self._client.get_item(
                TableName=self._table,
                Key={"room": {"S": room}, "msgId": {"S": message_id}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return message_from(from_item(item)) if item else None

    def pending(self, room: str | None, after: str | None, limit: int) -> MessagePage:
        """Up to ``limit`` messages awaiting review, oldest first (only ``room``'s if given)."""
        condition = "#review = :pending"
        names = {"#review": "review"}
        values: dict[str, Any] = {":pending": {"S": "pending"}}
        if after is not None:
            condition += " AND #msgId > :after"
            names["#msgId"] = "msgId"
            values[":after"] = {"S": after}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ReviewQueue",
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": True,
            "Limit": limit + 1,
        }
        if room is not None:
            # A filter applies after Limit: read more per page, keep paging until limit + 1.
            kwargs["FilterExpression"] = "#room = :room"
            names["#room"] = "room"
            values[":room"] = {"S": room}
            kwargs["Limit"] = 2 * limit + 1
        return query_messages(self._client, kwargs, limit)

    def counts(self) -> QueueCounts:
        """The whole queue by status and by room (every page of the index, two attributes)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ReviewQueue",
            "KeyConditionExpression": "#review = :pending",
            "ProjectionExpression": "#room, #status",
            "ExpressionAttributeNames": {"#review": "review", "#room": "room", "#status": "status"},
            "ExpressionAttributeValues": {":pending": {"S": "pending"}},
        }
        by_status: dict[str, int] = {}
        rooms: dict[str, int] = {}
        while True:
            with service_errors("Query"):
                response = self._client.query(**kwargs)
            for item in response.get("Items", []):
                values = from_item(item)
                status = str(values.get("status", "?"))
                room = str(values.get("room", "?"))
                by_status[status] = by_status.get(status, 0) + 1
                rooms[room] = rooms.get(room, 0) + 1
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            kwargs["ExclusiveStartKey"] = last
        return QueueCounts(
            pending=sum(by_status.values()),
            rejected=by_status.get("rejected", 0),
            held=by_status.get("held", 0),
            rooms=dict(sorted(rooms.items())),
        )

    def decide(
        self,
        room: str,
        message_id: str,
        decision: Decision,
        *,
        moderator: str,
        at: int,
        reason: str | None,
    ) -> DecisionOutcome:
        """Apply ``decision`` if the message is still in the state it requires (one request)."""
        status, condition = _DECISIONS[decision]
        names = {
            "#msgId": "msgId",
            "#status": "status",
            "#by": "decidedBy",
            "#at": "decidedAt",
        }
        values: dict[str, Any] = {
            ":status": {"S": status},
            ":by": {"S": moderator},
            ":at": {"N": str(at)},
        }
        sets = ["#status = :status", "#by = :by", "#at = :at"]
        if "#review" in condition:
            names["#review"] = "review"
            values[":pending"] = {"S": "pending"}
            values[":rejected"] = {"S": "rejected"}
            values[":held"] = {"S": "held"}
        else:
            values.update({":published": {"S": "published"}, ":approved": {"S": "approved"}})
        if reason is not None:
            names["#reason"] = "decisionReason"
            values[":reason"] = {"S": reason}
            sets.append("#reason = :reason")
        update = "SET " + ", ".join(sets)
        if decision in ("approve", "reject"):
            update += " REMOVE #review"  # out of the sparse ReviewQueue index
        with service_errors("UpdateItem"):
            try:
                response = self._client.update_item(
                    TableName=self._table,
                    Key={"room": {"S": room}, "msgId": {"S": message_id}},
                    UpdateExpression=update,
                    ConditionExpression=f"attribute_exists(#msgId) AND ({condition})",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as err:
                if not is_conditional_failure(err):
                    raise
                old: Mapping[str, Any] | None = err.response.get("Item")  # type: ignore[assignment]
                previous = message_from(from_item(old)) if old else None
                return DecisionOutcome(won=False, message=previous)
        return DecisionOutcome(won=True, message=message_from(from_item(response["Attributes"])))

    def set_topics(
        self, room: str, message_id: str, topics: Mapping[str, int], room_topics: Iterable[str]
    ) -> None:
        """Record an approved message's topics and the room's top topics after it."""
        with service_errors("UpdateItem"):
            self._client.update_item(
                TableName=self._table,
                Key={"room": {"S": room}, "msgId": {"S": message_id}},
                UpdateExpression="SET #topics = :topics, #roomTopics = :roomTopics",
                ConditionExpression="attribute_exists(#msgId)",
                ExpressionAttributeNames={
                    "#topics": "topics",
                    "#roomTopics": "roomTopics",
                    "#msgId": "msgId",
                },
                ExpressionAttributeValues={
                    ":topics": {"M": {k: {"N": str(v)} for k, v in topics.items()}},
                    ":roomTopics": {"L": [{"S": t} for t in room_topics]},
                },
            )


class DynamoModeratorSessions:
    """Moderator connections: Connections items with role ``moderator`` in ``#moderators``."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def promote(self, connection_id: str, name: str, *, now: int, ttl: int) -> Connection | None:
        """Make the connection a moderator connection; return its previous state."""
        with service_errors("UpdateItem"):
            response = self._client.update_item(
                TableName=self._table,
                Key={"connectionId": {"S": connection_id}},
                UpdateExpression=(
                    "SET #role = :role, #room = :room, #user = :user, #v = :v, #ttl = :ttl,"
                    " #lang = if_not_exists(#lang, :lang),"
                    " #connectedAt = if_not_exists(#connectedAt, :now)"
                ),
                ExpressionAttributeNames={
                    f"#{n}": n for n in ("role", "room", "user", "v", "ttl", "lang", "connectedAt")
                },
                ExpressionAttributeValues={
                    ":role": {"S": "moderator"},
                    ":room": {"S": MODERATORS_ROOM},
                    ":user": {"S": name},
                    ":v": {"N": "2"},
                    ":ttl": {"N": str(ttl)},
                    ":lang": {"S": "en"},
                    ":now": {"N": str(now)},
                },
                ReturnValues="ALL_OLD",
            )
        old = response.get("Attributes")
        return connection_from(from_item(old)) if old else None


def _audit_item(entry: AuditEntry, ttl: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pk": {"S": _AUDIT_PK},
        "sk": {"S": entry.entry_id},
        "at": {"N": str(entry.at)},
        "moderator": {"S": entry.moderator},
        "action": {"S": entry.action},
        "ttl": {"N": str(ttl)},
    }
    optional = {
        "room": entry.room,
        "messageId": entry.message_id,
        "user": entry.user,
        "reason": entry.reason,
        "connectionId": entry.connection_id,
    }
    values.update({k: {"S": v} for k, v in optional.items() if v is not None})
    if entry.until is not None:
        values["until"] = {"N": str(entry.until)}
    return values


def _audit_entry(values: Mapping[str, Any]) -> AuditEntry:
    until = values.get("until")
    return AuditEntry(
        entry_id=str(values["sk"]),
        at=int(values.get("at", 0)),
        moderator=str(values.get("moderator", "?")),
        action=values.get("action", "approve"),
        room=values.get("room"),
        message_id=values.get("messageId"),
        user=values.get("user"),
        reason=values.get("reason"),
        until=int(until) if until is not None else None,
        connection_id=values.get("connectionId"),
    )


class DynamoModerationLedger:
    """The ModerationTable: audit entries, mutes, failed sign-in counters."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    # Audit ---------------------------------------------------------------------------------

    def add_audit(self, entry: AuditEntry, *, ttl: int) -> None:
        """Record one moderator action (never overwrites: entry ids are unique)."""
        with service_errors("PutItem"):
            self._client.put_item(
                TableName=self._table,
                Item=_audit_item(entry, ttl),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def audit(self, after: str | None, limit: int) -> tuple[list[AuditEntry], bool]:
        """Up to ``limit`` entries older than ``after`` (or the newest), newest first."""
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": {"S": _AUDIT_PK}}
        if after is not None:
            condition += " AND sk < :after"
            values[":after"] = {"S": after}
        with service_errors("Query"):
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=limit + 1,
            )
        entries = [_audit_entry(from_item(item)) for item in response.get("Items", [])]
        # No filter: a page of limit + 1 items says by itself whether more remain.
        return entries[:limit], len(entries) > limit

    # Mutes ---------------------------------------------------------------------------------

    def mute(self, room: str, user: str, *, until: int, moderator: str, reason: str | None) -> None:
        """Mute ``user`` in ``room`` until ``until`` (epoch ms), replacing any earlier mute."""
        item: dict[str, Any] = {
            "pk": {"S": f"MUTE#{room}"},
            "sk": {"S": user},
            "until": {"N": str(until)},
            "moderator": {"S": moderator},
            "ttl": {"N": str(until // 1000 + _EXPIRY_SLACK_SECONDS)},
        }
        if reason is not None:
            item["reason"] = {"S": reason}
        with service_errors("PutItem"):
            self._client.put_item(TableName=self._table, Item=item)

    def unmute(self, room: str, user: str) -> None:
        """Lift ``user``'s mute in ``room`` (nothing happens if there is none)."""
        with service_errors("DeleteItem"):
            self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": f"MUTE#{room}"}, "sk": {"S": user}},
            )

    def muted_until(self, room: str, user: str) -> int | None:
        """When ``user``'s mute in ``room`` ends (epoch ms), or None (it may have ended)."""
        with service_errors("GetItem"):
            response = self._client.get_item(
                TableName=self._table,
                Key={"pk": {"S": f"MUTE#{room}"}, "sk": {"S": user}},
                ProjectionExpression="#until",
                ExpressionAttributeNames={"#until": "until"},
            )
        item = response.get("Item")
        return int(from_item(item)["until"]) if item and "until" in item else None

    # Failed sign-ins -----------------------------------------------------------------------

    def reserve_auth_attempt(
        self, keys: Sequence[str], window: int, *, limit: int, ttl: int
    ) -> int | None:
        """Add one attempt to each key's ``window`` while it is under ``limit`` (a conditional
        ADD per key: DynamoDB decides, nothing is read first); return the highest count now.
        If a key is at the limit, the attempts already added to the others are taken back and
        the answer is None."""
        added: list[str] = []
        worst = 0
        for key in keys:
            with service_errors("UpdateItem"):
                try:
                    response = self._client.update_item(
                        TableName=self._table,
                        Key={"pk": {"S": f"AUTHFAIL#{key}"}, "sk": {"S": str(window)}},
                        UpdateExpression="ADD #n :one SET #ttl = :ttl",
                        ConditionExpression="attribute_not_exists(#n) OR #n < :limit",
                        ExpressionAttributeNames={"#n": "n", "#ttl": "ttl"},
                        ExpressionAttributeValues={
                            ":one": {"N": "1"},
                            ":ttl": {"N": str(ttl)},
                            ":limit": {"N": str(limit)},
                        },
                        ReturnValues="UPDATED_NEW",
                    )
                except ClientError as err:
                    if not is_conditional_failure(err):
                        raise
                    self.release_auth_attempt(added, window)
                    return None
            added.append(key)
            worst = max(worst, int(from_item(response["Attributes"]).get("n", 0)))
        return worst

    def release_auth_attempt(self, keys: Sequence[str], window: int) -> None:
        """Take one attempt back from each key's ``window`` (never below 0, never creating)."""
        for key in keys:
            with service_errors("UpdateItem"):
                try:
                    self._client.update_item(
                        TableName=self._table,
                        Key={"pk": {"S": f"AUTHFAIL#{key}"}, "sk": {"S": str(window)}},
                        UpdateExpression="ADD #n :minus",
                        ConditionExpression="#n > :zero",
                        ExpressionAttributeNames={"#n": "n"},
                        ExpressionAttributeValues={":minus": {"N": "-1"}, ":zero": {"N": "0"}},
                    )
                except ClientError as err:
                    if not is_conditional_failure(err):
                        raise
