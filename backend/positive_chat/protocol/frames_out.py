"""Frames out: ``render`` turns one domain event into the frames one reader gets.

v2 readers get JSON objects with a ``type``; v1 readers the 2019 original's arrays of message
objects (protocol/frames_v1.py). Frames are UTF-8 JSON: v2 text is sent exactly as typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from positive_chat.config import (
    CONTENT_MAX_BYTES,
    CONTENT_MAX_CHARS,
    HISTORY_MAX_PAGE,
    HISTORY_PAGE,
    MOD_MUTE_MAX_MINUTES,
    MOD_PAGE,
    MOD_REASON_MAX_CHARS,
    MOD_SECRET_MAX_CHARS,
    NAME_MAX_CHARS,
    ROOM_MAX_CHARS,
)
from positive_chat.domain.errors import (
    ChatError,
)
from positive_chat.domain.events import (
    Accepted,
    AuditPage,
    Decided,
    Deleted,
    Event,
    Failure,
    Flagged,
    HistoryPage,
    Joined,
    Left,
    ModeratorSignedIn,
    Pong,
    Presence,
    Reading,
    Refused,
    Resolved,
    ReviewQueue,
    RoomTopics,
)
from positive_chat.domain.model import (
    AuditEntry,
    Message,
)
from positive_chat.protocol.encoding import encode, split_frames
from positive_chat.protocol.frames_v1 import render_v1

__all__ = ["LIMITS", "MODERATION_LIMITS", "audit_entry", "failure_for", "render", "review_item"]

# The server's limits, sent on "joined" so clients need not hard-code them.
LIMITS: Mapping[str, int] = {
    "contentChars": CONTENT_MAX_CHARS,
    "contentBytes": CONTENT_MAX_BYTES,
    "historyPage": HISTORY_PAGE,
    "historyMaxPage": HISTORY_MAX_PAGE,
    "nameChars": NAME_MAX_CHARS,
    "roomChars": ROOM_MAX_CHARS,
}

# The moderation frames' limits, sent on "review.authenticated" for the console.
MODERATION_LIMITS: Mapping[str, int] = {
    "secretChars": MOD_SECRET_MAX_CHARS,
    "reasonChars": MOD_REASON_MAX_CHARS,
    "muteMaxMinutes": MOD_MUTE_MAX_MINUTES,
    "pageSize": MOD_PAGE,
}


def failure_for(
    err: ChatError, *, action: str | None, client_id: str | None, room: str | None, timestamp: int
) -> Failure:
    """The error event for a refusal."""
    return Failure(
        code=err.code,
        message=err.message,
        action=action,
        field=err.field,
        room=room,
        timestamp=timestamp,
        client_id=client_id,
        retry_after=err.retry_after,  # RATE_LIMITED, MUTED, AUTH_THROTTLED
    )


def render(event: Event, version: int) -> list[bytes]:
    """The frames one reader of protocol ``version`` gets for ``event`` (possibly none)."""
    return _render_v2(event) if version == 2 else render_v1(event)


def _with_id(payload: dict[str, Any], client_id: str | None) -> dict[str, Any]:
    if client_id is not None:
        payload["id"] = client_id
    return payload


def _message_v2(reading: Reading) -> dict[str, Any]:
    message = reading.message
    payload: dict[str, Any] = {
        "type": "message",
        "room": message.room,
        "messageId": message.message_id,
    }
    if message.client_id is not None:
        payload["clientId"] = message.client_id
    payload.update(
        {
            "user": message.user,
            "timestamp": message.created_at,
            "lang": message.lang,
            "content": message.content,
            "text": reading.text,
            "textLang": reading.text_lang,
            "translation": reading.translation,
            "topics": dict(message.topics),
            "sentiment": message.sentiment,
            "status": message.status,
            "roomTopics": list(message.room_topics),
        }
    )
    return payload


def _render_v2(event: Event) -> list[bytes]:  # one branch per frame type
    if isinstance(event, Reading):
        return [encode(_message_v2(event))]
    if isinstance(event, Joined):
        payload = _with_id({"type": "joined"}, event.client_id)
        payload.update(
            {"room": event.room, "user": event.user, "lang": event.lang, "limits": LIMITS}
        )
        return [encode(payload)]
    if isinstance(event, HistoryPage):
        return _history_v2(event)
    if isinstance(event, Presence):
        return [
            encode(
                {
                    "type": "presence",
                    "room": event.room,
                    "event": event.event,
                    "user": event.user,
                    "members": [{"user": u, "lang": lang} for u, lang in event.members],
                    "count": len(event.members) if event.count is None else event.count,
                }
            )
        ]
    if isinstance(event, RoomTopics):
        topics = [{"topic": t, "count": n} for t, n in event.topics]
        return [encode({"type": "topics", "room": event.room, "topics": topics})]
    if isinstance(event, Accepted):
        payload = _with_id({"type": "ack"}, event.client_id)
        payload.update({"messageId": event.message_id, "status": event.status})
        return [encode(payload)]
    if isinstance(event, Refused):
        payload = _with_id({"type": event.kind}, event.client_id)
        payload.update(
            {
                "messageId": event.message_id,
                "reason": event.reason,
                "notice": event.notice.text,
                "noticeLang": event.notice.lang,
            }
        )
        return [encode(payload)]
    if isinstance(event, Pong):
        return [
            encode(_with_id({"type": "pong"}, event.client_id) | {"timestamp": event.timestamp})
        ]
    if isinstance(event, Left):
        return [encode(_with_id({"type": "left"}, event.client_id) | {"room": event.room})]
    if not isinstance(event, Failure):
        return _render_review(event)
    payload = _with_id({"type": "error"}, event.client_id)
    payload.update(
        {"action": event.action, "code": event.code, "field": event.field, "message": event.message}
    )
    if event.retry_after is not None:
        payload["retryAfter"] = event.retry_after
    return [encode(payload)]


def _history_v2(page: HistoryPage) -> list[bytes]:
    head = _with_id({"type": "history"}, page.client_id)
    head.update({"room": page.room, "mode": page.mode})
    return _parts(head, "messages", [encode(_message_v2(r)) for r in page.readings], page.has_more)


def _parts(head: dict[str, Any], key: str, items: Sequence[bytes], has_more: bool) -> list[bytes]:
    """``head`` plus ``key: [items]`` in frames under 32 KB; only the last has ``final: true``."""
    encoded_head = encode(head)
    groups = split_frames(items, overhead=len(encoded_head) + len(key) + 64)
    frames = []
    for index, group in enumerate(groups):
        final = index == len(groups) - 1
        # Join pre-encoded items: the same bytes json would produce, without re-encoding.
        frames.append(
            encoded_head[:-1]
            + b',"'
            + key.encode()
            + b'":['
            + b",".join(group)
            + b'],"hasMore":'
            + (b"true" if has_more else b"false")
            + b',"final":'
            + (b"true" if final else b"false")
            + b"}"
        )
    return frames


# Moderation frames (v2 only).


def review_item(message: Message) -> dict[str, Any]:
    """A message awaiting review, as ``review.queue`` and ``review.flagged`` show it."""
    return {
        "room": message.room,
        "messageId": message.message_id,
        "user": message.user,
        "lang": message.lang,
        "content": message.content,
        "status": message.status,
        "flagReason": message.flag_reason,
        "sentiment": message.sentiment,
        "scores": dict(message.sentiment_score) or None,
        "createdAt": message.created_at,
    }


def audit_entry(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as ``review.audit`` and ``review.resolved`` show it."""
    return {
        "entryId": entry.entry_id,
        "at": entry.at,
        "moderator": entry.moderator,
        "action": entry.action,
        "room": entry.room,
        "messageId": entry.message_id,
        "user": entry.user,
        "reason": entry.reason,
        "until": entry.until,
    }


