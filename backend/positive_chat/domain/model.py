"""Values the chat passes between its layers: connections, messages, commands and events.

This module owns the shapes only (frozen dataclasses, no behaviour beyond small derivations):
commands are what ``actions`` parses out of frames, events are what ``chat`` asks to be sent,
and ``actions`` renders events into v1 or v2 wire frames.
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
    "Accepted",
    "AuditCommand",
    "AuditEntry",
    "AuditPage",
    "Connection",
    "DecideCommand",
    "Decided",
    "Deleted",
    "Event",
    "Failure",
    "Flagged",
    "HistoryCommand",
    "HistoryPage",
    "JoinCommand",
    "Joined",
    "LeaveCommand",
    "Left",
    "Message",
    "MessagePage",
    "ModAuthCommand",
    "ModeratorSignedIn",
    "MuteCommand",
    "Notice",
    "PingCommand",
    "Pong",
    "PostCommand",
    "Presence",
    "QueueCommand",
    "QueueCounts",
    "Reading",
    "Refused",
    "Resolved",
    "ReviewQueue",
    "RoomTopics",
    "Sentiment",
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
class MessagePage:
    """Messages oldest first, and whether more lie beyond the page."""

    messages: Sequence[Message]
    has_more: bool


# --- Commands (parsed and validated frames) ---------------------------------------------------


@dataclass(frozen=True)
class JoinCommand:
    """``init``: join (or switch to) a room."""

    room: str
    lang: str
    version: int = 1
    user: str | None = None
    after: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class PostCommand:
    """``message``: post text to the joined room (``user`` only matters for v1's first post).

    ``received_at`` (the gateway's request time, epoch ms) and ``seq`` (the connection's frame
    number) come from the event and the rate limiter, never from the frame; they order the
    sender's messages as sent (docs/reliability.md, "Ordering")."""

    content: str
    user: str | None = None
    client_id: str | None = None
    received_at: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class HistoryCommand:
    """``history``: page older messages."""

    before: str
    limit: int
    client_id: str | None = None


@dataclass(frozen=True)
class LeaveCommand:
    """``leave``: leave the room, keep the socket."""

    client_id: str | None = None


@dataclass(frozen=True)
class PingCommand:
    """``ping``: app-level heartbeat."""

    client_id: str | None = None


# --- Events (what the chat asks to send; rendered per protocol version) ----------------------


@dataclass(frozen=True)
class Notice:
    """A text from "Positive Chat" in a reader's language (``lang`` says which it really is)."""

    text: str
    lang: str


@dataclass(frozen=True)
class Reading:
    """A message as one reader reads it: the original plus the text in the reader's language."""

    message: Message
    text: str
    text_lang: str
    translation: TranslationState


@dataclass(frozen=True)
class Joined:
    """The connection joined ``room``."""

    room: str
    user: str | None
    lang: str
    client_id: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    """A page of history for one reader."""

    room: str
    mode: Literal["latest", "after", "before"]
    readings: Sequence[Reading]
    has_more: bool
    client_id: str | None = None


@dataclass(frozen=True)
class Presence:
    """Who is in the room; ``event`` is snapshot, join or leave."""

    room: str
    event: Literal["snapshot", "join", "leave"]
    user: str | None
    members: Sequence[tuple[str, str]]  # (user, lang)
    notice: Notice | None = None  # for v1 readers: "<user> joined the room" in their language
    timestamp: int = 0


@dataclass(frozen=True)
class RoomTopics:
    """The room's top topics with their counts."""

    room: str
    topics: Sequence[tuple[str, int]]


@dataclass(frozen=True)
class Accepted:
    """The sender's message was stored and published."""

    message_id: str
    status: str
    client_id: str | None = None


@dataclass(frozen=True)
class Refused:
    """The sender's message was stored but not published: rejected (NEGATIVE) or held."""

    kind: Literal["rejected", "held"]
    room: str
    message_id: str
    reason: str
    notice: Notice
    timestamp: int
    client_id: str | None = None


@dataclass(frozen=True)
class Pong:
    """Answers ``ping``."""

    timestamp: int
    client_id: str | None = None


@dataclass(frozen=True)
class Left:
    """Answers ``leave``."""

    room: str | None
    client_id: str | None = None


@dataclass(frozen=True)
class Failure:
    """A refused frame: a stable code, the field at fault, a safe message."""

    code: str
    message: str
    action: str | None = None
    field: str | None = None
    room: str | None = None
    timestamp: int = 0
    client_id: str | None = None
    retry_after: int | None = None


# --- Moderation -----------------------------------------------------------------------------

Decision = Literal["approve", "reject", "delete"]
AuditAction = Literal["signin", "approve", "reject", "delete", "mute", "unmute"]


@dataclass(frozen=True)
class ModAuthCommand:
    """``mod.auth``: sign in as a moderator (``source_ip`` comes from the event, not the frame)."""

    secret: str = field(repr=False)  # never in a repr, so never in a log line
    name: str
    source_ip: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class QueueCommand:
    """``mod.queue``: a page of the review queue, oldest first."""

    room: str | None
    after: str | None
    limit: int
    client_id: str | None = None


@dataclass(frozen=True)
class DecideCommand:
    """``mod.approve`` / ``mod.reject`` / ``mod.delete``."""

    decision: Decision
    room: str
    message_id: str
    reason: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class MuteCommand:
    """``mod.mute``: refuse ``user``'s posts in ``room`` for ``minutes`` (0 lifts the mute)."""

    room: str
    user: str
    minutes: int
    reason: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class AuditCommand:
    """``mod.audit``: a page of the audit trail, newest first."""

    after: str | None
    limit: int
    client_id: str | None = None


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


@dataclass(frozen=True)
class ModeratorSignedIn:
    """Answers ``mod.auth``."""

    moderator: str
    client_id: str | None = None


@dataclass(frozen=True)
class ReviewQueue:
    """Answers ``mod.queue``: messages awaiting review, oldest first."""

    room: str | None
    items: Sequence[Message]
    has_more: bool
    counts: QueueCounts
    client_id: str | None = None


@dataclass(frozen=True)
class Flagged:
    """Pushed to moderators: a message was rejected or held."""

    message: Message


@dataclass(frozen=True)
class Resolved:
    """A moderator's decision: the answer to the deciding moderator, a push to the others."""

    entry: AuditEntry
    client_id: str | None = None


@dataclass(frozen=True)
class AuditPage:
    """Answers ``mod.audit``: entries newest first."""

    entries: Sequence[AuditEntry]
    has_more: bool
    client_id: str | None = None


@dataclass(frozen=True)
class Decided:
    """To the author: a moderator approved or rejected their message."""

    room: str
    message_id: str
    decision: Literal["approved", "rejected"]


@dataclass(frozen=True)
class Deleted:
    """To the room: a moderator deleted a message (clients remove it)."""

    room: str
    message_id: str


Event = (
    Joined
    | HistoryPage
    | Presence
    | RoomTopics
    | Reading
    | Accepted
    | Refused
    | Pong
    | Left
    | Failure
    | ModeratorSignedIn
    | ReviewQueue
    | Flagged
    | Resolved
    | AuditPage
    | Decided
    | Deleted
)
