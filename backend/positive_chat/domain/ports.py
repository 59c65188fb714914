"""The ports: every way the domain reaches the world, as Protocols (and the values they return).

The adapters (positive_chat.adapters) implement them; the composition root (app.py) wires them.
Nothing here imports boto3, an adapter or the wire format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from positive_chat.domain.events import Event
from positive_chat.domain.model import (
    AuditEntry,
    Connection,
    Decision,
    Message,
    MessagePage,
    QueueCounts,
    Sentiment,
    Shard,
)

__all__ = [
    "Analyzer",
    "CacheStore",
    "Clock",
    "ConnectionRepository",
    "DecisionResult",
    "FlagListener",
    "LanguageGuesser",
    "MessageRepository",
    "MetricsSink",
    "ModerationLedger",
    "ModeratorSessions",
    "NameClaim",
    "NameClaims",
    "OnceGate",
    "Outbox",
    "Posted",
    "ReviewRepository",
    "SecretSource",
    "ShardQueue",
    "TatStore",
    "TokenTake",
    "TopicRepository",
    "Translator",
]


# --- Chat ------------------------------------------------------------------------------------


class ConnectionRepository(Protocol):
    """The Connections table."""

    def get(self, connection_id: str) -> Connection | None: ...

    def join(self, connection: Connection, *, ttl: int) -> Connection | None:
        """Store room/lang/version (user only if none is bound yet); return the previous state."""

    def bind_user(
        self, connection_id: str, user: str, *, key: str, now: int, open_after: int
    ) -> Connection | None:
        """Bind a v1 frame's ``user`` unless a name is bound, or the bound one is still open
        (bound after ``open_after``) and came from a later frame (greater ``key``); return the
        connection after the write (None if it has no item)."""

    def leave(self, connection_id: str) -> Connection | None:
        """Forget the connection's room; return the previous state."""

    def delete(self, connection_id: str) -> Connection | None:
        """Forget the connection; return what it was."""

    def in_room(self, room: str) -> list[Connection]: ...


class MessageRepository(Protocol):
    """The Messages table."""

    def put(self, message: Message) -> None: ...

    def latest(self, room: str, limit: int) -> MessagePage: ...

    def before(self, room: str, message_id: str, limit: int) -> MessagePage: ...

    def after(self, room: str, message_id: str, limit: int) -> MessagePage: ...

    def save_translations(
        self, room: str, message_id: str, translations: Mapping[str, str]
    ) -> None: ...


class TopicRepository(Protocol):
    """The Topics table."""

    def add(self, room: str, counts: Mapping[str, int]) -> None: ...

    def top(self, room: str, limit: int) -> list[tuple[str, int]]: ...


class Analyzer(Protocol):
    """Comprehend: every method raises LanguageServiceError when the service fails."""

    def detect_language(self, text: str) -> tuple[str, float] | None: ...

    def sentiment(self, text: str, lang: str) -> Sentiment: ...

    def entities(self, text: str, lang: str) -> list[str]: ...


class Translator(Protocol):
    """Translate: raises TranslationError when it cannot translate."""

    def translate(self, text: str, source: str, target: str) -> str: ...


class LanguageGuesser(Protocol):
    """An offline detector: True only when sure ``text`` is in ``lang`` (never raises)."""

    def confirms(self, text: str, lang: str) -> bool: ...


@dataclass(frozen=True)
class Posted:
    """What a fan-out left behind: readers gone (410) and readers that could not be reached."""

    gone: list[Connection]
    failed: list[Connection]


class ShardQueue(Protocol):
    """Hands large rooms' fan-out to the delivery function (docs/architecture.md, "Fan-out")."""

    def hand_off(self, shards: Sequence[Shard]) -> list[Shard]:
        """Queue the shards; return those that could not be queued (after retries)."""


class Outbox(Protocol):
    """Sends events to connections, rendered for each one's protocol version."""

    def send(self, reader: Connection, events: Sequence[Event]) -> None:
        """Send to one connection; raises ConnectionGoneError."""

    @property
    def address(self) -> str:
        """Where this outbox posts, as a later invocation can find it again (``outbox_at``)."""

    def broadcast(
        self, readers: Sequence[Connection], events_for: Callable[[Connection], Sequence[Event]]
    ) -> list[Connection]:
        """Send to every reader concurrently; return the readers that are gone."""

    def deliver(
        self, readers: Sequence[Connection], events_for: Callable[[Connection], Sequence[Event]]
    ) -> Posted:
        """``broadcast``, telling also which readers could not be reached (gone apart)."""

    def connected(self, connection_id: str) -> bool:
        """False only when @connections says the connection is gone (410); True otherwise."""


