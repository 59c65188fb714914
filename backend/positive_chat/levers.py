"""The cost levers' settings and their composition around the language ports.

This module owns which cost levers are on (BENCHMARKS.md, "Cost levers"), read once from the
environment that template.yaml sets, and how they wrap the Comprehend/Translate adapters:

- ``CACHE_TABLE``: the shared translation memory and analysis cache (cache.py); unset = only the
  in-memory tier (``CACHE_MEMORY_ENTRIES=0`` turns that off too);
- ``OFFLINE_LANGUAGE_DETECTOR``: ``on`` (default) skips DetectDominantLanguage when the in-Lambda
  detector is sure the text is in the sender's language (detector.py); ``off`` always asks.

``CostLevers()`` itself has every lever off, so a test that counts exact service calls gets the
plain adapters; ``CostLevers.from_env`` is the product's default: every lever on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from positive_chat.adapters.cache_table import DynamoCacheTable
from positive_chat.adapters.offline_detector import OfflineDetector
from positive_chat.config import ConfigurationError
from positive_chat.domain.caching import (
    CachingAnalyzer,
    CachingTranslator,
    MemoryCache,
    TieredCache,
)
from positive_chat.domain.languages import LANGUAGES

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from positive_chat.domain.ports import (
        Analyzer,
        Translator,
    )

__all__ = ["CostLevers", "LanguagePorts", "compose_language_ports"]

CACHE_TTL_SECONDS = 30 * 24 * 3600  # Comprehend's and Translate's models change rarely
CACHE_MEMORY_ENTRIES = 4096  # ~1-2 MB of short texts' results
CACHE_MEMORY_TTL_SECONDS = 3600


@dataclass(frozen=True)
class CostLevers:
    """Which cost levers are on; the defaults are all off (see the module docstring)."""

    cache_table: str | None = None
    cache_ttl_seconds: int = CACHE_TTL_SECONDS
    cache_memory_entries: int = 0
    cache_memory_ttl_seconds: int = CACHE_MEMORY_TTL_SECONDS
    offline_detector: bool = False

    @property
    def caching(self) -> bool:
        """True when any cache tier is on."""
        return self.cache_table is not None or self.cache_memory_entries > 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> CostLevers:
        """Read the levers from ``environ`` (pass ``os.environ``); raise ConfigurationError."""
        detector = (environ.get("OFFLINE_LANGUAGE_DETECTOR") or "on").strip().lower()
        if detector not in ("on", "off"):
            raise ConfigurationError(
                f"OFFLINE_LANGUAGE_DETECTOR must be on or off, got {detector!r}"
            )
        return cls(
            cache_table=environ.get("CACHE_TABLE") or None,
            cache_ttl_seconds=_int(environ, "CACHE_TTL_SECONDS", CACHE_TTL_SECONDS, minimum=1),
            cache_memory_entries=_int(
                environ, "CACHE_MEMORY_ENTRIES", CACHE_MEMORY_ENTRIES, minimum=0
            ),
            offline_detector=detector == "on",
        )


@dataclass(frozen=True)
class LanguagePorts:
    """The analyzer and translator the chat uses, the cache behind them, the detector."""

    analyzer: Analyzer
    translator: Translator
    cache: TieredCache | None
    detector: OfflineDetector | None


def compose_language_ports(
    levers: CostLevers,
    analyzer: Analyzer,
    translator: Translator,
    dynamodb: DynamoDBClient,
    *,
    load_detector_in_background: bool = True,
) -> LanguagePorts:
    """Wrap the adapters with the levers that are on."""
    cache: TieredCache | None = None
    if levers.caching:
        memory = (
            MemoryCache(levers.cache_memory_entries, levers.cache_memory_ttl_seconds)
            if levers.cache_memory_entries > 0
            else None
        )
        table = (
            DynamoCacheTable(dynamodb, levers.cache_table, levers.cache_ttl_seconds)
            if levers.cache_table is not None
            else None
        )
        cache = TieredCache(memory, table)
        analyzer = CachingAnalyzer(analyzer, cache)
        translator = CachingTranslator(translator, cache)
    detector: OfflineDetector | None = None
    if levers.offline_detector:
        detector = OfflineDetector(LANGUAGES)
        if load_detector_in_background:
            detector.start_background_load()
        else:
            detector.load()
    return LanguagePorts(analyzer, translator, cache, detector)


def _int(environ: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from err
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value
