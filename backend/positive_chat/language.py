"""Comprehend and Translate adapters.

This module owns the requests to Amazon Comprehend (DetectDominantLanguage, DetectSentiment,
DetectEntities) and Amazon Translate (TranslateText), and turns their failures, after botocore's
own retries, into LanguageServiceError / TranslationError. A language pair Translate cannot serve
(UnsupportedLanguagePairException, e.g. a local cloud without offline translation) is a
TranslationError like any other: the caller delivers the original text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from .config import CONTENT_MAX_BYTES
from .errors import LanguageServiceError, TranslationError
from .model import Sentiment

if TYPE_CHECKING:
    from mypy_boto3_comprehend import ComprehendClient
    from mypy_boto3_comprehend.literals import LanguageCodeType
    from mypy_boto3_translate import TranslateClient

__all__ = ["AmazonTranslator", "ComprehendAnalyzer", "clip_utf8"]

logger = logging.getLogger(__name__)


def clip_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def _error_code(err: ClientError | BotoCoreError) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "?"))
    return type(err).__name__


class ComprehendAnalyzer:
    """Language detection, sentiment and entities with Amazon Comprehend."""

    def __init__(self, client: ComprehendClient) -> None:
        self._client = client

    def detect_language(self, text: str) -> tuple[str, float] | None:
        """The dominant language and its score, or None when Comprehend names none."""
        try:
            response = self._client.detect_dominant_language(Text=text)
        except (ClientError, BotoCoreError) as err:
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
            response = self._client.detect_sentiment(
                Text=clip_utf8(text, CONTENT_MAX_BYTES),
                LanguageCode=cast("LanguageCodeType", lang),  # one of the 12 sentiment codes
            )
        except (ClientError, BotoCoreError) as err:
            logger.warning("DetectSentiment failed", extra={"error_code": _error_code(err)})
            raise LanguageServiceError(_error_code(err)) from err
        raw_scores: Mapping[str, Any] = response.get("SentimentScore", {})
        scores = {str(k): float(v) for k, v in raw_scores.items()}
        return Sentiment(label=str(response.get("Sentiment", "NEUTRAL")), scores=scores)

    def entities(self, text: str, lang: str) -> list[str]:
        """The texts of the entities Comprehend finds."""
        try:
            response = self._client.detect_entities(
                Text=text,
                LanguageCode=cast("LanguageCodeType", lang),  # one of the 12 entity codes
            )
        except (ClientError, BotoCoreError) as err:
            logger.warning("DetectEntities failed", extra={"error_code": _error_code(err)})
            raise LanguageServiceError(_error_code(err)) from err
        return [
            str(entity["Text"]) for entity in response.get("Entities", []) if entity.get("Text")
        ]


class AmazonTranslator:
    """Text translation with Amazon Translate."""

    def __init__(self, client: TranslateClient) -> None:
        self._client = client

    def translate(self, text: str, source: str, target: str) -> str:
        """``text`` from ``source`` into ``target`` (no call when they are the same)."""
        if source == target:
            return text
        try:
            response = self._client.translate_text(
                Text=text, SourceLanguageCode=source, TargetLanguageCode=target
            )
        except (ClientError, BotoCoreError) as err:
            raise TranslationError(f"{source}->{target}: {_error_code(err)}") from err
        return str(response["TranslatedText"])
