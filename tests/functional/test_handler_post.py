"""The handler's message flow: analyse, store, answer the sender, deliver to the room."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Harness, emitted_metrics

TEXT = "I love Paris in the spring, it is wonderful!"
DE = "Ich liebe Paris im Frühling, es ist wunderbar!"
FR = "J'adore Paris au printemps, c'est merveilleux !"


def seed_room(harness: Harness) -> None:
    """ana (v2, en) posts; bo (v2, fr), cy (v1, de) and dan (v1, en) read."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "fr", "Bo")
    harness.seed_connection("c-cy", "lobby", "de", "Cy", version=1)
    harness.seed_connection("d-dan", "lobby", "en", "Dan", version=1)


def only_item(harness: Harness, room: str = "lobby") -> dict[str, Any]:
    """The single stored message of ``room``."""
    [item] = harness.message_items(room)
    return item


def assert_flagged(item: dict[str, Any], status: str, reason: str) -> None:
    """The stored message has ``status`` and waits in the review queue for ``reason``."""
    assert item["status"] == {"S": status}
    assert item["review"] == {"S": "pending"}
    assert item["flagReason"] == {"S": reason}


def test_post_publishes_to_every_reader_in_their_language(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """A positive message is acked, stored, translated once per language and sent to all."""
    seed_room(harness)
    harness.expect_language(TEXT, "en")
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_entities(TEXT, "en", ["Paris", "Paris"])
    harness.expect_translation(TEXT, "en", "de", DE)
    harness.expect_translation(TEXT, "en", "fr", FR)
    harness.expect_posts("a-ana", "a-ana", "b-bo", "c-cy", "d-dan")
    capsys.readouterr()

    assert harness.send("a-ana", {"action": "message", "content": TEXT, "id": "m-1"}) == {
        "statusCode": 200
    }

    ack, message = harness.frames("a-ana")
    assert ack == {
        "type": "ack",
        "id": "m-1",
        "messageId": message["messageId"],
        "status": "published",
    }
    assert message == {
        "type": "message",
        "room": "lobby",
        "messageId": ack["messageId"],
        "clientId": "m-1",
        "user": "Ana",
        "timestamp": message["timestamp"],
        "lang": "en",
        "content": TEXT,
        "text": TEXT,
        "textLang": "en",
        "translation": "original",
        "topics": {"Paris": 2},
        "sentiment": "POSITIVE",
        "status": "published",
        "roomTopics": ["Paris"],
    }
    # One post per reader: the room's top topics ride on the message frame, no topics frame.
    (bo_message,) = harness.frames("b-bo")
    assert (bo_message["text"], bo_message["textLang"], bo_message["translation"]) == (
        FR,
        "fr",
        "translated",
    )
    assert bo_message["roomTopics"] == ["Paris"]
    # v1, field by field: the original's message object, with destLang/translated.
    assert harness.frames("c-cy") == [
        [
            {
                "room": "lobby",
                "timestamp": message["timestamp"],
                "user": "Ana",
                "lang": "en",
                "content": TEXT,
                "topics": {"Paris": 2},
                "sentiment": "POSITIVE",
                "roomTopics": ["Paris"],
                "destLang": "de",
                "translated": DE,
            }
        ]
    ]
    assert harness.frames("d-dan") == [
        [
            {
                "room": "lobby",
                "timestamp": message["timestamp"],
                "user": "Ana",
                "lang": "en",
                "content": TEXT,
                "topics": {"Paris": 2},
                "sentiment": "POSITIVE",
                "roomTopics": ["Paris"],
            }
        ]
    ]
    item = only_item(harness)
    assert item["status"] == {"S": "published"}
    assert item["translations"] == {"M": {"de": {"S": DE}, "fr": {"S": FR}}}
    assert item["topics"] == {"M": {"Paris": {"N": "2"}}}
    assert item["clientId"] == {"S": "m-1"}
    assert "review" not in item
    assert "flagReason" not in item
    assert message["messageId"] == item["msgId"]["S"]
    assert harness.operations("comprehend") == [
        "DetectDominantLanguage",
        "DetectSentiment",
        "DetectEntities",
    ]
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["MessagesPosted"] == 1
    assert metrics["TranslatedCharacters"] == 2 * len(TEXT)


def test_post_topics_accumulate_across_messages(harness: Harness) -> None:
    """Room topic counters add up; roomTopics is the top 3, most counted first."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    texts = [
        ("We went to Rome and Paris last summer", ["Rome", "Paris"]),
        ("Paris is lovely, and Oslo and Lima too", ["Paris", "Oslo", "Lima"]),
        ("Next year: Paris, Lima and Cairo for sure", ["Paris", "Lima", "Cairo"]),
    ]
    for text, entities in texts:
        harness.expect_language(text, "en")
        harness.expect_sentiment(text, "en", "NEUTRAL")
        harness.expect_entities(text, "en", entities)
        harness.expect_posts("a-ana", "a-ana")
        harness.send("a-ana", {"action": "message", "content": text})
    frames = harness.frames("a-ana")
    assert frames[-1]["roomTopics"][:2] == ["Paris", "Lima"]
    assert len(frames[-1]["roomTopics"]) == 3
    top = harness.runtime.topics.top("lobby", 3)
    assert top[:2] == [("Paris", 3), ("Lima", 2)]
    assert len(top) == 3


def test_post_short_text_uses_the_senders_language(harness: Harness) -> None:
    """Under 20 characters there is no language detection: the sender's language is used."""
    harness.seed_connection("a-ana", "lobby", "it", "Ana")
    harness.expect_sentiment("grazie", "it", "POSITIVE")
    harness.expect_entities("grazie", "it", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.send("a-ana", {"action": "message", "content": "grazie"})
    assert harness.frames("a-ana")[1]["lang"] == "it"
    assert "DetectDominantLanguage" not in harness.operations("comprehend")


@pytest.mark.parametrize(
    ("detected", "score"),
    [("en", 0.31), ("xx", 0.99)],
    ids=["unsure", "not-served"],
)
def test_post_unsure_detection_falls_back_to_senders_language(
    harness: Harness, detected: str, score: float
) -> None:
    """A low score or a language we do not serve means the sender's chosen language."""
    text = "okay okay okay okay okay"
    harness.seed_connection("a-ana", "lobby", "es", "Ana")
    harness.expect_language(text, detected, score)
    harness.expect_sentiment(text, "es", "NEUTRAL")
    harness.expect_entities(text, "es", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.send("a-ana", {"action": "message", "content": text})
    assert harness.frames("a-ana")[1]["lang"] == "es"


def test_post_detection_failure_falls_back_and_still_publishes(harness: Harness) -> None:
    """DetectDominantLanguage failing is not fatal: the sender's language is used."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_comprehend_error("detect_dominant_language")
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_entities(TEXT, "en", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.send("a-ana", {"action": "message", "content": TEXT})
    assert harness.frames("a-ana")[0]["status"] == "published"


def test_post_without_sentiment_model_translates_to_english_once(harness: Harness) -> None:
    """Dutch is checked in English; that English is saved and reused for English readers."""
    text = "Ik vind Amsterdam een geweldige stad om te wonen"
    english = "I think Amsterdam is a great city to live in"
    harness.seed_connection("a-ana", "lobby", "nl", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_language(text, "nl")
    harness.expect_translation(text, "nl", "en", english)
    harness.expect_sentiment(english, "en", "POSITIVE")
    harness.expect_entities(english, "en", ["Amsterdam"])
    harness.expect_posts("a-ana", "a-ana", "b-bo")
    harness.send("a-ana", {"action": "message", "content": text})
    bo_message = harness.frames("b-bo")[0]
    assert (bo_message["text"], bo_message["translation"]) == (english, "translated")
    assert harness.operations("translate") == ["TranslateText"]
    assert only_item(harness)["translations"] == {"M": {"en": {"S": english}}}


def test_post_negative_is_rejected_for_the_sender_only(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """NEGATIVE: only the sender hears, in their language; stored rejected and queued for review."""
    text = "Everyone here is stupid and I hate this place"
    harness.seed_connection("a-ana", "lobby", "ko", "Ana")  # ko: a notice not written, translated
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_language(text, "en")
    harness.expect_sentiment(text, "en", "NEGATIVE")
    harness.expect_translation(
        "Please find a better way to express this.",
        "en",
        "ko",
        "더 나은 표현 방법을 찾아 주세요.",
    )
    harness.expect_posts("a-ana")
    capsys.readouterr()
    harness.send("a-ana", {"action": "message", "content": text, "id": "m-2"})
    [rejected] = harness.frames("a-ana")
    item = only_item(harness)
    assert rejected == {
        "type": "rejected",
        "id": "m-2",
        "messageId": item["msgId"]["S"],
        "reason": "NEGATIVE",
        "notice": "더 나은 표현 방법을 찾아 주세요.",
        "noticeLang": "ko",
    }
    assert harness.frames("b-bo") == []
    assert_flagged(item, "rejected", "NEGATIVE")
    assert item["sentiment"] == {"S": "NEGATIVE"}
    assert "DetectEntities" not in harness.operations("comprehend")
    assert emitted_metrics(capsys.readouterr().out)["MessagesRejected"] == 1

    # The notice translation is cached for the execution environment.
    harness.expect_language(text, "en")
    harness.expect_sentiment(text, "en", "NEGATIVE")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": text, "id": "m-3"})
    assert harness.frames("a-ana")[0]["noticeLang"] == "ko"
    assert harness.operations("translate") == ["TranslateText"]


def test_post_negative_v1_gets_the_originals_notice(harness: Harness) -> None:
    """A v1 sender gets the polite notice as a message from "Positive Chat"."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana", version=1)
    harness.expect_sentiment("you are awful", "en", "NEGATIVE")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "user": "Ana", "content": "you are awful"})
    [[notice]] = harness.frames("a-ana")
    assert notice == {
        "room": "lobby",
        "timestamp": notice["timestamp"],
        "user": "Positive Chat",
        "lang": "en",
        "content": "Please find a better way to express this.",
        "topics": {},
        "sentiment": "NEUTRAL",
        "roomTopics": [],
    }


