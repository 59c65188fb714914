"""The moderation domain: moderator sign-in, the review queue, decisions, mutes, the audit trail.

No boto3 here. This module owns moderation policy (docs/protocol.md, "Moderation frames"):

- Sign-in compares SHA-256 digests of the given and the configured secret in constant time.
  Attempts are counted per source IP and per connection in fixed 15-minute windows, *before*
  the secret is evaluated: one conditional increment per key (``n < 5``), and only an attempt
  that got its increments is evaluated, so at most 5 wrong secrets are ever evaluated per key
  and window, however many connections guess at once. A right secret gives its attempt back, so
  the count is failures (plus evaluations in flight); 5 throttle both keys until the window
  ends, even for the right secret. The secret is never logged. A signed-in connection becomes
  a moderator connection (role ``moderator``, in the reserved ``#moderators`` room key, so
  flags can be pushed to it).
- Every action re-reads the connection's role (NOT_MODERATOR otherwise).
- A decision is one conditional write; the winner audits it, publishes or hides the message,
  tells the author, answers the deciding moderator and tells every other moderator.
- Approval publishes as an accepted message is published: entities are detected now (they were
  skipped when the message was refused), topics counted, and the chat delivers it translated per
  reader, keeping its id (so its place in history is its original time).
- A mute is stored with its end, under the muted name's ``name_key`` (so a lookalike or an
  invisible variant of the name is muted too); posts are refused with MUTED until then.

Delivery reuses the chat (``Publisher``); new flags reach moderators through ``ModeratorNotifier``,
which the chat calls after storing a rejected or held message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Literal, NoReturn, Protocol

from positive_chat.config import (
    CONNECTION_TTL_SECONDS,
    MOD_AUTH_MAX_FAILURES,
    MOD_AUTH_WINDOW_SECONDS,
    MODERATORS_ROOM,
    TOP_TOPICS,
)
from positive_chat.domain.chat import (
    Analyzer,
    Clock,
    ConnectionRepository,
    MetricsSink,
    Outbox,
    TopicRepository,
    Translator,
    count_topics,
)
from positive_chat.domain.errors import (
    AlreadyDecidedError,
    AuthFailedError,
    AuthThrottledError,
    ChatError,
    ConnectionGoneError,
    LanguageServiceError,
    MutedError,
    NotFoundError,
    NotModeratorError,
    NotPublishedError,
    TranslationError,
)
from positive_chat.domain.languages import COMPREHEND_SENTIMENT
from positive_chat.domain.model import (
    PENDING_STATUSES,
    AuditAction,
    AuditCommand,
    AuditEntry,
    AuditPage,
    Connection,
    DecideCommand,
    Decided,
    Decision,
    Deleted,
    Event,
    Flagged,
    Message,
    MessagePage,
    ModAuthCommand,
    ModeratorSignedIn,
    MuteCommand,
    QueueCommand,
    QueueCounts,
    Resolved,
    ReviewQueue,
    new_message_id,
)
from positive_chat.domain.names import name_key

__all__ = [
    "DecisionResult",
    "ModerationLedger",
    "ModerationService",
    "ModeratorNotifier",
    "ModeratorSessions",
    "Publisher",
    "ReviewRepository",
    "SecretSource",
    "secrets_match",
]

logger = logging.getLogger(__name__)

_AUTH_COUNTER_SLACK_SECONDS = 3600


# --- Ports ------------------------------------------------------------------------------------


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


class Publisher(Protocol):
    """The chat's delivery, reused for approved messages (ChatService implements it)."""

    def deliver(self, message: Message) -> None:
        """Translate per reader language and send to everyone in the message's room."""

    def announce_leave(self, room: str, user: str, *, exclude: str) -> None:
        """Tell ``room`` that ``user`` left."""


