"""The chat's values: connections, messages, ids, sentiment, audit entries (frozen dataclasses).

Commands (what a frame asks for) live in domain/commands.py, events (what the chat asks to be
sent) in domain/events.py; protocol/ turns frames into commands and events into frames.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = [
    "EMPTY_MAP",
    "PENDING_STATUSES",
    "SEQ_CHARS",
    "VISIBLE_STATUSES",
    "AuditAction",
    "AuditEntry",
    "Connection",
    "Decision",
    "Message",
    "MessagePage",
    "QueueCounts",
    "Sentiment",
    "Shard",
    "Status",
    "TranslationState",
    "crockford",
    "new_message_id",
    "order_key",
]

EMPTY_MAP: Mapping[str, str] = MappingProxyType({})
VISIBLE_STATUSES = frozenset({"published", "approved"})
PENDING_STATUSES = frozenset({"rejected", "held"})  # awaiting a moderator while ``review`` is set
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

Status = Literal["published", "rejected", "held", "approved", "deleted"]
TranslationState = Literal["original", "translated", "unavailable"]


SEQ_CHARS = 4  # a message id's sequence part: 32**4 values, then it wraps (per millisecond)


def crockford(number: int, width: int) -> str:
    """``number`` modulo 32**width as ``width`` Crockford base32 digits (they sort as numbers:
    the alphabet is in ASCII order)."""
    number %= 32**width
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        digits.append(_CROCKFORD[digit])
    return "".join(reversed(digits))


def new_message_id(now_ms: int, seq: int | None = None) -> str:
    """A unique, time-ordered message id: 14-digit epoch ms, ``-``, 10 Crockford characters.

    With ``seq`` (the sender connection's frame number) the first 4 characters are the number
    and the last 6 random, so one sender's messages of the same millisecond sort in the order
    they were numbered; without it all 10 are random (audit entries, old messages). The format,
    and so parsing and paging by id, are the same either way.
    """
    if seq is None:
        return f"{now_ms:014d}-" + "".join(secrets.choice(_CROCKFORD) for _ in range(10))
    random_part = "".join(secrets.choice(_CROCKFORD) for _ in range(10 - SEQ_CHARS))
    return f"{now_ms:014d}-{crockford(seq, SEQ_CHARS)}{random_part}"


def order_key(now_ms: int, seq: int) -> str:
    """The part of a message id that orders one sender's frames: time, then sequence number."""
    return f"{now_ms:014d}-{crockford(seq, SEQ_CHARS)}"


# --- State ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """One WebSocket connection as the Connections table knows it."""

    connection_id: str
    room: str | None = None
    user: str | None = None
    lang: str = "en"
    role: str = "user"
    version: int = 1
    connected_at: int = 0  # epoch ms
    # v1: the order key of the frame whose name is bound, and when it was bound (epoch ms);
    # None/0 for names bound by a v2 init or a moderator sign-in (never rebound).
    name_key: str | None = None
    named_at: int = 0


@dataclass(frozen=True)
class Sentiment:
    """Comprehend's verdict on a text."""

    label: str  # POSITIVE | NEGATIVE | NEUTRAL | MIXED
    scores: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One stored chat message (any status)."""

    room: str
    message_id: str
    user: str
    lang: str
    content: str
    created_at: int  # epoch ms
    status: Status
    sentiment: str | None = None
    sentiment_score: Mapping[str, float] = field(default_factory=dict)
    topics: Mapping[str, int] = field(default_factory=dict)
    room_topics: tuple[str, ...] = ()
    translations: Mapping[str, str] = field(default_factory=dict)
    client_id: str | None = None
    flag_reason: str | None = None

    @property
    def visible(self) -> bool:
        """True when readers may see it (published or approved)."""
        return self.status in VISIBLE_STATUSES


@dataclass(frozen=True)
class Shard:
    """Part of a large room's fan-out, for the delivery function: one message to some readers.

    ``address`` names the @connections stage the readers are on (the outbox's, opaque here);
    the message carries every translation its readers need, so a shard translates nothing.
    ``index`` of ``count`` shards of the message; ``attempt`` counts deliveries of these readers
    (1 at first; a shard queued again for the readers that could not be reached adds one).
    """

    address: str
    message: Message
    readers: tuple[Connection, ...]
    index: int
    count: int
    attempt: int = 1


@dataclass(frozen=True)
class MessagePage:
    """Messages oldest first, and whether more lie beyond the page."""

    messages: Sequence[Message]
    has_more: bool


# --- Moderation ------------------------------------------------------------------------------

Decision = Literal["approve", "reject", "delete"]
AuditAction = Literal["signin", "approve", "reject", "delete", "mute", "unmute"]


@dataclass(frozen=True)
class AuditEntry:
    """One audited moderator action."""

    entry_id: str
    at: int  # epoch ms
    moderator: str
    action: AuditAction
    room: str | None = None
    message_id: str | None = None
    user: str | None = None
    reason: str | None = None
    until: int | None = None  # epoch ms, mutes only
    connection_id: str | None = None  # kept in the table, not sent to consoles


@dataclass(frozen=True)
class QueueCounts:
    """The whole review queue at a glance."""

    pending: int
    rejected: int
    held: int
    rooms: Mapping[str, int]
