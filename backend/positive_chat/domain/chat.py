"""The chat domain: joining rooms, posting, history, presence. No boto3 here.

This module owns the product's policy: how a message's language is decided, when it is
published, rejected or held, how topics are counted, that each message is translated into a
language at most once (translations are saved on the message), and that a failure to reach one
reader never stops the others. It talks to the world only through the ports below, which the
adapters (store, language, outbox) implement and ``app`` wires together.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any, Literal, Protocol

from positive_chat.config import (
    CONNECTION_TTL_SECONDS,
    DETECTION_MIN_CHARS,
    DETECTION_MIN_SCORE,
    HISTORY_PAGE,
    MODERATORS_ROOM,
    TOP_TOPICS,
    TOPIC_MAX_CHARS,
    V1_NAME_SETTLE_MS,
)
from positive_chat.domain.errors import (
    ConnectionGoneError,
    LanguageServiceError,
    NotJoinedError,
    ServiceUnavailableError,
    TranslationError,
)
from positive_chat.domain.languages import COMPREHEND_SENTIMENT, served_code
from positive_chat.domain.model import (
    Accepted,
    Connection,
    Event,
    HistoryCommand,
    HistoryPage,
    JoinCommand,
    Joined,
    LeaveCommand,
    Left,
    Message,
    MessagePage,
    Notice,
    PingCommand,
    Pong,
    PostCommand,
    Presence,
    Reading,
    Refused,
    RoomTopics,
    Sentiment,
    new_message_id,
    order_key,
)

__all__ = [
    "NOTICES",
    "Analyzer",
    "ChatService",
    "Clock",
    "ConnectionRepository",
    "FlagListener",
    "LanguageGuesser",
    "MessageRepository",
    "MetricsSink",
    "OnceGate",
    "Outbox",
    "TopicRepository",
    "Translator",
    "count_topics",
]

logger = logging.getLogger(__name__)

# What "Positive Chat" says, in English; translated per reader language once per environment.
NOTICES: Mapping[str, str] = {
    "rejected": "Please find a better way to express this.",
    "held": "Your message is delayed: it will appear once it has been checked.",
    "joined": "joined the room",
    "left": "left the room",
}


# --- Ports ------------------------------------------------------------------------------------


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


class Outbox(Protocol):
    """Sends events to connections, rendered for each one's protocol version."""

    def send(self, reader: Connection, events: Sequence[Event]) -> None:
        """Send to one connection; raises ConnectionGoneError."""

    def broadcast(
        self, readers: Sequence[Connection], events_for: Callable[[Connection], Sequence[Event]]
    ) -> list[Connection]:
        """Send to every reader concurrently; return the readers that are gone."""


class OnceGate(Protocol):
    """Runs ``work`` once per ``key`` (a resent client id replays the stored result)."""

    def run(self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]: ...


class FlagListener(Protocol):
    """Hears about messages stored for review (moderators see them live)."""

    def flagged(self, message: Message) -> None: ...


class MetricsSink(Protocol):
    """Counts business metrics."""

    def count(self, name: str, value: float = 1) -> None: ...


class Clock(Protocol):
    """Tells the time in epoch milliseconds."""

    def now_ms(self) -> int: ...


# --- Policy helpers ---------------------------------------------------------------------------


def count_topics(entities: Iterable[str]) -> dict[str, int]:
    """Count entity texts as topics: outer whitespace trimmed, empty ones dropped, and each cut
    to 100 characters (a topic is a sort key: at most 1,024 bytes)."""
    counts = Counter(text.strip()[:TOPIC_MAX_CHARS] for text in entities if text and text.strip())
    return dict(counts)


def reading_for(message: Message, lang: str, translated: Mapping[str, str | None]) -> Reading:
    """The reading of ``message`` for a ``lang`` reader, given fresh translation results."""
    if lang == message.lang:
        return Reading(message, message.content, message.lang, "original")
    text = message.translations.get(lang) or translated.get(lang)
    if text is None:
        return Reading(message, message.content, message.lang, "unavailable")
    return Reading(message, text, lang, "translated")


# --- The service ------------------------------------------------------------------------------