# --- Policy helpers ---------------------------------------------------------------------------


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison of SHA-256 digests (the time says nothing about the secret)."""
    digest_given = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    digest_expected = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(digest_given, digest_expected)


def _v2(connection_id: str) -> Connection:
    """A reader for moderation answers: moderation speaks protocol v2 only."""
    return Connection(connection_id, version=2)


def _not_decided(
    decision: Decision, current: Message | None, room: str, message_id: str
) -> NoReturn:
    """Raise the error that says why ``decision`` could not be applied to ``current``."""
    if current is None:
        raise NotFoundError(f"no message {message_id} in room {room}")
    if decision == "delete" and current.status in PENDING_STATUSES:
        # Still awaiting review (no decision recorded yet): it is not published.
        raise NotPublishedError(
            "this message awaits review and is not published; reject it instead"
        )
    raise AlreadyDecidedError(f"another decision came first: the message is {current.status}")


# --- Live pushes to moderators ----------------------------------------------------------------


class ModeratorNotifier:
    """Pushes review frames to every moderator connection; never fails its caller."""

    def __init__(self, connections: ConnectionRepository, outbox: Outbox) -> None:
        self._connections = connections
        self._outbox = outbox

    def flagged(self, message: Message) -> None:
        """A message was rejected or held: show it in every console."""
        self._push([Flagged(message)])

    def resolved(self, entry: AuditEntry, *, exclude: str) -> None:
        """A moderator decided: every other console drops the item (or shows the mute)."""
        self._push([Resolved(entry)], exclude=exclude)

    def _push(self, events: Sequence[Event], *, exclude: str | None = None) -> None:
        try:
            moderators = [
                c
                for c in self._connections.in_room(MODERATORS_ROOM)
                if c.connection_id != exclude and c.role == "moderator"
            ]
            if not moderators:
                return
            gone = self._outbox.broadcast(moderators, lambda _reader: events)
            for connection in gone:
                self._connections.delete(connection.connection_id)
        except ChatError as err:  # the flag is stored; consoles still see it in mod.queue
            logger.warning("could not notify moderators", extra={"code": err.code})


# --- The service ------------------------------------------------------------------------------


class ModerationService:
    """Moderation use cases; one per event, like ChatService."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        sessions: ModeratorSessions,
        reviews: ReviewRepository,
        ledger: ModerationLedger,
        secret: SecretSource,
        analyzer: Analyzer,
        translator: Translator,
        topics: TopicRepository,
        publisher: Publisher,
        notifier: ModeratorNotifier,
        outbox: Outbox,
        clock: Clock,
        metrics: MetricsSink,
        audit_retention_days: int,
        sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT,
    ) -> None:
        self._connections = connections
        # Entities are asked in these languages as written; others through English.
        self._sentiment_languages = sentiment_languages
        self._sessions = sessions
        self._reviews = reviews
        self._ledger = ledger
        self._secret = secret
        self._analyzer = analyzer
        self._translator = translator
        self._topics = topics
        self._publisher = publisher
        self._notifier = notifier
        self._outbox = outbox
        self._clock = clock
        self._metrics = metrics
        self._audit_retention_seconds = audit_retention_days * 86_400

    # Sign-in -------------------------------------------------------------------------------

    def _secret_or_release(self, keys: Sequence[str], window: int) -> str:
        """The configured secret; if it cannot be read, the attempt is given back (nothing was
        evaluated) before the error goes on."""
        try:
            return self._secret.secret()
        except ChatError:
            self._give_back_attempt(keys, window)
            raise

    def _give_back_attempt(self, keys: Sequence[str], window: int) -> None:
        """Best effort: if this fails, the attempt stays counted (errs on the closed side)."""
        try:
            self._ledger.release_auth_attempt(keys, window)
        except ChatError as err:
            logger.warning("could not give a sign-in attempt back", extra={"code": err.code})

    def authenticate(self, connection_id: str, command: ModAuthCommand) -> None:
        """Check the secret (throttled); make the connection a moderator connection."""
        now = self._clock.now_ms()
        window = now // 1000 // MOD_AUTH_WINDOW_SECONDS
        keys = [f"conn#{connection_id}"]
        if command.source_ip:
            keys.insert(0, f"ip#{command.source_ip}")
        ttl = (window + 1) * MOD_AUTH_WINDOW_SECONDS + _AUTH_COUNTER_SLACK_SECONDS
        # Count the attempt first: only an attempt that got under the limit is evaluated, so
        # concurrent guesses cannot all slip past a check made before any of them counted.
        attempts = self._ledger.reserve_auth_attempt(
            keys, window, limit=MOD_AUTH_MAX_FAILURES, ttl=ttl
        )
        if attempts is None:
            retry_after = (window + 1) * MOD_AUTH_WINDOW_SECONDS - now // 1000
            logger.warning(
                "moderator sign-in throttled",
                extra={"connection_id": connection_id, "source_ip": command.source_ip},
            )
            self._metrics.count("ModeratorSignInsThrottled")
            raise AuthThrottledError(
                "too many failed sign-ins; try again later", retry_after=max(1, retry_after)
            )
        if not secrets_match(command.secret, self._secret_or_release(keys, window)):
            logger.warning(
                "moderator sign-in failed",
                extra={
                    "connection_id": connection_id,
                    "source_ip": command.source_ip,
                    "failures_in_window": attempts,
                },
            )
            self._metrics.count("ModeratorSignInsFailed")
            raise AuthFailedError("wrong moderator secret")
        self._give_back_attempt(keys, window)  # a right secret is no failure

        previous = self._sessions.promote(
            connection_id, command.name, now=now, ttl=now // 1000 + CONNECTION_TTL_SECONDS
        )
        if (
            previous is not None
            and previous.room not in (None, MODERATORS_ROOM)
            and previous.user
            and previous.role != "moderator"
        ):
            # It was chatting: the room sees it leave (a moderator connection is in no room).
            self._publisher.announce_leave(previous.room, previous.user, exclude=connection_id)
        self._audit(
            AuditEntry(
                entry_id=new_message_id(now),
                at=now,
                moderator=command.name,
                action="signin",
                connection_id=connection_id,
            )
        )
        logger.info(
            "moderator signed in", extra={"connection_id": connection_id, "moderator": command.name}
        )
        self._metrics.count("ModeratorSignIns")
        self._send(connection_id, ModeratorSignedIn(command.name, command.client_id))

    def require_moderator(self, connection_id: str) -> Connection:
        """The connection, read now, if it is a moderator connection; else NotModeratorError."""
        connection = self._connections.get(connection_id)
        if connection is None or connection.role != "moderator":
            raise NotModeratorError("sign in as a moderator first (mod.auth)")
        return connection

    # Reading -------------------------------------------------------------------------------

    def queue(self, moderator: Connection, command: QueueCommand) -> None:
        """Send a page of the review queue, oldest first, with the whole queue's counts."""
        page = self._reviews.pending(command.room, command.after, command.limit)
        counts = self._reviews.counts()
        self._send(
            moderator.connection_id,
            ReviewQueue(command.room, page.messages, page.has_more, counts, command.client_id),
        )

    def audit(self, moderator: Connection, command: AuditCommand) -> None:
        """Send a page of the audit trail, newest first."""
        entries, has_more = self._ledger.audit(command.after, command.limit)
        self._send(moderator.connection_id, AuditPage(entries, has_more, command.client_id))

    # Decisions -----------------------------------------------------------------------------

    def decide(self, moderator: Connection, command: DecideCommand) -> None:
        """Approve, reject or delete: one conditional write decides; the winner acts on it."""
        now = self._clock.now_ms()
        name = moderator.user or "moderator"
        outcome = self._reviews.decide(
            command.room,
            command.message_id,
            command.decision,
            moderator=name,
            at=now,
            reason=command.reason,
        )
        message = outcome.message
        if not outcome.won or message is None:
            _not_decided(command.decision, message, command.room, command.message_id)
        entry = AuditEntry(
            entry_id=new_message_id(now),
            at=now,
            moderator=name,
            action=command.decision,
            room=message.room,
            message_id=message.message_id,
            user=message.user,
            reason=command.reason,
            connection_id=moderator.connection_id,
        )
        self._audit(entry)
        logger.info(
            "moderator decision",
            extra={
                "decision": command.decision,
                "message_id": message.message_id,
                "moderator": name,
            },
        )
        self._metrics.count(f"Moderation{command.decision.capitalize()}d")
        self._send(moderator.connection_id, Resolved(entry, command.client_id))
        self._notifier.resolved(entry, exclude=moderator.connection_id)
        if command.decision == "approve":
            self._tell_author(message, "approved")
            self._publisher.deliver(self._with_topics(message))
        elif command.decision == "reject":
            self._tell_author(message, "rejected")
        else:
            self._tell_room(message.room, [Deleted(message.room, message.message_id)])

    def mute(self, moderator: Connection, command: MuteCommand) -> None:
        """Mute ``user`` in ``room`` for ``minutes`` (0 lifts the mute), audited."""
        now = self._clock.now_ms()
        name = moderator.user or "moderator"
        action: AuditAction
        until: int | None
        key = name_key(command.user)  # lookalikes and invisible variants are the same user
        if command.minutes == 0:
            self._ledger.unmute(command.room, key)
            action, until = "unmute", None
        else:
            until = now + command.minutes * 60_000
            self._ledger.mute(command.room, key, until=until, moderator=name, reason=command.reason)
            action = "mute"
        entry = AuditEntry(
            entry_id=new_message_id(now),
            at=now,
            moderator=name,
            action=action,
            room=command.room,
            user=command.user,
            reason=command.reason,
            until=until,
            connection_id=moderator.connection_id,
        )
        self._audit(entry)
        logger.info("moderator %s", action, extra={"room": command.room, "moderator": name})
        self._metrics.count("ModerationMutes" if until else "ModerationUnmutes")
        self._send(moderator.connection_id, Resolved(entry, command.client_id))
        self._notifier.resolved(entry, exclude=moderator.connection_id)

    # Posting ---------------------------------------------------------------------------------

    def check_not_muted(self, connection: Connection) -> None:
        """MutedError (with the seconds left) if a moderator muted this user in this room."""
        if connection.room is None or connection.user is None:
            return
        until = self._ledger.muted_until(connection.room, name_key(connection.user))
        if until is None:
            return
        left_ms = until - self._clock.now_ms()
        if left_ms > 0:
            raise MutedError(
                "a moderator muted you in this room", retry_after=math.ceil(left_ms / 1000)
            )

    # Helpers -------------------------------------------------------------------------------

    def _audit(self, entry: AuditEntry) -> None:
        """Write the audit entry; if that fails, the log line is the record (and we go on: the
        decision itself is already stored)."""
        try:
            self._ledger.add_audit(entry, ttl=entry.at // 1000 + self._audit_retention_seconds)
        except ChatError:
            logger.error(
                "audit entry not stored",
                extra={
                    "entry_id": entry.entry_id,
                    "action": entry.action,
                    "moderator": entry.moderator,
                    "room": entry.room,
                    "message_id": entry.message_id,
                },
            )

    def _with_topics(self, message: Message) -> Message:
        """The approved message with its topics counted now (without topics if that fails)."""
        try:
            if message.lang in self._sentiment_languages:
                text, lang = message.content, message.lang
            else:
                text = message.translations.get("en") or self._translator.translate(
                    message.content, message.lang, "en"
                )
                lang = "en"
            topics = count_topics(self._analyzer.entities(text, lang))
        except (LanguageServiceError, TranslationError) as err:
            logger.warning(
                "approved without topics: entities unavailable",
                extra={"error": type(err).__name__},
            )
            return message
        if topics:
            self._topics.add(message.room, topics)
        room_topics = tuple(name for name, _ in self._topics.top(message.room, TOP_TOPICS))
        self._reviews.set_topics(message.room, message.message_id, topics, room_topics)
        return replace(message, topics=topics, room_topics=room_topics)

    def _tell_author(self, message: Message, decision: Literal["approved", "rejected"]) -> None:
        authors = [c for c in self._connections.in_room(message.room) if c.user == message.user]
        if not authors:
            return
        event = Decided(message.room, message.message_id, decision)
        gone = self._outbox.broadcast(authors, lambda _reader: [event])
        for connection in gone:
            self._connections.delete(connection.connection_id)

    def _tell_room(self, room: str, events: Sequence[Event]) -> None:
        readers = self._connections.in_room(room)
        gone = self._outbox.broadcast(readers, lambda _reader: events)
        for connection in gone:
            self._connections.delete(connection.connection_id)

    def _send(self, connection_id: str, event: Event) -> None:
        try:
            self._outbox.send(_v2(connection_id), [event])
        except ConnectionGoneError:
            logger.info("moderator gone before the answer", extra={"connection_id": connection_id})
            self._connections.delete(connection_id)