def test_post_sentiment_throttled_is_held_not_published(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """Comprehend failing after retries: the message is held for review, the room sees nothing."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_language(TEXT, "en")
    harness.expect_comprehend_error("detect_sentiment", "ThrottlingException")
    harness.expect_posts("a-ana")
    capsys.readouterr()
    harness.send("a-ana", {"action": "message", "content": TEXT, "id": "m-4"})
    [held] = harness.frames("a-ana")
    item = only_item(harness)
    assert held == {
        "type": "held",
        "id": "m-4",
        "messageId": item["msgId"]["S"],
        "reason": "SERVICE_UNAVAILABLE",
        "notice": "Your message is delayed: it will appear once it has been checked.",
        "noticeLang": "en",
    }
    assert harness.frames("b-bo") == []
    assert_flagged(item, "held", "SERVICE_UNAVAILABLE")
    assert emitted_metrics(capsys.readouterr().out)["MessagesHeld"] == 1


def test_post_pretranslation_failure_is_held(harness: Harness) -> None:
    """If the English translation needed for sentiment fails, the text could not be checked."""
    text = "Hyvää huomenta kaikille ystäville täällä"
    harness.seed_connection("a-ana", "lobby", "fi", "Ana")
    harness.expect_language(text, "fi")
    harness.expect_translation_error(text, "fi", "en", "ServiceUnavailableException")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": text})
    assert harness.frames("a-ana")[0]["type"] == "held"
    assert only_item(harness)["status"] == {"S": "held"}


def test_post_entities_failure_publishes_without_topics(harness: Harness) -> None:
    """The text was checked; if only DetectEntities fails, it is published without topics."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_language(TEXT, "en")
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_comprehend_error("detect_entities", "InternalServerException")
    harness.expect_posts("a-ana", "a-ana")
    harness.send("a-ana", {"action": "message", "content": TEXT})
    ack, message = harness.frames("a-ana")
    assert ack["status"] == "published"
    assert message["topics"] == {}


def test_post_translation_failure_delivers_original_marked(harness: Harness) -> None:
    """Translate failing on fan-out: v2 gets the original marked unavailable, v1 no destLang."""
    seed_room(harness)
    harness.expect_language(TEXT, "en")
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_entities(TEXT, "en", [])
    harness.expect_translation_error(TEXT, "en", "de")
    harness.expect_translation(TEXT, "en", "fr", FR)
    harness.expect_posts("a-ana", "a-ana", "b-bo", "c-cy", "d-dan")
    harness.send("a-ana", {"action": "message", "content": TEXT})
    [[cy]] = harness.frames("c-cy")
    assert "destLang" not in cy
    assert "translated" not in cy
    assert cy["content"] == TEXT
    assert harness.frames("b-bo")[0]["translation"] == "translated"
    assert only_item(harness)["translations"] == {"M": {"fr": {"S": FR}}}


def test_post_gone_reader_is_pruned_and_the_room_told(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 410 Gone reader is deleted, counted and announced; the others still get the message."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.seed_connection("c-cy", "lobby", "en", "Cy")
    harness.expect_sentiment("hello all", "en", "POSITIVE")
    harness.expect_entities("hello all", "en", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.expect_post_error("b-bo", "GoneException", 410)
    harness.expect_posts("c-cy", "a-ana", "c-cy")
    capsys.readouterr()
    harness.send("a-ana", {"action": "message", "content": "hello all"})
    assert harness.connection_item("b-bo") is None
    assert harness.connection_item("c-cy") is not None
    cy_message, cy_presence = harness.frames("c-cy")
    assert cy_message["content"] == "hello all"
    assert cy_presence == {
        "type": "presence",
        "room": "lobby",
        "event": "leave",
        "user": "Bo",
        "members": [{"user": "Ana", "lang": "en"}, {"user": "Cy", "lang": "en"}],
        "count": 2,
    }
    assert emitted_metrics(capsys.readouterr().out)["StaleConnectionsPruned"] == 1


def test_post_other_failure_for_one_reader_does_not_stop_others(harness: Harness) -> None:
    """A throttled PostToConnection for one reader is logged; the rest are delivered."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.seed_connection("c-cy", "lobby", "en", "Cy")
    harness.expect_sentiment("hello all", "en", "POSITIVE")
    harness.expect_entities("hello all", "en", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.expect_post_error("b-bo", "LimitExceededException", 429)
    harness.expect_posts("c-cy")
    harness.send("a-ana", {"action": "message", "content": "hello all"})
    assert harness.frames("c-cy")[0]["content"] == "hello all"
    assert harness.connection_item("b-bo") is not None


def test_post_duplicate_client_id_is_acked_again_and_not_redelivered(harness: Harness) -> None:
    """A resent client id gets the same ack; nothing is analysed, stored or delivered again."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_sentiment("hello again", "en", "POSITIVE")
    harness.expect_entities("hello again", "en", [])
    harness.expect_posts("a-ana", "a-ana", "b-bo")
    harness.send("a-ana", {"action": "message", "content": "hello again", "id": "dup-1"})
    first_ack = harness.frames("a-ana")[0]
    harness.frames()

    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": "hello again", "id": "dup-1"})
    assert harness.frames("a-ana") == [first_ack]
    assert harness.frames("b-bo") == []
    assert len(harness.message_items("lobby")) == 1
    assert harness.operations("comprehend") == ["DetectSentiment", "DetectEntities"]


def test_post_duplicate_while_in_progress_gets_in_progress(harness: Harness) -> None:
    """The same client id arriving while the first is still running gets IN_PROGRESS."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    duplicate = {"action": "message", "content": "hello again", "id": "dup-2"}
    nested: list[dict[str, Any]] = []

    def resend_during_analysis(**_: Any) -> None:
        if not nested:
            nested.append(harness.send("a-ana", duplicate))

    harness.runtime.clients.comprehend.meta.events.register_first(
        "before-parameter-build.comprehend.DetectSentiment", resend_during_analysis
    )
    try:
        harness.expect_sentiment("hello again", "en", "POSITIVE")
        harness.expect_entities("hello again", "en", [])
        harness.expect_posts("a-ana", "a-ana", "a-ana")
        harness.send("a-ana", duplicate)
    finally:
        harness.runtime.clients.comprehend.meta.events.unregister(
            "before-parameter-build.comprehend.DetectSentiment", resend_during_analysis
        )
    error, ack, _message = harness.frames("a-ana")
    assert error["type"] == "error"
    assert error["code"] == "IN_PROGRESS"
    assert error["id"] == "dup-2"
    assert ack["type"] == "ack"


def test_post_v1_binds_the_name_on_the_first_message_only(harness: Harness) -> None:
    """v1: the first message's user is bound (and announced); later names are ignored."""
    harness.seed_connection("a-ana", "lobby", "en", None, version=1)
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_sentiment("hi there", "en", "POSITIVE")
    harness.expect_entities("hi there", "en", [])
    harness.expect_posts("b-bo", "a-ana", "b-bo")
    harness.send("a-ana", {"action": "message", "user": "Ana", "content": "hi there"})
    presence, message = harness.frames("b-bo")
    assert (presence["event"], presence["user"]) == ("join", "Ana")
    assert message["user"] == "Ana"

    harness.expect_sentiment("it is me", "en", "POSITIVE")
    harness.expect_entities("it is me", "en", [])
    harness.expect_posts("a-ana", "b-bo")
    harness.send("a-ana", {"action": "message", "user": "Mallory", "content": "it is me"})
    assert harness.frames("b-bo")[0]["user"] == "Ana"
    assert harness.connection_item("a-ana")["user"] == {"S": "Ana"}  # type: ignore[index]


def test_post_v2_identity_comes_from_the_connection(harness: Harness) -> None:
    """A v2 message naming another user is still posted as the connection's user."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_sentiment("hi there", "en", "POSITIVE")
    harness.expect_entities("hi there", "en", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.send("a-ana", {"action": "message", "user": "Mallory", "content": "hi there"})
    assert harness.frames("a-ana")[1]["user"] == "Ana"


def test_post_text_is_kept_exactly_as_typed(harness: Harness) -> None:
    """Markup is text: nothing is stripped or escaped on the server."""
    text = "<b>hi</b> & <script>alert(1)</script>\n\tbye"
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_language(text, "en")
    harness.expect_sentiment(text, "en", "NEUTRAL")
    harness.expect_entities(text, "en", [])
    harness.expect_posts("a-ana", "a-ana")
    harness.send("a-ana", {"action": "message", "content": text})
    assert harness.frames("a-ana")[1]["content"] == text
    assert only_item(harness)["content"] == {"S": text}
