"""Comprehend and Translate adapters.

This module owns the requests to Amazon Comprehend (DetectDominantLanguage, DetectSentiment,
DetectEntities) and Amazon Translate (TranslateText), and turns their failures into
LanguageServiceError / TranslationError. Each request goes through the service's ServiceGuard
(resilience.py: the invocation's deadline, bounded retries, the circuit breaker); a call the guard
refuses (breaker open, no time left) fails the same way, so the caller's fallback answers. A
language pair Translate cannot serve (UnsupportedLanguagePairException, e.g. a local cloud
without offline translation) is a TranslationError like any other: the caller delivers the
original text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.exceptions import BotoCoreError, ClientError

from positive_chat.adapters.resilience import CallRefused, ServiceGuard
from positive_chat.config import CONTENT_MAX_BYTES
from positive_chat.domain.errors import (
    LanguageServiceError,
    TranslationError,
    UnsupportedPairError,
)
from positive_chat.domain.model import Sentiment

if TYPE_CHECKING:
    from mypy_boto3_comprehend import ComprehendClient
    from mypy_boto3_comprehend.literals import LanguageCodeType
    from mypy_boto3_translate import TranslateClient

__all__ = ["AmazonTranslator", "ComprehendAnalyzer", "clip_utf8"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
FAILURES = (ClientError, BotoCoreError, CallRefused)


def clip_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _error_code(err: ClientError | BotoCoreError | CallRefused) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "?"))
    if isinstance(err, CallRefused):
        return err.reason
    return type(err).__name__


def _call(guard: ServiceGuard | None, operation: str, request: Callable[[], T]) -> T:
    return request() if guard is None else guard.call(operation, request)


class ComprehendAnalyzer:
    """Language detection, sentiment and entities with Amazon Comprehend."""

    def __init__(self, client: ComprehendClient, guard: ServiceGuard | None = None) -> None:
        self._client = client
        self._guard = guard

    def detect_language(self, text: str) -> tuple[str, float] | None:
        """The dominant language and its score, or None when Comprehend names none."""
        try:
            response = _call(
                self._guard,
                "DetectDominantLanguage",
                lambda: self._client.detect_dominant_language(Text=text),
            )
        except FAILURES as err:
            logger.warning("DetectDominantLanguage failed", extra={"error_code": _error_code(err)})
            raise LanguageServiceError(_error_code(err)) from err
        languages = response.get("Languages", [])
        if not languages:
            return None
        top = max(languages, key=lambda entry: float(entry.get("Score", 0.0)))
        return str(top.get("LanguageCode", "")), float(top.get("Score", 0.0))

    def sentiment(self, text: str, lang: str) -> Sentiment:
        """POSITIVE, NEGATIVE, NEUTRAL or MIXED, with scores (text clipped to 5 KB)."""
        try:
            response = _call(
                self._guard,
                "DetectSentiment",
                lambda: self._client.detect_sentiment(
                    Text=clip_utf8(text, CONTENT_MAX_BYTES),
                    LanguageCode=cast("LanguageCodeType", lang),  # one of the 12 sentiment codes
                ),
            )
        except FAILURES as err:
            logger.warning("DetectSentiment failed", extra={"error_code": _error_code(err)})
            raise LanguageServiceError(_error_code(err)) from err
        raw_scores: Mapping[str, Any] = response.get("SentimentScore", {})
        scores = {str(k): float(v) for k, v in raw_scores.items()}
        return Sentiment(label=str(response.get("Sentiment", "NEUTRAL")), scores=scores)

    def entities(self, text: str, lang: str) -> list[str]:
        """The texts of the entities Comprehend finds."""
        try:
            response = _call(
                self._guard,
                "DetectEntities",
                lambda: self._client.detect_entities(
                    Text=text,
                    LanguageCode=cast("LanguageCodeType", lang),  # one of the 12 entity codes
                ),
            )
        except FAILURES as err:
            logger.warning("DetectEntities failed", extra={"error_code": _error_code(err)})
            raise LanguageServiceError(_error_code(err)) from err
        return [
            str(entity["Text"]) for entity in response.get("Entities", []) if entity.get("Text")
        ]


# Translate's answer for a pair it does not translate (offline: one Apertium has no route for).
UNSUPPORTED_PAIR = "UnsupportedLanguagePairException"


class AmazonTranslator:
    """Text translation with Amazon Translate."""

    def __init__(self, client: TranslateClient, guard: ServiceGuard | None = None) -> None:
        self._client = client
        self._guard = guard

    def translate(self, text: str, source: str, target: str) -> str:
        """``text`` from ``source`` into ``target`` (no call when they are the same)."""
        if source == target:
            return text
        try:
            response = _call(
                self._guard,
                "TranslateText",
                lambda: self._client.translate_text(
                    Text=text, SourceLanguageCode=source, TargetLanguageCode=target
                ),
            )
        except FAILURES as err:
            code = _error_code(err)
            failure = UnsupportedPairError if code == UNSUPPORTED_PAIR else TranslationError
            raise failure(f"{source}->{target}: {code}") from err
        return str(response["TranslatedText"])
