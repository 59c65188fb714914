"""What "Positive Chat" itself says, in the reader's language.

Written texts for the page's languages (notice_texts.py); any other language is translated from
the English once per execution environment.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from positive_chat.domain.events import Notice
from positive_chat.domain.notice_texts import WRITTEN
from positive_chat.domain.ports import MetricsSink
from positive_chat.domain.translation import Translations

__all__ = ["NOTICES", "Notices"]

# What "Positive Chat" says, in English; translated per reader language once per environment.
NOTICES: Mapping[str, str] = {
    "rejected": "Please find a better way to express this.",
    "held": "Your message is delayed: it will appear once it has been checked.",
    "joined": "joined the room",
    "left": "left the room",
}


class Notices:
    """The notices, each translated into a language once per execution environment."""

    def __init__(self, translations: Translations, metrics: MetricsSink) -> None:
        self._translations = translations
        self._metrics = metrics
        self._cache: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, key: str, lang: str) -> Notice:
        """The notice ``key`` in ``lang`` (English when it cannot be translated)."""
        english = NOTICES[key]
        if lang == "en":
            return Notice(english, "en")
        written = WRITTEN.get(lang)
        if written is not None:
            return Notice(written[key], lang)
        with self._lock:
            cached = self._cache.get((key, lang))
        if cached is not None:
            return Notice(cached, lang)
        text = self._translations.try_translate(english, "en", lang)
        if text is None:
            return Notice(english, "en")
        self._metrics.count("TranslatedCharacters", len(english))
        with self._lock:
            self._cache[(key, lang)] = text
        return Notice(text, lang)