@dataclass(frozen=True)
class NameClaim:
    """Who holds a name in a room (``holder``: a connection id) and since when (epoch ms)."""

    holder: str
    user: str
    claimed_at: int


class NameClaims(Protocol):
    """One claim per (room, name key): the item that makes a name unique in a room."""

    def claim(
        self, room: str, key: str, *, holder: str, user: str, now: int, ttl: int
    ) -> NameClaim | None:
        """Claim the name for ``holder`` unless another connection holds it (one conditional
        write); None when ``holder`` holds it now, else the other claim."""

    def take_over(
        self, room: str, key: str, *, holder: str, previous: str, user: str, now: int, ttl: int
    ) -> bool:
        """Give the claim to ``holder`` if ``previous`` still holds it (compare and swap)."""

    def release(self, room: str, key: str, *, holder: str) -> None:
        """Drop the claim if ``holder`` holds it (never someone else's)."""


class OnceGate(Protocol):
    """Runs ``work`` once per ``key`` (a resent client id replays the stored result)."""

    def run(self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]: ...


class FlagListener(Protocol):
    """Hears about messages stored for review (moderators see them live)."""

    def flagged(self, outbox: Outbox, message: Message) -> None: ...


class MetricsSink(Protocol):
    """Counts business metrics."""

    def count(self, name: str, value: float = 1) -> None: ...


class Clock(Protocol):
    """Tells the time in epoch milliseconds."""

    def now_ms(self) -> int: ...


# --- Moderation ---------------------------------------------------------------------------------


class SecretSource(Protocol):
    """Where the moderator secret lives (SSM Parameter Store); raises ServiceUnavailableError."""

    def secret(self) -> str: ...


class DecisionResult(Protocol):
    """What a conditional decision did."""

    @property
    def won(self) -> bool: ...

    @property
    def message(self) -> Message | None: ...


class ReviewRepository(Protocol):
    """The Messages table as moderators see it."""

    def pending(self, room: str | None, after: str | None, limit: int) -> MessagePage: ...

    def counts(self) -> QueueCounts: ...

    def decide(
        self,
        room: str,
        message_id: str,
        decision: Decision,
        *,
        moderator: str,
        at: int,
        reason: str | None,
    ) -> DecisionResult: ...

    def set_topics(
        self, room: str, message_id: str, topics: Mapping[str, int], room_topics: Iterable[str]
    ) -> None: ...


class ModerationLedger(Protocol):
    """The ModerationTable: audit entries, mutes and failed sign-in counters."""

    def add_audit(self, entry: AuditEntry, *, ttl: int) -> None: ...

    def audit(self, after: str | None, limit: int) -> tuple[list[AuditEntry], bool]: ...

    def mute(
        self, room: str, user: str, *, until: int, moderator: str, reason: str | None
    ) -> None: ...

    def unmute(self, room: str, user: str) -> None: ...

    def muted_until(self, room: str, user: str) -> int | None: ...

    def reserve_auth_attempt(
        self, keys: Sequence[str], window: int, *, limit: int, ttl: int
    ) -> int | None:
        """Count one sign-in attempt on every key's ``window``, each only while it is under
        ``limit`` (one conditional increment per key, never read first); return the highest
        count now, or None (and count nothing) if a key is at the limit."""

    def release_auth_attempt(self, keys: Sequence[str], window: int) -> None:
        """Take back an attempt counted by ``reserve_auth_attempt`` (a right secret)."""


class ModeratorSessions(Protocol):
    """Turns a connection into a moderator connection."""

    def promote(self, connection_id: str, name: str, *, now: int, ttl: int) -> Connection | None:
        """Set role/room/name; return the previous state."""


# --- Rate limit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenTake:
    """The answer to one conditional write of the arrival time."""

    done: bool  # a token was taken
    exists: bool = True  # the connection has an item at all
    current: int | None = None  # the stored arrival time when no token was taken
    seq: int | None = None  # the frame's number on its connection, when a token was taken


class TatStore(Protocol):
    """Where the arrival time lives (the Connections item)."""

    def take_rate_token(
        self, connection_id: str, *, now: int, step: int, latest: int, fresh: bool
    ) -> TokenTake:
        """One conditional write, computed by the store. ``fresh``: if ``rlTat`` is absent or
        ``<= now``, set it to ``now + step``; else: if ``now < rlTat <= latest``, add ``step``.
        Either way number the frame (``seq`` + 1); never create an item."""


# --- Caching -----------------------------------------------------------------------------------


class CacheStore(Protocol):
    """A string-to-string store; misses and failures both answer None."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...
