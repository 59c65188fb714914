"""Offline text analysis behind the local Comprehend: language, sentiment, key phrases, entities.

This module owns the natural-language work and nothing about HTTP or AWS error shapes:

- :class:`LanguageDetector` wraps lingua, restricted to the 32 languages Positive Chat serves
  (``backend/positive_chat/languages.json``) and built lazily on first use (thread-safe). It
  answers RFC 5646 codes as Comprehend does. Offline limits, said plainly: Simplified and
  Traditional Chinese are one language to lingua, so Chinese is always ``zh`` (never ``zh-TW``);
  Norwegian Bokmål and Nynorsk are both ``no``.
- :func:`analyze_sentiment` maps VADER (an English lexicon) to Comprehend's four labels. Other
  languages mostly come out NEUTRAL (VADER still reads emoji and emoticons).
- :func:`extract_key_phrases` runs YAKE with the language's stopwords and keeps non-overlapping
  phrases with real character offsets.
- :func:`extract_entities` finds capitalised name-like spans (type ``OTHER``); scripts without
  letter case (CJK, Arabic, Devanagari, Thai ...) have no entities offline.

Offsets are Python string indices (Unicode code points), ``EndOffset`` exclusive.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

__all__ = [
    "MIXED_MIN_BALANCE",
    "MIXED_MIN_SHARE",
    "SENTIMENT_THRESHOLD",
    "SERVED_LANGUAGES",
    "DetectedLanguage",
    "LanguageDetector",
    "Phrase",
    "SentimentResult",
    "analyze_sentiment",
    "extract_entities",
    "extract_key_phrases",
    "scored",
    "served_languages",
]

Accuracy = Literal["low", "high"]


def served_languages() -> tuple[str, ...]:
    """The language codes Positive Chat serves, read from the backend's ``languages.json``."""
    raw = json.loads(resources.files("positive_chat").joinpath("languages.json").read_text("utf-8"))
    return tuple(str(entry["code"]) for entry in raw["languages"])


SERVED_LANGUAGES: tuple[str, ...] = served_languages()


# --------------------------------------------------------------------------- language


@dataclass(frozen=True)
class DetectedLanguage:
    """One candidate language and its confidence (0..1)."""

    code: str
    score: float


# Comprehend names these lingua languages with other codes.
_LINGUA_CODE_OVERRIDES = {"BOKMAL": "no", "NYNORSK": "no"}
# Codes that lingua cannot tell apart from another served code (see the module docstring).
_UNDETECTABLE = frozenset({"zh-TW"})
# Candidates below this are noise; Comprehend does not list them either.
_MIN_LANGUAGE_SCORE = 0.01
_MAX_LANGUAGES = 5


class LanguageDetector:
    """Lingua restricted to the served languages, built on first use.

    ``accuracy="low"`` (the default) uses lingua's trigram-only mode: measured here it builds in
    ~0.2 s and ~50 MB instead of ~5 s and ~570 MB, and still names clear sentences of 20+
    characters correctly; ``"high"`` is better on very short texts.
    """

    def __init__(self, codes: Sequence[str] = SERVED_LANGUAGES, *, accuracy: Accuracy = "low"):
        if accuracy not in ("low", "high"):
            raise ValueError(f"accuracy must be 'low' or 'high', not {accuracy!r}")
        self._codes = tuple(code for code in codes if code not in _UNDETECTABLE)
        self._accuracy = accuracy
        self._detector: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the lingua models have been built yet."""
        return self._detector is not None

    def load(self) -> None:
        """Build the lingua detector now (otherwise the first :meth:`detect` does it)."""
        if self._detector is not None:
            return
        with self._lock:
            if self._detector is None:
                self._detector = self._build()

    def _build(self) -> Any:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        languages: list[Any] = []
        for code in self._codes:
            if code == "no":
                languages += [Language.BOKMAL, Language.NYNORSK]
                continue
            iso = getattr(IsoCode639_1, code.upper(), None)
            if iso is None:
                raise ValueError(f"lingua has no language for served code {code!r}")
            languages.append(Language.from_iso_code_639_1(iso))
        builder = LanguageDetectorBuilder.from_languages(*languages)
        if self._accuracy == "low":
            builder = builder.with_low_accuracy_mode()
        return builder.build()

    def detect(self, text: str) -> list[DetectedLanguage]:
        """Candidate languages, best first; empty when the text carries no language signal."""
        self.load()
        scores: dict[str, float] = {}
        for candidate in self._detector.compute_language_confidence_values(text):
            name = candidate.language.name
            code = _LINGUA_CODE_OVERRIDES.get(name) or candidate.language.iso_code_639_1.name
            code = code.lower()
            scores[code] = scores.get(code, 0.0) + float(candidate.value)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return [
            DetectedLanguage(code, min(score, 1.0))
            for code, score in ranked[:_MAX_LANGUAGES]
            if score >= _MIN_LANGUAGE_SCORE
        ]


# --------------------------------------------------------------------------- sentiment

# VADER's own recommendation: compound >= 0.05 is positive, <= -0.05 negative.
SENTIMENT_THRESHOLD = 0.05
# MIXED: positive and negative words each make up at least this share of the text ...
MIXED_MIN_SHARE = 0.15
# ... and the weaker side is at least this fraction of the stronger one.
MIXED_MIN_BALANCE = 0.5


@dataclass(frozen=True)
class SentimentResult:
    """Comprehend's DetectSentiment answer: a label and four scores that sum to 1."""

    sentiment: str
    positive: float
    negative: float
    neutral: float
    mixed: float