def _render_review(event: Event) -> list[bytes]:
    """The v2 frames of a moderation event (none for an event that is not one)."""
    if isinstance(event, ModeratorSignedIn):
        return [
            encode(
                _with_id({"type": "review.authenticated"}, event.client_id)
                | {"moderator": event.moderator, "limits": MODERATION_LIMITS}
            )
        ]
    if isinstance(event, ReviewQueue):
        head = _with_id({"type": "review.queue"}, event.client_id)
        head["room"] = event.room
        head["counts"] = {
            "pending": event.counts.pending,
            "rejected": event.counts.rejected,
            "held": event.counts.held,
            "rooms": dict(event.counts.rooms),
        }
        items = [encode(review_item(m)) for m in event.items]
        return _parts(head, "items", items, event.has_more)
    if isinstance(event, Flagged):
        return [encode({"type": "review.flagged", "item": review_item(event.message)})]
    if isinstance(event, Resolved):
        payload = _with_id({"type": "review.resolved"}, event.client_id)
        payload["entry"] = audit_entry(event.entry)
        return [encode(payload)]
    if isinstance(event, AuditPage):
        head = _with_id({"type": "review.audit"}, event.client_id)
        entries = [encode(audit_entry(e)) for e in event.entries]
        return _parts(head, "entries", entries, event.has_more)
    if isinstance(event, Decided):
        return [
            encode(
                {
                    "type": "review.decided",
                    "room": event.room,
                    "messageId": event.message_id,
                    "decision": event.decision,
                }
            )
        ]
    if isinstance(event, Deleted):
        return [encode({"type": "deleted", "room": event.room, "messageId": event.message_id})]
    return []
