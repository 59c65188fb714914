"""Unit tests of the cost levers' parts: cache keys, the LRU, the tiers, the detector's rules."""

from __future__ import annotations

from typing import Any

import pytest
from positive_chat.adapters.offline_detector import OfflineDetector
from positive_chat.config import ConfigurationError
from positive_chat.domain.caching import (
    CachingAnalyzer,
    CachingTranslator,
    MemoryCache,
    TieredCache,
    cache_key,
    normalise,
)
from positive_chat.domain.errors import LanguageServiceError
from positive_chat.domain.model import Sentiment
from positive_chat.levers import CostLevers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Thanks!", "thanks!", id="case"),
        pytest.param("  see \t you\n\nsoon  ", "see you soon", id="whitespace"),
        pytest.param("Cafe\u0301", "café", id="nfc"),
        pytest.param("STRASSE Straße", "strasse strasse", id="casefold-not-lower"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalise_folds_case_composition_and_whitespace(raw: str, expected: str) -> None:
    """Texts that differ only in case, Unicode composition or spacing normalise alike."""
    assert normalise(raw) == expected


def test_cache_key_is_shared_by_equivalent_texts_and_holds_no_text() -> None:
    """Equivalent texts share a key; kinds and languages separate keys; the text is hashed."""
    key = cache_key("tr", "Hello  World", "en", "fr")
    assert key == cache_key("tr", "hello world", "en", "fr")
    assert key != cache_key("tr", "hello world", "en", "de")
    assert key != cache_key("sent", "hello world", "en")
    assert key.startswith("tr#en#fr#")
    assert "hello" not in key.lower()
    assert len(key.rsplit("#", 1)[1]) == 64


def test_memory_cache_expires_entries_after_ttl() -> None:
    """An entry is served until its TTL passes, then it is a miss."""
    now = [100.0]
    cache = MemoryCache(8, 10, clock=lambda: now[0])
    cache.put("k", "v")
    now[0] = 109.9
    assert cache.get("k") == "v"
    now[0] = 110.0
    assert cache.get("k") is None
    assert len(cache) == 0


def test_memory_cache_evicts_the_least_recently_used() -> None:
    """When full, the entry read least recently goes first."""
    cache = MemoryCache(2, 60)
    cache.put("a", "1")
    cache.put("b", "2")
    assert cache.get("a") == "1"  # b is now the least recently used
    cache.put("c", "3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("1", None, "3")


@pytest.mark.parametrize(
    ("entries", "ttl"), [pytest.param(0, 1, id="no-entries"), pytest.param(1, 0, id="no-ttl")]
)
def test_memory_cache_refuses_bad_sizes(entries: int, ttl: float) -> None:
    """A cache of no entries or no lifetime is a configuration error."""
    with pytest.raises(ValueError, match="must be"):
        MemoryCache(entries, ttl)


def test_tiered_cache_fills_memory_from_the_table() -> None:
    """A table hit is copied into memory, so the next read costs no table request."""
    memory, table = MemoryCache(8, 60), MemoryCache(8, 60)
    table.put("sent#en#x", '"v"')
    tiers = TieredCache(memory, table)
    assert tiers.get("sent#en#x") == '"v"'
    assert memory.get("sent#en#x") == '"v"'
    assert tiers.get("tr#en#fr#y") is None
    assert tiers.stats == {"sent:hit": 1, "tr:miss": 1}


class CountingAnalyzer:
    """Answers fixed results and counts calls; can fail."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def detect_language(self, text: str) -> tuple[str, float] | None:
        self.calls.append("lang")
        return None

    def sentiment(self, text: str, lang: str) -> Sentiment:
        self.calls.append("sent")
        if self.fail:
            raise LanguageServiceError("ThrottlingException")
        return Sentiment("POSITIVE", {"Positive": 0.9})

    def entities(self, text: str, lang: str) -> list[str]:
        self.calls.append("ent")
        return ["Paris"]


def test_caching_analyzer_answers_repeats_from_cache() -> None:
    """Each kind of result is computed once per normalised text, including a None language."""
    inner = CountingAnalyzer()
    analyzer = CachingAnalyzer(inner, MemoryCache(16, 60))
    for text in ("Hello Paris", "hello   PARIS"):
        assert analyzer.detect_language(text) is None
        assert analyzer.sentiment(text, "en") == Sentiment("POSITIVE", {"Positive": 0.9})
        assert analyzer.entities(text, "en") == ["Paris"]
    assert inner.calls == ["lang", "sent", "ent"]


def test_caching_analyzer_passes_failures_through_uncached() -> None:
    """A service failure raises every time; nothing is stored for it."""
    inner = CountingAnalyzer(fail=True)
    memory = MemoryCache(16, 60)
    analyzer = CachingAnalyzer(inner, memory)
    for _ in range(2):
        with pytest.raises(LanguageServiceError):
            analyzer.sentiment("Hello", "en")
    assert inner.calls == ["sent", "sent"]
    assert len(memory) == 0


def test_caching_translator_keys_by_language_pair() -> None:
    """A translation is reused for its (source, target) only; same-language asks nothing."""
    calls: list[tuple[str, str]] = []

    class Inner:
        def translate(self, text: str, source: str, target: str) -> str:
            calls.append((source, target))
            return text if source == target else f"[{target}] {text}"

    translator = CachingTranslator(Inner(), MemoryCache(16, 60))
    assert translator.translate("Hi", "en", "fr") == "[fr] Hi"
    assert translator.translate("hi", "en", "fr") == "[fr] Hi"
    assert translator.translate("Hi", "en", "de") == "[de] Hi"
    assert translator.translate("Hi", "en", "en") == "Hi"
    assert calls == [("en", "fr"), ("en", "de"), ("en", "en")]


class FixedModel:
    """A detector model that always answers the same guess."""

    def __init__(self, lang: str, probability: float) -> None:
        self.answer = (lang, probability)

    def classify(self, text: str) -> tuple[str, float]:
        return self.answer


def detector_with(model: Any, languages: tuple[str, ...] = ("en", "fr", "zh-TW")) -> Any:
    """An OfflineDetector whose model is ``model`` (no py3langid needed)."""
    detector = OfflineDetector(languages)
    detector._model = model
    detector._known = frozenset(code for code in languages if code != "zh-TW")
    return detector


@pytest.mark.parametrize(
    ("guess", "probability", "text", "lang", "expected"),
    [
        pytest.param("en", 0.99, "We are planning a trip to Paris", "en", True, id="sure-agrees"),
        pytest.param("en", 0.94, "We are planning a trip to Paris", "en", False, id="unsure"),
        pytest.param("fr", 0.99, "We are planning a trip to Paris", "en", False, id="disagrees"),
        pytest.param("en", 0.99, "thanks a lot", "en", False, id="short"),
        pytest.param("en", 0.99, "   padded short text    ", "en", False, id="short-after-strip"),
        pytest.param(
            "zh", 0.99, "我們明年春天要去巴黎旅行非常期待的", "zh-TW", False, id="indistinct"
        ),
        pytest.param("en", 0.99, "We are planning a trip to Paris", "xx", False, id="unknown-lang"),
    ],
)
def test_detector_confirms_only_when_sure(
    guess: str, probability: float, text: str, lang: str, expected: bool
) -> None:
    """Confirmation needs >= 20 characters, the same language, and probability >= 0.95."""
    assert detector_with(FixedModel(guess, probability)).confirms(text, lang) is expected


def test_detector_is_silent_until_loaded_and_after_a_model_error() -> None:
    """No model yet, or a model that raises, means 'not sure' (ask Comprehend)."""
    detector = OfflineDetector(["en"])
    assert not detector.ready
    assert detector.confirms("We are planning a trip to Paris", "en") is False

    class Broken:
        def classify(self, text: str) -> tuple[str, float]:
            raise RuntimeError("boom")

    assert detector_with(Broken()).confirms("We are planning a trip to Paris", "en") is False


def test_cost_levers_from_env_turns_everything_on_by_default() -> None:
    """The product default: the shared table when named, the memory tier, the detector."""
    levers = CostLevers.from_env({"CACHE_TABLE": "cache"})
    assert levers == CostLevers(
        cache_table="cache", cache_memory_entries=4096, offline_detector=True
    )
    assert CostLevers().caching is False
    assert CostLevers.from_env({"OFFLINE_LANGUAGE_DETECTOR": "OFF"}).offline_detector is False


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"OFFLINE_LANGUAGE_DETECTOR": "maybe"}, id="detector"),
        pytest.param({"CACHE_TTL_SECONDS": "0"}, id="ttl-zero"),
        pytest.param({"CACHE_MEMORY_ENTRIES": "many"}, id="entries-not-int"),
    ],
)
def test_cost_levers_from_env_refuses_bad_values(environ: dict[str, str]) -> None:
    """A malformed lever setting is a clear ConfigurationError."""
    with pytest.raises(ConfigurationError):
        CostLevers.from_env(environ)