_vader_lock = threading.Lock()
_vader: Any = None


def _vader_analyzer() -> Any:
    global _vader  # noqa: PLW0603 - one read-only lexicon per process, built on first use
    if _vader is None:
        with _vader_lock:
            if _vader is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _vader = SentimentIntensityAnalyzer()
    return _vader


def analyze_sentiment(text: str) -> SentimentResult:
    """Label a text POSITIVE, NEGATIVE, NEUTRAL or MIXED from VADER's scores.

    Label: MIXED when both positive and negative words are substantial and balanced (see
    ``MIXED_MIN_SHARE`` and ``MIXED_MIN_BALANCE``); else POSITIVE if compound >= 0.05, NEGATIVE
    if compound <= -0.05, NEUTRAL otherwise. Scores: the label gets a confidence of at least
    0.5 (0.5 + |compound|/2 for POSITIVE/NEGATIVE, 1 - |compound| for NEUTRAL, 0.5 + balance/2
    for MIXED); the rest is shared by the other three in proportion to VADER's pos/neg/neu
    shares (MIXED's share is min(pos, neg)). So the label always has the top score and the four
    scores sum to 1.
    """
    polarity = _vader_analyzer().polarity_scores(text)
    compound = float(polarity["compound"])
    pos, neg, neu = float(polarity["pos"]), float(polarity["neg"]), float(polarity["neu"])
    balance = min(pos, neg) / max(pos, neg) if max(pos, neg) > 0 else 0.0

    if min(pos, neg) >= MIXED_MIN_SHARE and balance >= MIXED_MIN_BALANCE:
        label, confidence = "MIXED", 0.5 + balance / 2
    elif compound >= SENTIMENT_THRESHOLD:
        label, confidence = "POSITIVE", 0.5 + compound / 2
    elif compound <= -SENTIMENT_THRESHOLD:
        label, confidence = "NEGATIVE", 0.5 - compound / 2
    else:
        label, confidence = "NEUTRAL", 1.0 - abs(compound)

    weights = {"POSITIVE": pos, "NEGATIVE": neg, "NEUTRAL": neu, "MIXED": min(pos, neg)}
    return scored(label, confidence, weights)


def scored(label: str, confidence: float, weights: Mapping[str, float]) -> SentimentResult:
    """``label`` with ``confidence``; the other three labels share the rest by their weights
    (negative weights count as 0; all zero: equal shares), so the four scores sum to 1."""
    others = {name: max(weight, 0.0) for name, weight in weights.items() if name != label}
    total = sum(others.values())
    rest = 1.0 - confidence
    scores = {
        name: (rest * weight / total if total > 0 else rest / len(others))
        for name, weight in others.items()
    }
    scores[label] = confidence
    return SentimentResult(
        sentiment=label,
        positive=scores["POSITIVE"],
        negative=scores["NEGATIVE"],
        neutral=scores["NEUTRAL"],
        mixed=scores["MIXED"],
    )


# --------------------------------------------------------------------------- phrases


@dataclass(frozen=True)
class Phrase:
    """A span of the input text: ``text == source[begin:end]``."""

    text: str
    begin: int
    end: int
    score: float


# YAKE ships stopword lists under these names; other languages use its language-neutral list.
_YAKE_LANGUAGE = {"zh-TW": "zh"}
_MAX_KEY_PHRASES = 20
_KEY_PHRASE_WORDS = 3


