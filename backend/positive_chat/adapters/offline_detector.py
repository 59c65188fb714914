"""In-Lambda language identification, used to skip Comprehend's DetectDominantLanguage.

This module owns one question: "does this text clearly read as the language its sender chose?".
When the answer is a confident yes, the chat keeps the sender's language and pays for no
DetectDominantLanguage request (3 Comprehend units, $0.0003, whatever the text's length). Any
doubt answers no, and the chat asks Comprehend as before:

- text shorter than ``min_chars`` (offline detectors, like Comprehend, guess on short texts);
- the detector's top language is not the chosen one, or its probability is under
  ``min_confidence``;
- a chosen language the detector cannot tell apart (``zh-TW`` reads as ``zh``);
- the model is not loaded yet (it loads in a background thread at start-up, so no event ever
  waits for it) or could not be loaded at all.

The detector is py3langid (a maintained fork of langid.py: naive Bayes over byte n-grams, the
model ships inside the package, 4.5 MB, plus numpy), restricted to the languages we serve, with
normalised probabilities.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["OfflineDetector"]

logger = logging.getLogger(__name__)

DEFAULT_MIN_CHARS = 20
DEFAULT_MIN_CONFIDENCE = 0.95
# Served codes the detector has no distinct label for: never confirmed offline.
_INDISTINCT = frozenset({"zh-TW"})


class _Model(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


class OfflineDetector:
    """py3langid, loaded once per execution environment; thread-safe (chat.LanguageGuesser)."""

    def __init__(
        self,
        languages: Iterable[str],
        *,
        min_chars: int = DEFAULT_MIN_CHARS,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> None:
        if min_chars < 1:
            raise ValueError(f"min_chars must be at least 1, got {min_chars}")
        if not 0.0 < min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in (0, 1], got {min_confidence}")
        self._languages = sorted({code for code in languages if code not in _INDISTINCT})
        self._min_chars = min_chars
        self._min_confidence = min_confidence
        self._model: _Model | None = None
        self._known: frozenset[str] = frozenset()
        self._failed = False
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """True once the model is loaded."""
        return self._model is not None

    def load(self) -> bool:
        """Load the model now (idempotent); False when it cannot be loaded."""
        with self._lock:
            if self._model is not None or self._failed:
                return self._model is not None
            try:
                self._model, self._known = _load_model(self._languages)
            except Exception:  # any failure only means "ask Comprehend"
                self._failed = True
                logger.exception("offline language detector unavailable")
                return False
            return True

    def start_background_load(self) -> None:
        """Load the model in a daemon thread; ``confirms`` answers False until it is ready."""
        with self._lock:
            if self._loader is not None or self._model is not None:
                return
            self._loader = threading.Thread(target=self.load, name="langid-load", daemon=True)
            self._loader.start()

    def confirms(self, text: str, lang: str) -> bool:
        """True only when the detector is sure ``text`` is in ``lang``."""
        model = self._model
        if model is None or lang not in self._known:
            return False
        stripped = text.strip()
        if len(stripped) < self._min_chars:
            return False
        try:
            guessed, probability = model.classify(stripped)
        except Exception:  # a detector bug must never fail a message
            logger.exception("offline language detection failed")
            return False
        return guessed == lang and probability >= self._min_confidence


def _load_model(languages: list[str]) -> tuple[_Model, frozenset[str]]:
    """py3langid's bundled model restricted to ``languages``, and the ones it knows of them."""
    # Imported here, not at the top: numpy and the model stay out of the cold start.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # noqa: PLC0415

    identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = frozenset(code for code in languages if code in set(identifier.labels))
    if not known:
        raise ValueError("the detector knows none of the served languages")
    identifier.set_languages(sorted(known))
    return identifier, known
