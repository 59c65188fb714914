"""Unit tests of the chat policy with in-memory fakes: sentiment decision, topics, delivery."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from positive_chat.domain.chat import Chat, compose_chat
from positive_chat.domain.commands import PostCommand
from positive_chat.domain.errors import (
    ConnectionGoneError,
    LanguageServiceError,
    TranslationError,
    UnsupportedPairError,
)
from positive_chat.domain.events import (
    Accepted,
    Event,
    Reading,
    Refused,
)
from positive_chat.domain.model import (
    Connection,
    Message,
    MessagePage,
    Sentiment,
)
from positive_chat.domain.notice_texts import WRITTEN
from positive_chat.domain.notices import NOTICES
from positive_chat.domain.posting import count_topics
from positive_chat.domain.translation import Translations, reading_for


class FakeConnections:
    """Connections in a dict."""

    def __init__(self, *connections: Connection) -> None:
        self.items = {c.connection_id: c for c in connections}

    def get(self, connection_id: str) -> Connection | None:
        return self.items.get(connection_id)

    def join(self, connection: Connection, *, ttl: int) -> Connection | None:
        previous = self.items.get(connection.connection_id)
        self.items[connection.connection_id] = connection
        return previous

    def bind_user(
        self, connection_id: str, user: str, *, key: str, now: int, open_after: int
    ) -> Connection | None:
        current = self.items.get(connection_id)
        if current is None:
            return None
        earlier = current.name_key is not None and current.name_key > key
        if current.user is None or (earlier and current.named_at > open_after):
            current = replace(current, user=user, name_key=key, named_at=now)
            self.items[connection_id] = current
        return current

    def leave(self, connection_id: str) -> Connection | None:
        previous = self.items.get(connection_id)
        if previous:
            self.items[connection_id] = replace(previous, room=None)
        return previous

    def delete(self, connection_id: str) -> Connection | None:
        return self.items.pop(connection_id, None)

    def in_room(self, room: str) -> list[Connection]:
        return sorted(
            (c for c in self.items.values() if c.room == room), key=lambda c: c.connection_id
        )


class FakeMessages:
    """Messages in a list."""

    def __init__(self) -> None:
        self.items: list[Message] = []
        self.saved: list[tuple[str, Mapping[str, str]]] = []

    def put(self, message: Message) -> None:
        self.items.append(message)

    def latest(self, room: str, limit: int) -> MessagePage:
        return MessagePage([m for m in self.items if m.visible][-limit:], False)

    def before(self, room: str, message_id: str, limit: int) -> MessagePage:
        return MessagePage([], False)

    def after(self, room: str, message_id: str, limit: int) -> MessagePage:
        return MessagePage([], False)

    def save_translations(
        self, room: str, message_id: str, translations: Mapping[str, str]
    ) -> None:
        self.saved.append((message_id, dict(translations)))


class FakeTopics:
    """Topic counters in a dict."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add(self, room: str, counts: Mapping[str, int]) -> None:
        for topic, n in counts.items():
            self.counts[topic] = self.counts.get(topic, 0) + n

    def top(self, room: str, limit: int) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda kv: -kv[1])[:limit]


class FakeAnalyzer:
    """Comprehend answering from a script; records calls."""

    def __init__(self, sentiment: str = "POSITIVE", fail: set[str] | None = None) -> None:
        self.label = sentiment
        self.fail = fail or set()
        self.calls: list[tuple[str, str]] = []

    def detect_language(self, text: str) -> tuple[str, float] | None:
        self.calls.append(("language", text))
        if "language" in self.fail:
            raise LanguageServiceError("down")
        return ("en", 0.99)

    def sentiment(self, text: str, lang: str) -> Sentiment:
        self.calls.append(("sentiment", lang))
        if "sentiment" in self.fail:
            raise LanguageServiceError("throttled")
        return Sentiment(self.label, {"Positive": 0.9})

    def entities(self, text: str, lang: str) -> list[str]:
        self.calls.append(("entities", lang))
        return ["Paris", "Paris", "  "]


class FakeTranslator:
    """Translate that tags the text with the target, or fails for some targets."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.calls: list[tuple[str, str]] = []

    def translate(self, text: str, source: str, target: str) -> str:
        self.calls.append((source, target))
        if target in self.failing:
            raise TranslationError("unsupported pair")
        return f"[{target}] {text}"


class FakeOutbox:
    """Records what would be sent; some readers are gone."""

    def __init__(self, gone: set[str] | None = None) -> None:
        self.gone = gone or set()
        self.sent: list[tuple[str, Event]] = []

    def send(self, reader: Connection, events: Sequence[Event]) -> None:
        if reader.connection_id in self.gone:
            raise ConnectionGoneError(reader.connection_id)
        self.sent.extend((reader.connection_id, e) for e in events)

    def broadcast(
        self, readers: Sequence[Connection], events_for: Callable[[Connection], Sequence[Event]]
    ) -> list[Connection]:
        gone = []
        for reader in readers:
            if reader.connection_id in self.gone:
                gone.append(reader)
            else:
                self.sent.extend((reader.connection_id, e) for e in events_for(reader))
        return gone


class DirectOnce:
    """Runs the work every time (idempotency is tested with Powertools elsewhere)."""

    def run(self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return work()


class CountingMetrics:
    """Counts metrics in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def count(self, name: str, value: float = 1) -> None:
        self.values[name] = self.values.get(name, 0) + value