def extract_key_phrases(text: str, language: str) -> list[Phrase]:
    """Key phrases by YAKE, non-overlapping, in text order, each with its real offsets."""
    import yake

    # A new extractor per call: cheap (~0.3 ms) and YAKE keeps per-instance caches that are
    # not meant to be shared between threads.
    extractor = yake.KeywordExtractor(
        lan=_YAKE_LANGUAGE.get(language, language), n=_KEY_PHRASE_WORDS, top=_MAX_KEY_PHRASES
    )
    candidates = sorted(
        ((str(phrase), float(score)) for phrase, score in extractor.extract_keywords(text)),
        key=lambda item: item[1],
    )
    # Chosen spans, kept sorted and disjoint: a bisect finds the neighbours of a candidate, so
    # a 100 KB document with thousands of mentions stays fast.
    begins: list[int] = []
    taken: list[Phrase] = []
    for phrase, yake_score in candidates:
        # YAKE scores are "lower is better" and unbounded; Comprehend's are 0..1, higher better.
        score = 1.0 / (1.0 + yake_score)
        for begin, end in _occurrences(text, phrase):
            slot = bisect.bisect_right(begins, begin)
            if slot > 0 and taken[slot - 1].end > begin:
                continue
            if slot < len(taken) and taken[slot].begin < end:
                continue
            begins.insert(slot, begin)
            taken.insert(slot, Phrase(text[begin:end], begin, end, score))
    return taken


def _occurrences(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where ``phrase`` occurs in ``text`` (case-insensitive, any whitespace between words)."""
    words = phrase.split()
    if not words:
        return []
    body = r"\s+".join(re.escape(word) for word in words)
    bounded = rf"(?<!\w){body}(?!\w)"
    for pattern in (bounded, body):  # unbounded for scripts written without spaces (CJK)
        found = [match.span() for match in re.finditer(pattern, text, re.IGNORECASE)]
        if found:
            return found
    return []


# --------------------------------------------------------------------------- entities

_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"[^\W\d_][\w{_APOSTROPHES}\-]*")
# Lower-case words that may sit inside a name: "Bank of America", "Charles de Gaulle".
_NAME_CONNECTORS = frozenset({"of", "de", "da", "del", "der", "di", "du", "la", "le", "van", "von"})
_SENTENCE_END = frozenset(".!?…\n")
_FIRST_PERSON = frozenset(
    f"I{apostrophe}{suffix}" for apostrophe in _APOSTROPHES for suffix in ("m", "ll", "ve", "d")
) | {"I"}
# Quotes, brackets and inverted marks that may open a sentence before its first word.
_OPENERS = " \t\"'\u201c\u2018\u00ab\u00bf\u00a1("
_NAME_SCORE = 0.9
_WEAK_NAME_SCORE = 0.6


def extract_entities(text: str) -> list[Phrase]:
    """Capitalised, name-like spans ("Marie Curie", "Paris", "NASA"), each mention once.

    A span is a run of capitalised words (optionally joined by "of", "de", "von" ...). A single
    word that starts a sentence is only kept when it is an acronym or appears capitalised
    mid-sentence elsewhere, so "Hello everyone" yields nothing. Text that is mostly upper case,
    or written in a script without letter case, carries no signal and yields nothing.
    """
    letters = [char for char in text if char.isalpha()]
    cased = [char for char in letters if char.isupper() or char.islower()]
    if not cased or sum(char.isupper() for char in cased) * 2 > len(cased):
        return []

    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int, bool]] = []  # (first word index, last word index, sentence start)
    index = 0
    while index < len(words):
        if not _is_name_word(words[index][2]):
            index += 1
            continue
        first = last = index
        probe = index + 1
        while probe < len(words) and _only_spaces(text, words[probe - 1][1], words[probe][0]):
            word = words[probe][2]
            if _is_name_word(word):
                last = probe
            elif word not in _NAME_CONNECTORS:
                break
            probe += 1
        spans.append((first, last, _starts_sentence(text, words[first][0])))
        index = last + 1

    mid_sentence = {words[f][2] for f, last, start in spans if f == last and not start}
    entities: list[Phrase] = []
    for first, last, sentence_start in spans:
        begin, end = words[first][0], words[last][1]
        word = words[first][2]
        if first == last and sentence_start:
            if not (_is_acronym(word) or word in mid_sentence):
                continue
            score = _WEAK_NAME_SCORE
        else:
            score = _NAME_SCORE
        entities.append(Phrase(text[begin:end], begin, end, score))
    return entities


def _is_name_word(word: str) -> bool:
    return word[0].isupper() and word not in _FIRST_PERSON


def _is_acronym(word: str) -> bool:
    return len(word) >= 2 and word.isupper()


def _only_spaces(text: str, begin: int, end: int) -> bool:
    gap = text[begin:end]
    return bool(gap) and gap.isspace() and "\n" not in gap


def _starts_sentence(text: str, begin: int) -> bool:
    before = text[:begin].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_END
