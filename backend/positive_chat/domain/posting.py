"""Posting: a message's language is decided, it is checked, stored, answered and delivered.

This module owns the product's posting policy: how a message's language is decided; when it is
published, rejected (NEGATIVE) or held (the check could not run); how topics are counted; that
a resent client id replays the stored answer instead of posting twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from positive_chat.config import (
    DETECTION_MIN_CHARS,
    DETECTION_MIN_SCORE,
    TOP_TOPICS,
    TOPIC_MAX_CHARS,
)
from positive_chat.domain.commands import PostCommand
from positive_chat.domain.delivery import Delivery
from positive_chat.domain.errors import (
    ConnectionGoneError,
    LanguageServiceError,
    NotJoinedError,
    ServiceUnavailableError,
    TranslationError,
)
from positive_chat.domain.events import Accepted, Event, Refused
from positive_chat.domain.languages import COMPREHEND_SENTIMENT, served_code
from positive_chat.domain.model import Connection, Message, new_message_id
from positive_chat.domain.notices import Notices
from positive_chat.domain.ports import (
    Analyzer,
    Clock,
    FlagListener,
    LanguageGuesser,
    MessageRepository,
    MetricsSink,
    OnceGate,
    Outbox,
    TopicRepository,
    Translator,
)

__all__ = ["Posting", "count_topics", "order_of"]

logger = logging.getLogger(__name__)


def count_topics(entities: Iterable[str]) -> dict[str, int]:
    """Count entity texts as topics: outer whitespace trimmed, empty ones dropped, and each cut
    to 100 characters (a topic is a sort key: at most 1,024 bytes)."""
    counts = Counter(text.strip()[:TOPIC_MAX_CHARS] for text in entities if text and text.strip())
    return dict(counts)


def order_of(command: PostCommand, clock: Clock) -> tuple[int, int]:
    """A message frame's place among its connection's frames: the gateway's receive time (the
    Lambda's clock if the event had none) and the frame's number (0 if it has none)."""
    received = command.received_at if command.received_at is not None else clock.now_ms()
    return received, command.seq if command.seq is not None else 0


def _answer(message: Message) -> dict[str, Any]:
    """What is remembered of a post, to answer a resent client id the same way."""
    return {
        "room": message.room,
        "messageId": message.message_id,
        "status": message.status,
        "reason": message.flag_reason,
        "createdAt": message.created_at,
    }


class Posting:
    """Posts messages (built once per execution environment)."""

    def __init__(
        self,
        *,
        messages: MessageRepository,
        topics: TopicRepository,
        analyzer: Analyzer,
        translator: Translator,
        once: OnceGate,
        metrics: MetricsSink,
        clock: Clock,
        notices: Notices,
        delivery: Delivery,
        flag_listener: FlagListener | None = None,
        detector: LanguageGuesser | None = None,
        sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT,
    ) -> None:
        self._messages = messages
        self._topics = topics
        self._analyzer = analyzer
        self._translator = translator
        self._once = once
        self._metrics = metrics
        self._clock = clock
        self._notices = notices
        self._delivery = delivery
        self._flag_listener = flag_listener
        # Cost lever: an in-Lambda detector that, when sure, spares DetectDominantLanguage.
        self._detector = detector
        # Sent to DetectSentiment as written; any other language goes through English first.
        self._sentiment_languages = sentiment_languages

    def post(self, outbox: Outbox, connection: Connection, command: PostCommand) -> None:
        """Post a message: analyse, store, answer the sender, then deliver to the room."""
        room, user = connection.room, connection.user
        if room is None or user is None:
            raise NotJoinedError("join a room first (send init)")
        stored: list[Message] = []

        def analyse_and_store() -> dict[str, Any]:
            message = self._analyse_and_store(connection, room, user, command)
            stored.append(message)
            return _answer(message)

        if command.client_id is not None:
            key = {"room": room, "user": user, "clientId": command.client_id}
            result = self._once.run(key, analyse_and_store)
        else:
            result = analyse_and_store()

        if not stored:  # a resent client id: answer again, deliver nothing again
            logger.info("duplicate client id replayed", extra={"message_id": result["messageId"]})
            self._answer_sender(outbox, connection, result, command.client_id)
            return
        message = stored[0]
        self._metrics.count(
            {"published": "MessagesPosted", "rejected": "MessagesRejected"}.get(
                message.status, "MessagesHeld"
            )
        )
        self._answer_sender(outbox, connection, result, command.client_id)
        if message.visible:
            self._delivery.deliver(outbox, message)
        elif self._flag_listener is not None:
            self._flag_listener.flagged(outbox, message)

    # Checking and storing ------------------------------------------------------------------

    def _analyse_and_store(
        self, connection: Connection, room: str, user: str, command: PostCommand
    ) -> Message:
        """The stored message: held, rejected, or published with its topics."""
        # The id orders the sender's messages as sent: the gateway's receive time and the
        # frame's number, never when this invocation happens to get here.
        now = order_of(command, self._clock)[0]
        content = command.content
        lang = self._decide_language(content, connection.lang)
        base = Message(
            room=room,
            message_id=new_message_id(now, command.seq),
            user=user,
            lang=lang,
            content=content,
            created_at=now,
            status="published",
            client_id=command.client_id,
        )
        translations: dict[str, str] = {}
        try:
            basis_text, basis_lang = self._sentiment_basis(base, translations)
            sentiment = self._analyzer.sentiment(basis_text, basis_lang)
        except (LanguageServiceError, TranslationError) as err:
            logger.warning("message held: could not check it", extra={"error": type(err).__name__})
            message = replace(
                base, status="held", flag_reason="SERVICE_UNAVAILABLE", translations=translations
            )
            self._messages.put(message)
            return message
        message = replace(
            base,
            sentiment=sentiment.label,
            sentiment_score=sentiment.scores,
            translations=translations,
        )
        if sentiment.label == "NEGATIVE":
            message = replace(message, status="rejected", flag_reason="NEGATIVE")
            self._messages.put(message)
            return message
        return self._publish(message, basis_text, basis_lang)

    def _sentiment_basis(self, message: Message, translations: dict[str, str]) -> tuple[str, str]:
        """The text and language to judge: as written, or its English (kept in ``translations``)."""
        if message.lang in self._sentiment_languages:
            return message.content, message.lang
        english = self._translator.translate(message.content, message.lang, "en")
        self._metrics.count("TranslatedCharacters", len(message.content))
        translations["en"] = english
        return english, "en"

    def _publish(self, message: Message, basis_text: str, basis_lang: str) -> Message:
        """Count the message's topics and store it published, with the room's top topics."""
        room = message.room
        try:
            topics = count_topics(self._analyzer.entities(basis_text, basis_lang))
        except LanguageServiceError:
            # The text was checked; only its topics are unknown. Publish without them.
            logger.warning("entities unavailable; publishing without topics")
            topics = {}
        if topics:
            self._topics.add(room, topics)
        try:
            top = self._topics.top(room, TOP_TOPICS)
            message = replace(message, topics=topics, room_topics=tuple(name for name, _ in top))
            self._messages.put(message)
        except ServiceUnavailableError:
            # Nothing half-written: the message was not stored, so its topics do not count.
            self._give_back_topics(room, topics)
            raise
        return message

    def _give_back_topics(self, room: str, topics: Mapping[str, int]) -> None:
        if not topics:
            return
        try:
            self._topics.add(room, {name: -count for name, count in topics.items()})
        except ServiceUnavailableError:
            logger.error("topic counts of an unstored message could not be given back")

    def _decide_language(self, content: str, chosen: str) -> str:
        """Comprehend's answer for long enough text when sure and served; else the sender's."""
        if len(content.strip()) < DETECTION_MIN_CHARS:
            return chosen
        if self._detector is not None and self._detector.confirms(content, chosen):
            self._metrics.count("LanguageDetectionsSkipped")
            return chosen
        try:
            detected = self._analyzer.detect_language(content)
        except LanguageServiceError:
            logger.warning("language detection failed; using the sender's language")
            return chosen
        if detected is None or detected[1] < DETECTION_MIN_SCORE:
            return chosen
        return served_code(detected[0]) or chosen

    # Answering -----------------------------------------------------------------------------

    def _answer_sender(
        self,
        outbox: Outbox,
        connection: Connection,
        result: Mapping[str, Any],
        client_id: str | None,
    ) -> None:
        status = str(result["status"])
        event: Event
        if status in ("rejected", "held"):
            event = Refused(
                kind="rejected" if status == "rejected" else "held",
                room=str(result["room"]),
                message_id=str(result["messageId"]),
                reason=str(result["reason"]),
                notice=self._notices.get(status, connection.lang),
                timestamp=int(result["createdAt"]),
                client_id=client_id,
            )
        else:
            event = Accepted(str(result["messageId"]), status, client_id)
        try:
            outbox.send(connection, [event])
        except ConnectionGoneError:
            logger.info("sender gone before its answer")
