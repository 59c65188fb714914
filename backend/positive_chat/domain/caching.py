"""Translation memory and analysis cache: chat repeats itself, and Comprehend bills >= 300 chars.

This module owns what is remembered about a text and for how long. Results are keyed by the
*normalised* text (Unicode NFC, case-folded, runs of whitespace collapsed, trimmed), hashed
(SHA-256) so the key is short and holds no user text:

- DetectDominantLanguage per text, DetectSentiment and DetectEntities per (text, language);
- TranslateText per (text, source, target).

Two tiers: a small LRU in memory per execution environment (entries expire after
``memory_ttl_seconds``) in front of a DynamoDB table shared by every environment (items carry an
epoch-seconds ``ttl`` attribute that DynamoDB's TTL deletes; an expired item still present is a
miss). Failures are never cached, and a cache that cannot be read or written is a miss, never an
error: the message goes on with the real service call.

Case folding is deliberate: "Thanks!" and "thanks!" have the same sentiment and entities, and
sharing their translation saves a paid request at the price of the first writer's casing.

``CachingAnalyzer`` and ``CachingTranslator`` wrap the analyzer and translator ports (see
chat.py); ``app`` composes them. The shared table is an adapter: adapters/cache_table.py.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from positive_chat.domain.model import Sentiment
from positive_chat.domain.ports import Analyzer, CacheStore, Translator

if TYPE_CHECKING:
    from positive_chat.domain.ports import (
        Analyzer,
        Translator,
    )

__all__ = [
    "CachingAnalyzer",
    "CachingTranslator",
    "MemoryCache",
    "TieredCache",
    "cache_key",
    "normalise",
]

logger = logging.getLogger(__name__)


def normalise(text: str) -> str:
    """``text`` as the cache sees it: NFC, case-folded, whitespace collapsed and trimmed."""
    folded = unicodedata.normalize("NFC", text).casefold()
    # Case folding can undo composition (e.g. "İ"); compose again so equal texts stay equal.
    return " ".join(unicodedata.normalize("NFC", folded).split())


def cache_key(kind: str, text: str, *qualifiers: str) -> str:
    """``kind#qualifier...#sha256(normalised text)``; the qualifiers are language codes."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
    return "#".join((kind, *qualifiers, digest))


class MemoryCache:
    """A thread-safe LRU with a time to live, for one execution environment."""

    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self._max = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> str | None:
        """The live value of ``key``, now the most recently used; else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: str) -> None:
        """Remember ``value``; the least recently used entry goes when full."""
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


class TieredCache:
    """Memory first, then the shared table (a table hit is remembered in memory)."""

    def __init__(self, memory: CacheStore | None, table: CacheStore | None) -> None:
        self._tiers = [tier for tier in (memory, table) if tier is not None]
        self._memory = memory
        self.stats: Counter[str] = Counter()  # "<kind>:hit" / "<kind>:miss"
        self._stats_lock = threading.Lock()

    def get(self, key: str) -> str | None:
        """The first tier's value; earlier tiers are filled on the way back."""
        for index, tier in enumerate(self._tiers):
            value = tier.get(key)
            if value is not None:
                for earlier in self._tiers[:index]:
                    earlier.put(key, value)
                self._count(key, "hit")
                return value
        self._count(key, "miss")
        return None

    def put(self, key: str, value: str) -> None:
        """Store in every tier."""
        for tier in self._tiers:
            tier.put(key, value)

    def _count(self, key: str, outcome: str) -> None:
        with self._stats_lock:
            self.stats[f"{key.split('#', 1)[0]}:{outcome}"] += 1


def _cached(cache: CacheStore, key: str, compute: Callable[[], Any]) -> Any:
    """The cached JSON value of ``key``, else ``compute()`` stored (exceptions pass through)."""
    raw = cache.get(key)
    if raw is not None:
        try:
            return json.loads(raw)
        except ValueError:
            logger.warning("undecodable cache value ignored")
    value = compute()
    cache.put(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return value


class CachingAnalyzer:
    """The Analyzer port, remembering Comprehend's answers per normalised text."""

    def __init__(self, inner: Analyzer, cache: CacheStore) -> None:
        self._inner = inner
        self._cache = cache

    def detect_language(self, text: str) -> tuple[str, float] | None:
        """The dominant language and its score, or None (both remembered)."""
        value = _cached(
            self._cache, cache_key("lang", text), lambda: _pair(self._inner.detect_language(text))
        )
        if value is None:
            return None
        return str(value[0]), float(value[1])

    def sentiment(self, text: str, lang: str) -> Sentiment:
        """The sentiment of ``text`` in ``lang``."""

        def compute() -> dict[str, Any]:
            result = self._inner.sentiment(text, lang)
            return {"label": result.label, "scores": dict(result.scores)}

        value = _cached(self._cache, cache_key("sent", text, lang), compute)
        return Sentiment(
            label=str(value["label"]),
            scores={str(k): float(v) for k, v in value["scores"].items()},
        )

    def entities(self, text: str, lang: str) -> list[str]:
        """The entity texts of ``text`` in ``lang``."""
        value = _cached(
            self._cache, cache_key("ent", text, lang), lambda: self._inner.entities(text, lang)
        )
        return [str(entity) for entity in value]


def _pair(detected: tuple[str, float] | None) -> list[Any] | None:
    return None if detected is None else [detected[0], detected[1]]


class CachingTranslator:
    """The Translator port with a translation memory per (normalised text, source, target)."""

    def __init__(self, inner: Translator, cache: CacheStore) -> None:
        self._inner = inner
        self._cache = cache

    def translate(self, text: str, source: str, target: str) -> str:
        """``text`` in ``target`` (no lookup when source and target are the same)."""
        if source == target:
            return self._inner.translate(text, source, target)
        value = _cached(
            self._cache,
            cache_key("tr", text, source, target),
            lambda: self._inner.translate(text, source, target),
        )
        return str(value)