class Clock:
    """A fixed clock."""

    def now_ms(self) -> int:
        return 1_763_900_000_000


ANA = Connection("ana", room="lobby", user="Ana", lang="en", version=2)
BO = Connection("bo", room="lobby", user="Bo", lang="fr", version=2)
CY = Connection("cy", room="lobby", user="Cy", lang="de", version=1)


@pytest.fixture
def pool() -> Any:
    """A small real thread pool."""
    with ThreadPoolExecutor(4) as executor:
        yield executor


def service(pool: Any, **overrides: Any) -> tuple[Chat, dict[str, Any]]:
    """The chat over fakes; returns it and its collaborators (the outbox is per call)."""
    parts: dict[str, Any] = {
        "connections": FakeConnections(ANA, BO, CY),
        "messages": FakeMessages(),
        "topics": FakeTopics(),
        "analyzer": FakeAnalyzer(),
        "translator": FakeTranslator(),
        "outbox": FakeOutbox(),
        "once": DirectOnce(),
        "metrics": CountingMetrics(),
        "clock": Clock(),
        "translate_pool": pool,
    }
    parts.update(overrides)
    outbox = parts.pop("outbox")
    chat = compose_chat(**parts)
    parts["outbox"] = outbox
    return chat, parts


def test_count_topics_counts_and_cleans() -> None:
    """Entity texts are counted, trimmed, blank ones dropped, long ones cut to 100 chars."""
    assert count_topics(["Paris", " Paris ", "", "  ", "Oslo", "x" * 150]) == {
        "Paris": 2,
        "Oslo": 1,
        "x" * 100: 1,
    }


def test_reading_for_prefers_saved_then_fresh_translation() -> None:
    """A reader gets the original, a saved translation, a fresh one, or 'unavailable'."""
    msg = Message("lobby", "id", "Ana", "es", "Hola", 1, "published", translations={"en": "Hi"})
    assert reading_for(msg, "es", {}).translation == "original"
    assert reading_for(msg, "en", {}) == Reading(msg, "Hi", "en", "translated")
    assert reading_for(msg, "fr", {"fr": "Salut"}).text == "Salut"
    assert reading_for(msg, "de", {"de": None}).translation == "unavailable"


def test_post_positive_translates_once_per_language_and_delivers(pool: Any) -> None:
    """Each distinct reader language is translated once; every reader gets the message."""
    chat, parts = service(pool)
    chat.posting.post(
        parts["outbox"], ANA, PostCommand(content="We all love Paris in spring!", client_id="m1")
    )
    assert sorted(parts["translator"].calls) == [("en", "de"), ("en", "fr")]
    [(_, saved)] = parts["messages"].saved
    assert set(saved) == {"de", "fr"}
    receivers = [cid for cid, e in parts["outbox"].sent if isinstance(e, Reading)]
    assert receivers == ["ana", "bo", "cy"]
    assert isinstance(parts["outbox"].sent[0][1], Accepted)
    assert parts["topics"].counts == {"Paris": 2}
    assert parts["metrics"].values["MessagesPosted"] == 1


def test_post_negative_stores_rejected_and_skips_entities(pool: Any) -> None:
    """NEGATIVE: stored rejected for review, only the sender hears, no DetectEntities."""
    analyzer = FakeAnalyzer(sentiment="NEGATIVE")
    chat, parts = service(pool, analyzer=analyzer)
    chat.posting.post(parts["outbox"], ANA, PostCommand(content="I hate all of you, really I do"))
    [stored] = parts["messages"].items
    assert (stored.status, stored.flag_reason) == ("rejected", "NEGATIVE")
    assert ("entities", "en") not in analyzer.calls
    assert [cid for cid, _ in parts["outbox"].sent] == ["ana"]
    assert isinstance(parts["outbox"].sent[0][1], Refused)


def test_post_sentiment_failure_holds(pool: Any) -> None:
    """Comprehend failing on sentiment holds the message; nothing reaches the room."""
    chat, parts = service(pool, analyzer=FakeAnalyzer(fail={"sentiment"}))
    chat.posting.post(
        parts["outbox"], ANA, PostCommand(content="A perfectly pleasant sentence here")
    )
    [stored] = parts["messages"].items
    assert (stored.status, stored.flag_reason) == ("held", "SERVICE_UNAVAILABLE")
    [(receiver, event)] = parts["outbox"].sent
    assert receiver == "ana"
    assert isinstance(event, Refused)
    assert event.kind == "held"
    assert parts["metrics"].values["MessagesHeld"] == 1


