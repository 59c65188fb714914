"""Moderation decisions: the review queue, approve/reject/delete, mutes, the audit trail.

No boto3 here. This module owns moderation policy (docs/protocol.md, "Moderation frames"):

- Every action re-reads the connection's role (NOT_MODERATOR otherwise; see moderator_signin).
- A decision is one conditional write; the winner audits it, publishes or hides the message,
  tells the author, answers the deciding moderator and tells every other moderator.
- Approval publishes as an accepted message is published: entities are detected now (they were
  skipped when the message was refused), topics counted, and the chat delivers it translated per
  reader, keeping its id (so its place in history is its original time).
- A mute is stored with its end, under the muted name's ``name_key`` (so a lookalike or an
  invisible variant of the name is muted too); posts are refused with MUTED until then.

Delivery reuses the chat's ``Delivery``; new flags reach moderators through
``ModeratorNotifier`` (moderation_feed.py), which posting calls after storing a refused message.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, NoReturn

from positive_chat.config import (
    TOP_TOPICS,
)
from positive_chat.domain.commands import (
    AuditCommand,
    DecideCommand,
    MuteCommand,
    QueueCommand,
)
from positive_chat.domain.delivery import Delivery
from positive_chat.domain.errors import (
    AlreadyDecidedError,
    LanguageServiceError,
    MutedError,
    NotFoundError,
    NotPublishedError,
    TranslationError,
)
from positive_chat.domain.events import (
    AuditPage,
    Decided,
    Deleted,
    Event,
    Resolved,
    ReviewQueue,
)
from positive_chat.domain.languages import COMPREHEND_SENTIMENT
from positive_chat.domain.model import (
    PENDING_STATUSES,
    AuditAction,
    AuditEntry,
    Connection,
    Decision,
    Message,
    new_message_id,
)
from positive_chat.domain.moderation_feed import AuditTrail, ModeratorNotifier, answer_moderator
from positive_chat.domain.moderator_signin import ModeratorSignIn
from positive_chat.domain.names import name_key
from positive_chat.domain.ports import (
    Analyzer,
    Clock,
    ConnectionRepository,
    MetricsSink,
    ModerationLedger,
    ModeratorSessions,
    Outbox,
    ReviewRepository,
    SecretSource,
    TopicRepository,
    Translator,
)
from positive_chat.domain.posting import count_topics
from positive_chat.domain.presence import RoomPresence

__all__ = ["Moderation", "ModerationDecisions", "compose_moderation"]

logger = logging.getLogger(__name__)


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


class ModerationDecisions:
    """The review queue and what moderators decide (built once per execution environment)."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        reviews: ReviewRepository,
        ledger: ModerationLedger,
        analyzer: Analyzer,
        translator: Translator,
        topics: TopicRepository,
        delivery: Delivery,
        notifier: ModeratorNotifier,
        audit: AuditTrail,
        clock: Clock,
        metrics: MetricsSink,
        sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT,
    ) -> None:
        self._connections = connections
        self._reviews = reviews
        self._ledger = ledger
        self._analyzer = analyzer
        self._translator = translator
        self._topics = topics
        self._delivery = delivery
        self._notifier = notifier
        self._audit = audit
        self._clock = clock
        self._metrics = metrics
        # Entities are asked in these languages as written; others through English.
        self._sentiment_languages = sentiment_languages

    # Reading -------------------------------------------------------------------------------

    def queue(self, outbox: Outbox, moderator: Connection, command: QueueCommand) -> None:
        """Send a page of the review queue, oldest first, with the whole queue's counts."""
        page = self._reviews.pending(command.room, command.after, command.limit)
        counts = self._reviews.counts()
        self._answer(
            outbox,
            moderator,
            ReviewQueue(command.room, page.messages, page.has_more, counts, command.client_id),
        )

    def audit(self, outbox: Outbox, moderator: Connection, command: AuditCommand) -> None:
        """Send a page of the audit trail, newest first."""
        entries, has_more = self._ledger.audit(command.after, command.limit)
        self._answer(outbox, moderator, AuditPage(entries, has_more, command.client_id))

    # Decisions -----------------------------------------------------------------------------

    def decide(self, outbox: Outbox, moderator: Connection, command: DecideCommand) -> None:
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
        self._audit.add(entry)
        logger.info(
            "moderator decision",
            extra={
                "decision": command.decision,
                "message_id": message.message_id,
                "moderator": name,
            },
        )
        self._metrics.count(f"Moderation{command.decision.capitalize()}d")
        self._answer(outbox, moderator, Resolved(entry, command.client_id))
        self._notifier.resolved(outbox, entry, exclude=moderator.connection_id)
        if command.decision == "approve":
            self._tell_author(outbox, message, "approved")
            self._delivery.deliver(outbox, self._with_topics(message))
        elif command.decision == "reject":
            self._tell_author(outbox, message, "rejected")
        else:
            self._tell_room(outbox, message.room, [Deleted(message.room, message.message_id)])

    def mute(self, outbox: Outbox, moderator: Connection, command: MuteCommand) -> None:
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
        self._audit.add(entry)
        logger.info("moderator %s", action, extra={"room": command.room, "moderator": name})
        self._metrics.count("ModerationMutes" if until else "ModerationUnmutes")
        self._answer(outbox, moderator, Resolved(entry, command.client_id))
        self._notifier.resolved(outbox, entry, exclude=moderator.connection_id)

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

    def _tell_author(
        self, outbox: Outbox, message: Message, decision: Literal["approved", "rejected"]
    ) -> None:
        authors = [c for c in self._connections.in_room(message.room) if c.user == message.user]
        if not authors:
            return
        event = Decided(message.room, message.message_id, decision)
        gone = outbox.broadcast(authors, lambda _reader: [event])
        for connection in gone:
            self._connections.delete(connection.connection_id)

    def _tell_room(self, outbox: Outbox, room: str, events: Sequence[Event]) -> None:
        readers = self._connections.in_room(room)
        gone = outbox.broadcast(readers, lambda _reader: events)
        for connection in gone:
            self._connections.delete(connection.connection_id)

    def _answer(self, outbox: Outbox, moderator: Connection, event: Event) -> None:
        answer_moderator(outbox, self._connections, moderator.connection_id, event)


@dataclass(frozen=True)
class Moderation:
    """Moderation's use cases, by responsibility."""

    signin: ModeratorSignIn
    decisions: ModerationDecisions


def compose_moderation(
    *,
    connections: ConnectionRepository,
    sessions: ModeratorSessions,
    reviews: ReviewRepository,
    ledger: ModerationLedger,
    secret: SecretSource,
    analyzer: Analyzer,
    translator: Translator,
    topics: TopicRepository,
    presence: RoomPresence,
    delivery: Delivery,
    notifier: ModeratorNotifier,
    clock: Clock,
    metrics: MetricsSink,
    audit_retention_days: int,
    sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT,
) -> Moderation:
    """Moderation over its ports (shared by all events of the environment)."""
    audit = AuditTrail(ledger, audit_retention_days)
    signin = ModeratorSignIn(
        connections=connections,
        sessions=sessions,
        ledger=ledger,
        secret=secret,
        presence=presence,
        audit=audit,
        metrics=metrics,
        clock=clock,
    )
    decisions = ModerationDecisions(
        connections=connections,
        reviews=reviews,
        ledger=ledger,
        analyzer=analyzer,
        translator=translator,
        topics=topics,
        delivery=delivery,
        notifier=notifier,
        audit=audit,
        clock=clock,
        metrics=metrics,
        sentiment_languages=sentiment_languages,
    )
    return Moderation(signin=signin, decisions=decisions)
