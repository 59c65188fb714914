"""Events: what the chat asks to be sent (protocol/frames_out.py renders them per version)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from positive_chat.domain.model import (
    AuditEntry,
    Message,
    QueueCounts,
    TranslationState,
)

__all__ = [
    "Accepted",
    "AuditPage",
    "Decided",
    "Deleted",
    "Event",
    "Failure",
    "Flagged",
    "HistoryPage",
    "Joined",
    "Left",
    "ModeratorSignedIn",
    "Notice",
    "Pong",
    "Presence",
    "Reading",
    "Refused",
    "Resolved",
    "ReviewQueue",
    "RoomTopics",
]


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
    members: Sequence[tuple[str, str]]  # (user, lang), at most PRESENCE_MAX_MEMBERS of them
    notice: Notice | None = None  # for v1 readers: "<user> joined the room" in their language
    timestamp: int = 0
    count: int | None = None  # named connections in the room (None: all are in ``members``)


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