def test_post_language_without_sentiment_model_checks_english(pool: Any) -> None:
    """Polish is translated to English for sentiment; the English is kept on the message."""
    chat, parts = service(pool, connections=FakeConnections(replace(ANA, lang="pl")))
    analyzer = parts["analyzer"]
    chat.posting.post(parts["outbox"], replace(ANA, lang="pl"), PostCommand(content="dzięki"))
    [stored] = parts["messages"].items
    assert stored.lang == "pl"
    assert stored.translations == {"en": "[en] dzięki"}
    assert ("sentiment", "en") in analyzer.calls


def test_post_configured_sentiment_language_is_judged_as_written(pool: Any) -> None:
    """A language in sentiment_languages (Hebrew, locally) goes to sentiment untranslated."""
    he = replace(ANA, lang="he")
    chat, parts = service(
        pool, connections=FakeConnections(he), sentiment_languages=frozenset({"en", "he"})
    )
    chat.posting.post(parts["outbox"], he, PostCommand(content="שלום לכולם"))
    [stored] = parts["messages"].items
    assert stored.status == "published"
    assert stored.translations == {}
    assert ("sentiment", "he") in parts["analyzer"].calls


def test_post_gone_readers_are_pruned_and_announced(pool: Any) -> None:
    """Readers that are gone are deleted and the rest hear they left."""
    outbox = FakeOutbox(gone={"bo"})
    chat, parts = service(pool, outbox=outbox)
    chat.posting.post(parts["outbox"], ANA, PostCommand(content="hi all"))
    assert "bo" not in parts["connections"].items
    assert parts["metrics"].values["StaleConnectionsPruned"] == 1
    leaves = [(cid, e) for cid, e in outbox.sent if getattr(e, "event", None) == "leave"]
    assert [cid for cid, _ in leaves] == ["ana", "cy"]
    assert leaves[1][1].notice is not None  # the v1 reader gets a notice in German


def test_notice_in_a_page_language_is_the_written_one(pool: Any) -> None:
    """French is one of the page's languages: its notice is written, not machine-translated."""
    chat, parts = service(pool, analyzer=FakeAnalyzer(sentiment="NEGATIVE"))
    chat.posting.post(parts["outbox"], BO, PostCommand(content="je déteste tout"))
    [(_, event)] = parts["outbox"].sent
    assert isinstance(event, Refused)
    assert (event.notice.lang, event.notice.text) == (
        "fr",
        "Merci de trouver une meilleure façon de l'exprimer.",
    )
    assert ("en", "fr") not in parts["translator"].calls


def test_written_notices_cover_every_notice_in_every_language() -> None:
    """Each written language says every notice, and none is left in English."""
    for lang, texts in WRITTEN.items():
        assert set(texts) == set(NOTICES), lang
        assert all(texts[key] != NOTICES[key] for key in NOTICES), lang


def test_notice_in_another_language_is_translated_once(pool: Any) -> None:
    """Korean is not written: the English notice is translated, once per environment."""
    ko = replace(BO, lang="ko")
    chat, parts = service(
        pool, connections=FakeConnections(ko), analyzer=FakeAnalyzer(sentiment="NEGATIVE")
    )
    for _ in range(2):
        chat.posting.post(parts["outbox"], ko, PostCommand(content="다 싫어"))
    events = [event for _, event in parts["outbox"].sent]
    assert all(isinstance(e, Refused) for e in events)
    assert [(e.notice.lang, e.notice.text) for e in events] == [
        ("ko", "[ko] Please find a better way to express this.")
    ] * 2
    assert parts["translator"].calls.count(("en", "ko")) == 1


def test_notice_translation_failure_falls_back_to_english(pool: Any) -> None:
    """If the notice cannot be translated, the English one is sent, marked English."""
    ko = replace(BO, lang="ko")
    chat, parts = service(
        pool,
        connections=FakeConnections(ko),
        analyzer=FakeAnalyzer(sentiment="NEGATIVE"),
        translator=FakeTranslator(failing={"ko"}),
    )
    chat.posting.post(parts["outbox"], ko, PostCommand(content="다 싫어"))
    [(_, event)] = parts["outbox"].sent
    assert isinstance(event, Refused)
    assert (event.notice.lang, event.notice.text) == (
        "en",
        "Please find a better way to express this.",
    )


def test_unsupported_pair_is_logged_as_info_a_failure_as_warning(
    pool: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A pair Translate does not offer is expected (INFO); a failing Translate is a WARNING."""

    class Translator(FakeTranslator):
        def translate(self, text: str, source: str, target: str) -> str:
            if target == "ko":
                raise UnsupportedPairError("en->ko: UnsupportedLanguagePairException")
            raise TranslationError("en->fr: ServiceUnavailableException")

    translations = Translations(
        translator=Translator(), messages=FakeMessages(), metrics=CountingMetrics(), pool=pool
    )
    with caplog.at_level(logging.INFO, logger="positive_chat"):
        assert translations.try_translate("hi", "en", "ko") is None
        assert translations.try_translate("hi", "en", "fr") is None
    levels = [
        (r.levelno, r.message) for r in caplog.records if r.message == "translation unavailable"
    ]
    assert levels == [
        (logging.INFO, "translation unavailable"),
        (logging.WARNING, "translation unavailable"),
    ]
