"""Translation for readers: each message is translated into a language at most once.

Translations are saved on the message, so history and later readers reuse them; a failure to
translate for one reader never stops the others (they get the original, marked unavailable).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor

from positive_chat.domain.errors import TranslationError, UnsupportedPairError
from positive_chat.domain.events import Reading
from positive_chat.domain.model import Message
from positive_chat.domain.ports import MessageRepository, MetricsSink, Translator

__all__ = ["Translations", "reading_for"]

logger = logging.getLogger(__name__)


def reading_for(message: Message, lang: str, translated: Mapping[str, str | None]) -> Reading:
    """The reading of ``message`` for a ``lang`` reader, given fresh translation results."""
    if lang == message.lang:
        return Reading(message, message.content, message.lang, "original")
    text = message.translations.get(lang) or translated.get(lang)
    if text is None:
        return Reading(message, message.content, message.lang, "unavailable")
    return Reading(message, text, lang, "translated")


class Translations:
    """Translates messages for readers on a bounded pool and saves what succeeded."""

    def __init__(
        self,
        *,
        translator: Translator,
        messages: MessageRepository,
        metrics: MetricsSink,
        pool: Executor,
    ) -> None:
        self._translator = translator
        self._messages = messages
        self._metrics = metrics
        self._pool = pool

    def try_translate(self, text: str, source: str, target: str) -> str | None:
        """The translation, or None when Translate cannot give one (logged)."""
        try:
            return self._translator.translate(text, source, target)
        except TranslationError as err:
            # A pair Translate does not offer is an expected answer (INFO); a failure is a WARNING.
            level = logging.INFO if isinstance(err, UnsupportedPairError) else logging.WARNING
            logger.log(
                level,
                "translation unavailable",
                extra={"source": source, "target": target, "error": str(err)},
            )
            return None

    def missing(self, message: Message, langs: Iterable[str]) -> dict[str, str | None]:
        """Translate ``message`` into each language it lacks, once; save what succeeded."""
        wanted = sorted(
            {lang for lang in langs if lang != message.lang and lang not in message.translations}
        )
        if not wanted:
            return {}
        futures = {
            lang: self._pool.submit(self.try_translate, message.content, message.lang, lang)
            for lang in wanted
        }
        results = {lang: future.result() for lang, future in futures.items()}
        saved = {lang: text for lang, text in results.items() if text is not None}
        if saved:
            self._metrics.count("TranslatedCharacters", len(message.content) * len(saved))
            self._messages.save_translations(message.room, message.message_id, saved)
        return results

    def readings(self, messages: Sequence[Message], lang: str) -> list[Reading]:
        """History in the reader's language; each missing translation is fetched once, saved."""
        missing = [m for m in messages if m.lang != lang and lang not in m.translations]
        futures = {
            m.message_id: self._pool.submit(self.try_translate, m.content, m.lang, lang)
            for m in missing
        }
        fresh: dict[str, str | None] = {mid: f.result() for mid, f in futures.items()}
        translated_chars = 0
        for message in missing:
            text = fresh[message.message_id]
            if text is not None:
                translated_chars += len(message.content)
                self._messages.save_translations(message.room, message.message_id, {lang: text})
        if translated_chars:
            self._metrics.count("TranslatedCharacters", translated_chars)
        return [reading_for(m, lang, {lang: fresh.get(m.message_id)}) for m in messages]
