"""v1 frames: arrays of the 2019 original's message objects.

v1 text is HTML-escaped, because the 2019 original page inserts it with ``innerHTML`` (see
``html_escaped``).
"""

from __future__ import annotations

import html
from typing import Any

from positive_chat.config import (
    NOTICE_USER,
)
from positive_chat.domain.events import (
    Event,
    Failure,
    HistoryPage,
    Presence,
    Reading,
    Refused,
)
from positive_chat.domain.model import Message
from positive_chat.protocol.encoding import encode, split_frames

# v1: arrays of the original's message objects.


def _message_v1(reading: Reading) -> dict[str, Any]:
    message: Message = reading.message
    payload: dict[str, Any] = {
        "room": message.room,
        "timestamp": message.created_at,
        "user": message.user,
        "lang": message.lang,
        "content": message.content,
        "topics": dict(message.topics),
        "sentiment": message.sentiment,
        "roomTopics": list(message.room_topics),
    }
    if reading.translation == "translated":
        payload["destLang"] = reading.text_lang
        payload["translated"] = reading.text
    return payload


def _notice_v1(room: str | None, timestamp: int, text: str, lang: str) -> dict[str, Any]:
    return {
        "room": room or "",
        "timestamp": timestamp,
        "user": NOTICE_USER,
        "lang": lang,
        "content": text,
        "topics": {},
        "sentiment": "NEUTRAL",
        "roomTopics": [],
    }


def html_escaped(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) HTML-escaped: ``& < > " '``.

    The 2019 original page inserts v1 message objects with ``innerHTML`` and strips only closed
    tags, so every text of a v1 frame is escaped: that page shows the text as typed, literally,
    and no markup in it can run. v2 frames are JSON text, never escaped.
    """
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {html.escape(k, quote=True): html_escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [html_escaped(v) for v in value]
    return value


def _encode_v1(payload: object) -> bytes:
    return encode(html_escaped(payload))


def render_v1(event: Event) -> list[bytes]:
    if isinstance(event, Reading):
        return [_encode_v1([_message_v1(event)])]
    if isinstance(event, HistoryPage):
        groups = split_frames([_encode_v1(_message_v1(r)) for r in event.readings], overhead=2)
        return [b"[" + b",".join(group) + b"]" for group in groups]
    if isinstance(event, Presence):
        if event.event == "snapshot" or event.notice is None:
            return []
        notice = _notice_v1(event.room, event.timestamp, event.notice.text, event.notice.lang)
        return [_encode_v1([notice])]
    if isinstance(event, Refused):
        notice = _notice_v1(event.room, event.timestamp, event.notice.text, event.notice.lang)
        return [_encode_v1([notice])]
    if isinstance(event, Failure):
        notice = _notice_v1(event.room, event.timestamp, event.message, "en")
        notice["error"] = event.code
        return [_encode_v1([notice])]
    # joined, topics, ack, pong, left: the original protocol has no such frames.
    return []
