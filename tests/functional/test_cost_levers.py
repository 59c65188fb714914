"""The cost levers through the real handler: analysis/translation cache, offline detector, and
the policies that spend nothing (no entities for refused messages, translation only into the
languages of readers present).

Comprehend and Translate are Stubbers: a call that no test queued a response for fails the test
(the harness records every attempted call too), so "no call" is proved, not assumed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from conftest import TABLES, Harness, Settings, StepClock
from positive_chat import app
from positive_chat.adapters.offline_detector import OfflineDetector
from positive_chat.domain.languages import LANGUAGES
from positive_chat.levers import CostLevers

ZH_TW = "我們明年春天要去巴黎旅行非常期待這次的旅程"
TEXT = "I love Paris in the spring, it is wonderful!"
FR = "J'adore Paris au printemps, c'est merveilleux !"
CACHE_ONLY = CostLevers(cache_table=TABLES["CacheTable"], cache_memory_entries=64)
TABLE_ONLY = CostLevers(cache_table=TABLES["CacheTable"])
DETECTOR_ONLY = CostLevers(offline_detector=True)

MakeRuntime = Callable[[CostLevers], app.Runtime]


@pytest.fixture(scope="module")
def detector() -> OfflineDetector:
    """One loaded detector for the module (loading the model takes about a second)."""
    loaded = OfflineDetector(LANGUAGES)
    assert loaded.load()
    return loaded


@pytest.fixture
def with_levers(harness: Harness, settings: Settings, detector: OfflineDetector) -> MakeRuntime:
    """Swap the harness's runtime for one with the given levers (a new execution environment)."""

    def make(levers: CostLevers) -> app.Runtime:
        old = harness.runtime
        runtime = app.Runtime(
            settings=settings,
            clients=old.clients,
            clock=StepClock(),
            levers=replace(levers, offline_detector=False),
            resilience=old.resilience,
        )
        if levers.offline_detector:  # the composed runtime, with the already loaded model
            runtime.language = replace(runtime.language, detector=detector)
        old.fanout_pool.shutdown(wait=True)
        old.translate_pool.shutdown(wait=True)
        harness.runtime = runtime  # the harness shuts this one's pools down
        app.install_runtime(runtime)
        return runtime

    return make


