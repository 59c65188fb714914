"""The languages Positive Chat serves, loaded once from ``languages.json``.

This module owns the answer to "do we serve this code?" and which codes Comprehend has a
sentiment model for (the default of ``Settings.sentiment_languages``; any other language is
translated to English before sentiment analysis).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

__all__ = [
    "COMPREHEND_SENTIMENT",
    "LANGUAGES",
    "Language",
    "is_served",
    "served_code",
]


@dataclass(frozen=True)
class Language:
    """One served language."""

    code: str
    name: str
    native: str
    direction: str
    sentiment: bool


def _load() -> Mapping[str, Language]:
    raw = json.loads(resources.files("positive_chat").joinpath("languages.json").read_text("utf-8"))
    table = {
        entry["code"]: Language(
            code=entry["code"],
            name=entry["name"],
            native=entry["native"],
            direction=entry["dir"],
            sentiment=bool(entry["sentiment"]),
        )
        for entry in raw["languages"]
    }
    return MappingProxyType(table)


LANGUAGES: Mapping[str, Language] = _load()


# The languages Comprehend's DetectSentiment/DetectEntities accept (languages.json "sentiment").
COMPREHEND_SENTIMENT: frozenset[str] = frozenset(
    code for code, language in LANGUAGES.items() if language.sentiment
)


def is_served(code: str) -> bool:
    """True when ``code`` is exactly one of our language codes."""
    return code in LANGUAGES


def served_code(detected: str) -> str | None:
    """Map a detected RFC 5646 code (``pt-BR``, ``zh-TW``, ``nb``) to a served code, or None."""
    if detected in LANGUAGES:
        return detected
    base = detected.split("-", 1)[0].lower()
    aliases = {"nb": "no", "nn": "no", "iw": "he", "in": "id"}
    base = aliases.get(base, base)
    return base if base in LANGUAGES else None