class ChatService:
    """The chat's use cases; one per event (it is cheap: every collaborator is shared)."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        messages: MessageRepository,
        topics: TopicRepository,
        analyzer: Analyzer,
        translator: Translator,
        outbox: Outbox,
        once: OnceGate,
        metrics: MetricsSink,
        clock: Clock,
        translate_pool: Executor,
        notice_cache: MutableMapping[tuple[str, str], str],
        flag_listener: FlagListener | None = None,
        detector: LanguageGuesser | None = None,
        sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connections = connections
        self._sleep = sleep  # waits for a v1 name binding to settle
        # Sent to DetectSentiment as written; any other language goes through English first.
        self._sentiment_languages = sentiment_languages
        self._messages = messages
        self._topics = topics
        self._analyzer = analyzer
        self._translator = translator
        self._outbox = outbox
        self._once = once
        self._metrics = metrics
        self._clock = clock
        self._pool = translate_pool
        # Notice translations live as long as the execution environment (shared across events).
        self._notice_cache = notice_cache
        self._flag_listener = flag_listener
        # Cost lever: an in-Lambda detector that, when sure, spares DetectDominantLanguage.
        self._detector = detector

    # Connections -------------------------------------------------------------------------

    def connection(self, connection_id: str) -> Connection | None:
        """The stored state of a connection (None if it never joined)."""
        return self._connections.get(connection_id)

    def joined(self, connection_id: str) -> Connection:
        """The connection, which must have joined a room; else NotJoinedError."""
        connection = self._connections.get(connection_id)
        if connection is None or connection.room is None:
            raise NotJoinedError("join a room first (send init)")
        if connection.room == MODERATORS_ROOM:
            raise NotJoinedError("a moderator connection is in no chat room; chat from another")
        return connection

    def name_unsettled(self, connection: Connection) -> bool:
        """True while a v1 name binding may still be taken over by an earlier frame."""
        return (
            connection.name_key is not None
            and self._clock.now_ms() - connection.named_at < V1_NAME_SETTLE_MS
        )

    def bind_user(
        self, connection: Connection, user: str | None, command: PostCommand
    ) -> Connection:
        """Bind a v1 connection's name: the name of its first message, by the order the frames
        were sent (gateway time, then frame number), whatever order their invocations run in.

        One conditional write binds ``user`` if no name is bound, or takes the binding over
        from a later frame while it is open (``V1_NAME_SETTLE_MS``); every frame then waits
        until the binding has settled and posts under the name bound then, so all of the
        connection's messages carry one name. The frame whose name won tells the room.
        """
        key = order_key(*_order(command, self._clock))
        current: Connection | None = connection
        if user is not None:
            now = self._clock.now_ms()
            current = self._connections.bind_user(
                connection.connection_id,
                user,
                key=key,
                now=now,
                open_after=now - V1_NAME_SETTLE_MS,
            )
        # Wait out the open binding; a take-over meanwhile reopens it (it needs an earlier
        # frame each time, so there are few rounds at most).
        waited_for: int | None = None
        while current is not None and current.named_at and current.named_at != waited_for:
            wait_ms = current.named_at + V1_NAME_SETTLE_MS - self._clock.now_ms()
            if wait_ms <= 0:
                break
            waited_for = current.named_at
            self._sleep(wait_ms / 1000)
            current = self._connections.get(connection.connection_id)
        if current is None or current.user is None:
            raise NotJoinedError("join a room first (send init)")
        connection = replace(
            connection, user=current.user, name_key=current.name_key, named_at=current.named_at
        )
        if connection.room is not None and current.name_key == key:
            self._announce(connection.room, "join", current.user, exclude=connection.connection_id)
        return connection

    def disconnect(self, connection_id: str) -> None:
        """Forget a closed connection and tell its room who left."""
        previous = self._connections.delete(connection_id)
        if previous is not None and previous.room is not None and previous.user:
            self._announce(previous.room, "leave", previous.user, exclude=connection_id)

    # Use cases -----------------------------------------------------------------------------

    def join(self, connection_id: str, command: JoinCommand) -> None:
        """Join (or switch to) a room: store, answer with history/presence/topics, tell the room."""
        now = self._clock.now_ms()
        wanted = Connection(
            connection_id=connection_id,
            room=command.room,
            user=command.user,
            lang=command.lang,
            version=command.version,
            connected_at=now,
        )
        previous = self._connections.join(wanted, ttl=now // 1000 + CONNECTION_TTL_SECONDS)
        me = wanted
        if previous is not None:
            # A name, once bound, stays: later init frames cannot rename the connection.
            me = replace(
                wanted,
                user=previous.user or command.user,
                role=previous.role,
                connected_at=previous.connected_at or now,
            )
            if previous.room is not None and previous.room != command.room and previous.user:
                self._announce(previous.room, "leave", previous.user, exclude=connection_id)
        switching = previous is None or previous.room != command.room

        others = [
            c for c in self._connections.in_room(command.room) if c.connection_id != connection_id
        ]
        if command.after is not None:
            page = self._messages.after(command.room, command.after, HISTORY_PAGE)
            mode = "after"
        else:
            page = self._messages.latest(command.room, HISTORY_PAGE)
            mode = "latest"
        readings = self._readings(page.messages, me.lang)
        top = self._topics.top(command.room, TOP_TOPICS)
        members = _members([me, *others])
        try:
            self._outbox.send(
                me,
                [
                    Joined(command.room, me.user, me.lang, command.client_id),
                    HistoryPage(command.room, mode, readings, page.has_more, command.client_id),  # type: ignore[arg-type]
                    Presence(command.room, "snapshot", me.user, members, timestamp=now),
                    RoomTopics(command.room, top),
                ],
            )
        except ConnectionGoneError:
            logger.info("joiner gone before its answer", extra={"connection_id": connection_id})
            self._connections.delete(connection_id)
            self._metrics.count("StaleConnectionsPruned")
            return
        if switching and me.user:
            self._broadcast_presence(command.room, "join", me.user, others, members)

    def post(self, connection: Connection, command: PostCommand) -> None:
        """Post a message: analyse, store, answer the sender, then deliver to the room."""
        room, user = connection.room, connection.user
        if room is None or user is None:
            raise NotJoinedError("join a room first (send init)")
        stored: list[tuple[Message, list[tuple[str, int]]]] = []

        def analyse_and_store() -> dict[str, Any]:
            message, top = self._analyse_and_store(connection, room, user, command)
            stored.append((message, top))
            return {
                "room": message.room,
                "messageId": message.message_id,
                "status": message.status,
                "reason": message.flag_reason,
                "createdAt": message.created_at,
            }

        if command.client_id is not None:
            key = {"room": room, "user": user, "clientId": command.client_id}
            result = self._once.run(key, analyse_and_store)
        else:
            result = analyse_and_store()

        if not stored:  # a resent client id: answer again, deliver nothing again
            logger.info("duplicate client id replayed", extra={"message_id": result["messageId"]})
            self._answer_sender(connection, result, command.client_id)
            return
        message, _top = stored[0]
        self._metrics.count(
            {"published": "MessagesPosted", "rejected": "MessagesRejected"}.get(
                message.status, "MessagesHeld"
            )
        )
        self._answer_sender(connection, result, command.client_id)
        if message.visible:
            self._deliver(message)
        elif self._flag_listener is not None:
            self._flag_listener.flagged(message)

    def deliver(self, message: Message) -> None:
        """Deliver a visible message to its room, translated per reader (moderators' approvals)."""
        self._deliver(message)

    def announce_leave(self, room: str, user: str, *, exclude: str) -> None:
        """Tell ``room`` that ``user`` left (a chatting connection became a moderator's)."""
        self._announce(room, "leave", user, exclude=exclude)

    def history(self, connection: Connection, command: HistoryCommand) -> None:
        """Send a page of older messages, in the reader's language."""
        if connection.room is None:
            raise NotJoinedError("join a room first (send init)")
        page = self._messages.before(connection.room, command.before, command.limit)
        readings = self._readings(page.messages, connection.lang)
        self._outbox.send(
            connection,
            [HistoryPage(connection.room, "before", readings, page.has_more, command.client_id)],
        )

    def leave(self, connection: Connection, command: LeaveCommand) -> None:
        """Leave the room but keep the socket."""
        previous = self._connections.leave(connection.connection_id)
        room = previous.room if previous is not None else None
        self._outbox.send(connection, [Left(room, command.client_id)])
        if previous is not None and previous.room is not None and previous.user:
            self._announce(previous.room, "leave", previous.user, exclude=connection.connection_id)

    def ping(self, connection: Connection, command: PingCommand) -> None:
        """Answer the heartbeat."""
        self._outbox.send(connection, [Pong(self._clock.now_ms(), command.client_id)])

    # Posting ---------------------------------------------------------------------------------

    def _analyse_and_store(
        self, connection: Connection, room: str, user: str, command: PostCommand
    ) -> tuple[Message, list[tuple[str, int]]]:
        """The stored message and, when published, the room's top topics after it."""
        # The id orders the sender's messages as sent: the gateway's receive time and the
        # frame's number, never when this invocation happens to get here.
        now = _order(command, self._clock)[0]
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
            if lang in self._sentiment_languages:
                basis_text, basis_lang = content, lang
            else:
                basis_text = self._translator.translate(content, lang, "en")
                self._metrics.count("TranslatedCharacters", len(content))
                translations["en"] = basis_text
                basis_lang = "en"
            sentiment = self._analyzer.sentiment(basis_text, basis_lang)
        except (LanguageServiceError, TranslationError) as err:
            logger.warning("message held: could not check it", extra={"error": type(err).__name__})
            message = replace(
                base, status="held", flag_reason="SERVICE_UNAVAILABLE", translations=translations
            )
            self._messages.put(message)
            return message, []

        if sentiment.label == "NEGATIVE":
            message = replace(
                base,
                status="rejected",
                flag_reason="NEGATIVE",
                sentiment=sentiment.label,
                sentiment_score=sentiment.scores,
                translations=translations,
            )
            self._messages.put(message)
            return message, []

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
            room_topics = tuple(name for name, _ in top)
            message = replace(
                base,
                sentiment=sentiment.label,
                sentiment_score=sentiment.scores,
                topics=topics,
                room_topics=room_topics,
                translations=translations,
            )
            self._messages.put(message)
        except ServiceUnavailableError:
            # Nothing half-written: the message was not stored, so its topics do not count.
            self._give_back_topics(room, topics)
            raise
        return message, top

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

    def _answer_sender(
        self, connection: Connection, result: Mapping[str, Any], client_id: str | None
    ) -> None:
        status = str(result["status"])
        event: Event
        if status in ("rejected", "held"):
            event = Refused(
                kind="rejected" if status == "rejected" else "held",
                room=str(result["room"]),
                message_id=str(result["messageId"]),
                reason=str(result["reason"]),
                notice=self._notice(status, connection.lang),
                timestamp=int(result["createdAt"]),
                client_id=client_id,
            )
        else:
            event = Accepted(str(result["messageId"]), status, client_id)
        try:
            self._outbox.send(connection, [event])
        except ConnectionGoneError:
            logger.info("sender gone before its answer")

    def _deliver(self, message: Message) -> None:
        # The message is stored (and acked) before this: delivery is best effort from here on.
        # Storage failing now must not tell the sender "nothing was stored"; readers who miss
        # the frame get the message from history when they resume (init with ``after``).
        try:
            readers = self._connections.in_room(message.room)
        except ServiceUnavailableError:
            logger.warning("delivery skipped: readers unknown", extra={"room": message.room})
            self._metrics.count("DeliveriesSkipped")
            return
        fresh = self._translate_missing(message, {r.lang for r in readers})

        def events_for(reader: Connection) -> Sequence[Event]:
            # The room's top topics ride on the message frame (roomTopics): one post per reader.
            return [reading_for(message, reader.lang, fresh)]

        gone = self._outbox.broadcast(readers, events_for)
        self._prune(message.room, gone, readers)

    # Translation -----------------------------------------------------------------------------

    def _translate_missing(self, message: Message, langs: Iterable[str]) -> dict[str, str | None]:
        """Translate ``message`` into each language it lacks, once; save what succeeded."""
        wanted = sorted(
            {lang for lang in langs if lang != message.lang and lang not in message.translations}
        )
        if not wanted:
            return {}
        futures = {
            lang: self._pool.submit(self._try_translate, message.content, message.lang, lang)
            for lang in wanted
        }
        results = {lang: future.result() for lang, future in futures.items()}
        saved = {lang: text for lang, text in results.items() if text is not None}
        if saved:
            self._metrics.count("TranslatedCharacters", len(message.content) * len(saved))
            self._messages.save_translations(message.room, message.message_id, saved)
        return results

    def _try_translate(self, text: str, source: str, target: str) -> str | None:
        try:
            return self._translator.translate(text, source, target)
        except TranslationError as err:
            logger.warning(
                "translation unavailable",
                extra={"source": source, "target": target, "error": str(err)},
            )
            return None

    def _readings(self, messages: Sequence[Message], lang: str) -> list[Reading]:
        """History in the reader's language; each missing translation is fetched once, saved."""
        missing = [m for m in messages if m.lang != lang and lang not in m.translations]
        futures = {
            m.message_id: self._pool.submit(self._try_translate, m.content, m.lang, lang)
            for m in missing
        }
        fresh: dict[str, str | None] = {mid: f.result() for mid, f in futures.items()}
        translated_chars = 0
        for message in missing:
            text = fresh[message.message_id]
            if text is not None:
                translated_chars += len(message.content)
                self._messages.save_translations(message.room, message.message_id, {lang: text})
        if translated_chars:
            self._metrics.count("TranslatedCharacters", translated_chars)
        return [reading_for(m, lang, {lang: fresh.get(m.message_id)}) for m in messages]

    def _notice(self, key: str, lang: str) -> Notice:
        """A notice in ``lang``, translated once per execution environment (English on failure)."""
        english = NOTICES[key]
        if lang == "en":
            return Notice(english, "en")
        cached = self._notice_cache.get((key, lang))
        if cached is not None:
            return Notice(cached, lang)
        text = self._try_translate(english, "en", lang)
        if text is None:
            return Notice(english, "en")
        self._metrics.count("TranslatedCharacters", len(english))
        self._notice_cache[(key, lang)] = text
        return Notice(text, lang)

    # Presence --------------------------------------------------------------------------------

    def _announce(
        self, room: str, event: Literal["join", "leave"], user: str, *, exclude: str
    ) -> None:
        if room == MODERATORS_ROOM:  # moderator connections are not a chat room: no presence
            return
        readers = [c for c in self._connections.in_room(room) if c.connection_id != exclude]
        self._broadcast_presence(room, event, user, readers, _members(readers))

    def _broadcast_presence(
        self,
        room: str,
        event: Literal["join", "leave"],
        user: str,
        readers: Sequence[Connection],
        members: Sequence[tuple[str, str]],
        *,
        depth: int = 0,
    ) -> None:
        if not readers:
            return
        now = self._clock.now_ms()
        phrases = {
            lang: self._notice("joined" if event == "join" else "left", lang)
            for lang in {r.lang for r in readers if r.version == 1}
        }

        def events_for(reader: Connection) -> Sequence[Event]:
            phrase = phrases.get(reader.lang)
            notice = Notice(f"{user} {phrase.text}", phrase.lang) if phrase else None
            return [Presence(room, event, user, members, notice, now)]

        gone = self._outbox.broadcast(readers, events_for)
        self._prune(room, gone, readers, depth=depth)

    def _prune(
        self,
        room: str,
        gone: Sequence[Connection],
        readers: Sequence[Connection],
        *,
        depth: int = 0,
    ) -> None:
        """Delete connections that are gone (410) and tell the others who left."""
        if not gone:
            return
        for connection in gone:
            self._connections.delete(connection.connection_id)
        self._metrics.count("StaleConnectionsPruned", len(gone))
        logger.info("pruned stale connections", extra={"room": room, "count": len(gone)})
        if depth >= 2:  # each round can find more gone readers; stop the cascade here
            return
        gone_ids = {c.connection_id for c in gone}
        remaining = [r for r in readers if r.connection_id not in gone_ids]
        members = _members(remaining)
        for connection in gone:
            if connection.user and remaining:
                self._broadcast_presence(
                    room, "leave", connection.user, remaining, members, depth=depth + 1
                )


def _order(command: PostCommand, clock: Clock) -> tuple[int, int]:
    """A message frame's place among its connection's frames: the gateway's receive time (the
    Lambda's clock if the event had none) and the frame's number (0 if it has none)."""
    received = command.received_at if command.received_at is not None else clock.now_ms()
    return received, command.seq if command.seq is not None else 0


def _members(connections: Iterable[Connection]) -> list[tuple[str, str]]:
    """(user, lang) of the named connections, sorted by name (one entry per connection)."""
    return sorted(((c.user, c.lang) for c in connections if c.user), key=lambda m: m[0].casefold())