def seed_room(harness: Harness) -> None:
    """ana (en) writes; bo (fr) reads."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "fr", "Bo")


def expect_full_analysis(harness: Harness) -> None:
    """Everything a first, positive English TEXT costs: 3 Comprehend calls and 1 translation."""
    harness.expect_language(TEXT, "en")
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_entities(TEXT, "en", ["Paris"])
    harness.expect_translation(TEXT, "en", "fr", FR)
    harness.expect_posts("a-ana", "a-ana", "b-bo")


def test_cost_cache_hit_in_memory_makes_no_language_service_call(
    harness: Harness, with_levers: MakeRuntime
) -> None:
    """The same text again, differently cased and spaced, costs no Comprehend or Translate call."""
    runtime = with_levers(CACHE_ONLY)
    seed_room(harness)
    expect_full_analysis(harness)
    harness.send("a-ana", {"action": "message", "content": TEXT})
    harness.frames()
    harness.calls.clear()

    harness.expect_posts("a-ana", "a-ana", "b-bo")  # nothing else is queued
    again = "  i LOVE paris in the\tspring, it is WONDERFUL!"
    harness.send("a-ana", {"action": "message", "content": again})

    assert harness.operations("comprehend") == []
    assert harness.operations("translate") == []
    (bo,) = harness.frames("b-bo")
    assert (bo["text"], bo["translation"], bo["topics"]) == (FR, "translated", {"Paris": 1})
    assert runtime.language.cache is not None
    assert runtime.language.cache.stats["sent:hit"] == 1
    assert runtime.language.cache.stats["tr:hit"] == 1


def test_cost_cache_hit_in_shared_table_survives_a_new_environment(
    harness: Harness, with_levers: MakeRuntime
) -> None:
    """A second execution environment (empty memory) is answered by the DynamoDB CacheTable."""
    with_levers(TABLE_ONLY)
    seed_room(harness)
    expect_full_analysis(harness)
    harness.send("a-ana", {"action": "message", "content": TEXT})
    harness.frames()
    cached = harness.dynamodb.scan(TableName=TABLES["CacheTable"])["Items"]
    assert {item["cacheKey"]["S"].split("#", 1)[0] for item in cached} == {
        "lang",
        "sent",
        "ent",
        "tr",
    }
    assert all(TEXT not in str(item["cacheKey"]) for item in cached)  # keys hold no user text

    with_levers(TABLE_ONLY)
    harness.calls.clear()
    harness.expect_posts("a-ana", "a-ana", "b-bo")
    harness.send("a-ana", {"action": "message", "content": TEXT})

    assert harness.operations("comprehend") == []
    assert harness.operations("translate") == []
    (bo,) = harness.frames("b-bo")
    assert bo["text"] == FR


def test_cost_cache_never_keeps_a_failure(harness: Harness, with_levers: MakeRuntime) -> None:
    """A Comprehend failure (message held) is asked again next time, not answered from cache."""
    with_levers(CACHE_ONLY)
    seed_room(harness)
    harness.expect_language(TEXT, "en")
    harness.expect_comprehend_error("detect_sentiment")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": TEXT})
    assert harness.frames("a-ana")[0]["type"] == "held"
    harness.calls.clear()

    harness.expect_sentiment(TEXT, "en", "POSITIVE")  # asked again; the language was cached
    harness.expect_entities(TEXT, "en", [])
    harness.expect_translation(TEXT, "en", "fr", FR)
    harness.expect_posts("a-ana", "a-ana", "b-bo")
    harness.send("a-ana", {"action": "message", "content": TEXT})

    assert harness.operations("comprehend") == ["DetectSentiment", "DetectEntities"]


def test_cost_detector_skips_language_detection_when_confident(
    harness: Harness, with_levers: MakeRuntime
) -> None:
    """Clear English from an English sender: no DetectDominantLanguage, sentiment still checked."""
    with_levers(DETECTOR_ONLY)
    seed_room(harness)
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_entities(TEXT, "en", [])
    harness.expect_translation(TEXT, "en", "fr", FR)
    harness.expect_posts("a-ana", "a-ana", "b-bo")

    harness.send("a-ana", {"action": "message", "content": TEXT})

    assert harness.operations("comprehend") == ["DetectSentiment", "DetectEntities"]


@pytest.mark.parametrize(
    ("sender_lang", "text", "detected"),
    [
        pytest.param("fr", TEXT, "en", id="disagrees-with-chosen-language"),
        pytest.param("en", "12345 67890 12345 67890 !!", "en", id="not-confident"),
        pytest.param("zh-TW", ZH_TW, "zh-TW", id="indistinct"),
    ],
)
def test_cost_detector_asks_comprehend_when_not_sure(
    harness: Harness, with_levers: MakeRuntime, sender_lang: str, text: str, detected: str
) -> None:
    """The detector disagreeing, unsure or unable to tell (zh-TW) leaves it to Comprehend."""
    with_levers(DETECTOR_ONLY)
    harness.seed_connection("a-ana", "lobby", sender_lang, "Ana")
    harness.expect_language(text, detected)
    harness.expect_sentiment(text, detected, "NEUTRAL")
    harness.expect_entities(text, detected, [])
    harness.expect_posts("a-ana", "a-ana")

    harness.send("a-ana", {"action": "message", "content": text})

    assert harness.operations("comprehend")[0] == "DetectDominantLanguage"


def test_cost_refused_message_pays_for_no_entities(harness: Harness) -> None:
    """A NEGATIVE message costs language + sentiment only: no DetectEntities, no translation."""
    seed_room(harness)
    text = "I hate this stupid room and everyone in it"
    harness.expect_language(text, "en")
    harness.expect_sentiment(text, "en", "NEGATIVE")
    harness.expect_posts("a-ana")

    harness.send("a-ana", {"action": "message", "content": text})

    assert harness.operations("comprehend") == ["DetectDominantLanguage", "DetectSentiment"]
    assert harness.operations("translate") == []


def test_cost_translates_only_into_languages_of_readers_present(harness: Harness) -> None:
    """Readers in en, fr, fr: one TranslateText (en->fr), none for languages nobody reads."""
    seed_room(harness)
    harness.seed_connection("c-cy", "lobby", "fr", "Cy")
    harness.expect_language(TEXT, "en")
    harness.expect_sentiment(TEXT, "en", "POSITIVE")
    harness.expect_entities(TEXT, "en", [])
    harness.expect_translation(TEXT, "en", "fr", FR)
    harness.expect_posts("a-ana", "a-ana", "b-bo", "c-cy")

    harness.send("a-ana", {"action": "message", "content": TEXT})

    assert harness.operations("translate") == ["TranslateText"]
