"""Offline sentiment for every served language: Comprehend's four labels, decided for a chat.

The chat refuses a message that DetectSentiment calls NEGATIVE, so what matters is that hostile
messages (insults, threats, hate aimed at people) come out NEGATIVE in every language and that
fine ones do not — including the ones a word list or an English lexicon misreads: "holy shit we
won 🎉", "mode sombre", German sentences full of the article "die", "this is sick!".

Rule one: **an English lexicon is never applied to non-English text.** VADER reads English only:
the text itself when it is English, or its English translation from ``to_english`` (es, fr, it,
pt; in the local cloud that is Apertium: es→en directly, fr/it/pt through Spanish). German has
no offline translation to English; it and every other language are read in their own words.

What :func:`judge` looks at (:func:`read` returns it, for tests and the benchmark):

1. **Hostility**, 0..1, the strongest signal. From the rule packs of the ``safetype`` package
   (MIT licence; en, es, fr, de, pt, hi: harassment, hate and threats, with quoted or mentioned
   words discounted) run on the text and on its English translation, and from this project's
   curated cues (:mod:`.cues`: hostile phrases; :data:`.cues.HOSTILE_PATTERNS`, threats,
   exclusion, wishes of harm, group hate, doxxing and conditional threats, telling someone to
   die, dehumanization, sexism and looks written without a hostile word; :data:`.cues.SARCASM`,
   mock praise next to a reference to stupidity; :data:`.cues.CENSORED_SLURS`; and insults,
   which count as hostile when the text addresses someone — an insult word aimed at no one is
   swearing, and nothing at all in a benign context: "garbage collector"). A hostile text is
   NEGATIVE whatever else it says — except that an insult alone, with warm words and a positive
   emoji ("you idiot, you did it 😂 congrats!", cue kind ``affection``), is friends teasing and
   counts as swearing.
2. **Profanity**: swearing not aimed at anyone (the same packs; ``glin-profanity``'s word lists,
   MIT licence, for the served languages that safetype and the cues do not cover). Weak: a
   swearing text is NEGATIVE unless it is also clearly positive, so a victory cry is not refused.
3. **Polarity**, -1..1: VADER's compound on the English text (after :data:`.cues.ENGLISH_REWRITES`
   fixes idioms it misreads, emoji removed), plus the language's own positive and negative cue
   words (with negation) and emoji, summed in VADER's units and normalised as VADER does. Where
   there is no English text the cues and emoji are the whole signal; for a language without
   cues only emoji count, and a text without any signal is NEUTRAL. In a **benign context**
   (cue kind ``benign``: technical talk, games, sport, films, history, food idioms, laughter;
   :data:`.cues.BENIGN_PATTERNS`, a death toll; a file name or link) and without hostility, the
   lexicon's and the cue words' negativity is not counted: "kill the process", "we destroyed the
   boss", "de muerte", "mort de rire", "Shaun of the Dead".

Labels: hostile → NEGATIVE; profane → POSITIVE when polarity >= ``PROFANE_POSITIVE`` else
NEGATIVE; otherwise POSITIVE past ``POLARITY_THRESHOLD``, NEGATIVE past ``STRONG_NEGATIVE``
(or past ``POLARITY_THRESHOLD`` when the emoji and cue words alone are negative too), MIXED
when VADER found both sides substantial and balanced (as :func:`.analysis.analyze_sentiment`),
else NEUTRAL. Scores always sum to 1 and the label has the top score.

Measured on the labelled chat messages in ``tests/data/sentiment`` (``chat-bench-sentiment``;
figures in BENCHMARKS.md, "Offline sentiment").
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from localcloud.language.analysis import (
    MIXED_MIN_BALANCE,
    MIXED_MIN_SHARE,
    SentimentResult,
    _vader_analyzer,
    scored,
)
from localcloud.language.cues import (
    BENIGN_PATTERNS,
    CENSORED_SLURS,
    CUES,
    ENGLISH_REWRITES,
    HOSTILE_PATTERNS,
    NEGATIVE_EMOJI,
    POSITIVE_EMOJI,
    SARCASM,
    SARCASM_MARKERS,
)

__all__ = [
    "HOSTILE_THRESHOLD",
    "POLARITY_THRESHOLD",
    "PROFANE_POSITIVE",
    "STRONG_NEGATIVE",
    "TRANSLATED_LANGUAGES",
    "Reading",
    "ToEnglish",
    "judge",
    "read",
]

logger = logging.getLogger(__name__)

ToEnglish = Callable[[str, str], str | None]
"""``to_english(text, source_language)``: the English translation, or None when unavailable."""

# Languages whose English translation VADER reads (when ``to_english`` gives one).
TRANSLATED_LANGUAGES = frozenset({"es", "fr", "it", "pt"})
# Hostility at or above this makes a text NEGATIVE whatever else it says.
HOSTILE_THRESHOLD = 0.6
# A profane (or weakly hostile) text needs at least this polarity not to be NEGATIVE.
PROFANE_POSITIVE = 0.3
# |polarity| below this is NEUTRAL (VADER's own recommendation).
POLARITY_THRESHOLD = 0.05
# Without hostility or swearing, polarity must reach -STRONG_NEGATIVE to be NEGATIVE unless the
# curated signals (emoji, the language's cue words) are negative too: VADER's mild negativity
# alone ("the job died", "abort the build", "fatal error in the log") is NEUTRAL.
STRONG_NEGATIVE = 0.5

# Hostility of each kind of evidence (safetype's matches carry their own confidence).
_HOSTILE_PHRASE = 0.85
_HOSTILE_PATTERN = 0.85  # a threat, exclusion, wish of harm or group hate (cues.HOSTILE_PATTERNS)
_ADDRESSED_INSULT = 0.8
# An insult in a message this short is a vocative ("Muori, bastardo"), so it is addressed.
_VOCATIVE_MAX_WORDS = 4
# Evidence found in a machine translation counts a little less than in the author's words.
_TRANSLATION_WEIGHT = 0.9
# Cue valences in VADER's units (VADER's lexicon runs -4..4; "good" is 1.9, "hate" -2.7).
_CUE_VALENCE = 2.5
_EMOJI_VALENCE = 1.5
_VADER_ALPHA = 15.0  # VADER's normalisation constant: compound = x / sqrt(x^2 + alpha)
_NEGATION_WINDOW = 2

# safetype's rule packs by served language ("sexual" is not a sentiment, so it is not used).
_SAFETYPE_PACKS = {"en": "en", "es": "es", "fr": "fr", "de": "de", "pt": "pt", "hi": "hi"}
_SAFETYPE_CATEGORIES = ("profanity", "hate", "harassment")
# glin-profanity's word lists for served languages that neither safetype nor the cues cover.
_GLIN_LISTS = {
    "ar": "arabic",
    "zh": "chinese",
    "zh-TW": "chinese",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "fi": "finnish",
    "hu": "hungarian",
    "ja": "japanese",
    "ko": "korean",
    "no": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "ru": "russian",
    "sv": "swedish",
    "th": "thai",
    "tr": "turkish",
}
# Scripts written without spaces: list entries are matched as substrings there.
_UNSPACED = frozenset({"zh", "zh-TW", "ja", "th"})


@dataclass(frozen=True)
class Reading:
    """What the judge saw in one text (see the module docstring)."""

    hostility: float
    profane: bool
    polarity: float
    english: str | None
    vader_pos: float = 0.0
    vader_neg: float = 0.0
    reasons: tuple[str, ...] = field(default=())
    benign: bool = False
    curated: float = 0.0  # polarity of the emoji and cue words alone (no lexicon)


def judge(text: str, language: str, *, to_english: ToEnglish | None = None) -> SentimentResult:
    """DetectSentiment's answer for ``text`` written in ``language`` (any served code)."""
    return _decide(read(text, language, to_english=to_english))


def read(text: str, language: str, *, to_english: ToEnglish | None = None) -> Reading:
    """Hostility, profanity and polarity of ``text``, each from the sources the language has."""
    reasons: list[str] = []
    english = text if language == "en" else _translate(text, language, to_english)
    has_cues = language in CUES
    tokens = _tokens(text, language)

    # Hostility: insults (which friends also trade) apart from threats, hate and the like.
    evidence = Evidence()
    evidence.add(*_safetype(text, language, reasons, ""))
    evidence.add(_censored_slur(text, reasons), 0.0, False)
    if has_cues:
        evidence.add(*_cue_hostility(tokens, language, reasons, ""))
        evidence.add(_pattern_hostility(text, language, reasons, ""), 0.0, False)
        evidence.add(_sarcasm_hostility(text, language, reasons), 0.0, False)
    elif _glin_hit(text, language, tokens):
        reasons.append("profanity:list")
        evidence.profane = True

    english_tokens = _tokens(english, "en") if english is not None else []
    if english is not None and language != "en":
        translated = Evidence()
        translated.add(*_safetype(english, "en", reasons, "en:"))
        translated.add(*_cue_hostility(english_tokens, "en", reasons, "en:"))
        translated.add(_pattern_hostility(english, "en", reasons, "en:"), 0.0, False)
        evidence.add(
            _TRANSLATION_WEIGHT * translated.hostility,
            _TRANSLATION_WEIGHT * translated.insult,
            translated.profane,
            translated.mentioned,
        )

    if evidence.insult > 0 and _affectionate(text, tokens, language):
        # "You idiot, you did it 😂 congrats!": a friendly insult is swearing, not hostility.
        reasons.append("affectionate")
        evidence.profane, evidence.insult = True, 0.0
    hostility = max(evidence.hostility, evidence.insult)

    benign = hostility == 0 and (
        _benign(text, tokens, language) or _benign(english or "", english_tokens, "en")
    )
    if benign:
        reasons.append("benign:context")
    else:  # an insult word aimed at no one is swearing, except in a benign context
        evidence.profane = evidence.profane or evidence.mentioned

    curated = _emoji_valence(text)
    if has_cues:
        positive, negative = _cue_polarity(tokens, language)
        curated += positive + (0.0 if benign else negative)
    raw = curated if language != "en" else _emoji_valence(text)
    vader_pos = vader_neg = 0.0
    if english is not None:
        compound, vader_pos, vader_neg = _vader(english)
        valence = _inverse_compound(compound)
        if benign:  # the lexicon misreads the context's words ("kill the process", "de muerte")
            valence, vader_neg = max(valence, 0.0), 0.0
        raw += valence
    polarity = raw / math.sqrt(raw * raw + _VADER_ALPHA)
    return Reading(
        hostility=round(hostility, 4),
        profane=evidence.profane,
        polarity=round(polarity, 4),
        english=english,
        vader_pos=vader_pos,
        vader_neg=vader_neg,
        reasons=tuple(reasons),
        benign=benign,
        curated=round(curated / math.sqrt(curated * curated + _VADER_ALPHA), 4),
    )


@dataclass
class Evidence:
    """Hostility found so far: ``insult`` (an insult aimed at someone) apart from the rest."""

    hostility: float = 0.0
    insult: float = 0.0
    profane: bool = False
    mentioned: bool = False  # an insult word aimed at no one ("garbage collector", "the ugly")

    def add(self, hostility: float, insult: float, profane: bool, mentioned: bool = False) -> None:
        self.hostility = max(self.hostility, hostility)
        self.insult = max(self.insult, insult)
        self.profane = self.profane or profane
        self.mentioned = self.mentioned or mentioned


# --------------------------------------------------------------------------- decision


def _decide(reading: Reading) -> SentimentResult:
    polarity = reading.polarity
    pos_weight = max(polarity, 0.0) + reading.vader_pos
    neg_weight = max(-polarity, 0.0) + reading.vader_neg + reading.hostility
    weights = {"POSITIVE": pos_weight, "NEGATIVE": neg_weight, "NEUTRAL": 0.1, "MIXED": 0.0}
    if reading.hostility >= HOSTILE_THRESHOLD:
        return _result("NEGATIVE", 0.5 + reading.hostility / 2, weights)
    if reading.profane or reading.hostility > 0:
        if polarity >= PROFANE_POSITIVE:
            weights["MIXED"] = min(pos_weight, neg_weight)
            return _result("POSITIVE", 0.5 + (polarity - PROFANE_POSITIVE) / 2, weights)
        return _result("NEGATIVE", 0.6 + max(-polarity, 0.0) * 0.35, weights)
    pos, neg = reading.vader_pos, reading.vader_neg
    balance = min(pos, neg) / max(pos, neg) if max(pos, neg) > 0 else 0.0
    weights["NEUTRAL"] = max(0.0, 1.0 - pos - neg)
    weights["MIXED"] = min(pos, neg)
    if min(pos, neg) >= MIXED_MIN_SHARE and balance >= MIXED_MIN_BALANCE:
        return _result("MIXED", 0.5 + balance / 2, weights)
    if polarity >= POLARITY_THRESHOLD:
        return _result("POSITIVE", 0.5 + polarity / 2, weights)
    if polarity <= -STRONG_NEGATIVE or (
        polarity <= -POLARITY_THRESHOLD and reading.curated <= -POLARITY_THRESHOLD
    ):
        return _result("NEGATIVE", 0.5 - polarity / 2, weights)
    return _result("NEUTRAL", 1.0 - abs(polarity), weights)


def _result(label: str, confidence: float, weights: Mapping[str, float]) -> SentimentResult:
    """The label gets ``confidence`` (kept within 0.5..0.99); the others share the rest."""
    return scored(label, min(max(confidence, 0.5), 0.99), weights)


# --------------------------------------------------------------------------- translation


def _translate(text: str, language: str, to_english: ToEnglish | None) -> str | None:
    if to_english is None or language not in TRANSLATED_LANGUAGES:
        return None
    try:
        english = to_english(text, language)
    except Exception:  # a translator that fails degrades the judge; it never fails the call
        logger.warning("to_english failed for %s; judging without a translation", language)
        return None
    return english if english and english.strip() else None


# --------------------------------------------------------------------------- text


def _fold(text: str) -> str:
    """Lower case without accents ("Größe" -> "grosse"), apostrophes unified."""
    text = text.replace("\u2019", "'").replace("\u00df", "ss").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_WORD_WITH_APOSTROPHES = re.compile(r"\w+(?:'\w+)*")
_WORD = re.compile(r"\w+")
_URL = re.compile(r"https?://\S+|www\.\S+|@\w+")


def _tokens(text: str, language: str) -> list[str]:
    """Folded words; URLs and @mentions dropped. English keeps "don't" whole; others split."""
    text = _URL.sub(" ", _fold(text))
    pattern = _WORD_WITH_APOSTROPHES if language == "en" else _WORD
    return pattern.findall(text)


Phrase = tuple[tuple[str, bool], ...]  # (word, is_prefix) per word


@cache
def _compiled(language: str, kind: str) -> tuple[Phrase, ...]:
    entries = CUES[language].get(kind, ())
    phrases: list[Phrase] = []
    for entry in entries:
        words = _tokens(entry.replace("*", "_STAR_"), language)
        phrases.append(
            tuple((word.removesuffix("_star_"), word.endswith("_star_")) for word in words if word)
        )
    return tuple(phrase for phrase in phrases if phrase)


def _find(tokens: Sequence[str], phrases: Iterable[Phrase]) -> list[tuple[int, int]]:
    """(start, end) token spans where any phrase occurs, whole words only."""
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        size = len(phrase)
        for start in range(len(tokens) - size + 1):
            if all(
                tokens[start + offset].startswith(word)
                if prefix
                else tokens[start + offset] == word
                for offset, (word, prefix) in enumerate(phrase)
            ):
                spans.append((start, start + size))
    return spans


def _kind(language: str, kind: str) -> tuple[Phrase, ...]:
    return _compiled(language, kind) if kind in CUES[language] else ()


def _cue_hostility(
    tokens: Sequence[str], language: str, reasons: list[str], prefix: str
) -> tuple[float, float, bool, bool]:
    """(hostility of hostile phrases, hostility of addressed insults, profane, an insult word
    aimed at no one) from the cues."""
    hostility = insult = 0.0
    mentioned = False
    if _find(tokens, _kind(language, "hostile")):
        reasons.append(f"{prefix}hostile:phrase")
        hostility = _HOSTILE_PHRASE
    profane = bool(_find(tokens, _kind(language, "profanity")))
    if _find(tokens, _kind(language, "insults")):
        addressed = bool(_find(tokens, _kind(language, "second_person")))
        if addressed or len(tokens) <= _VOCATIVE_MAX_WORDS:
            reasons.append(f"{prefix}hostile:insult")
            insult = _ADDRESSED_INSULT
        else:
            mentioned = True
            reasons.append(f"{prefix}insult:unaddressed")
    if profane:
        reasons.append(f"{prefix}profanity:cue")
    return hostility, insult, profane, mentioned


_SENTENCE_END = re.compile(r"[.!?;\n]+")


def _sentences(text: str, language: str) -> str:
    """The text as :data:`.cues.HOSTILE_PATTERNS` read it: folded words joined by one space,
    " | " between sentences."""
    return " | ".join(
        " ".join(words) for part in _SENTENCE_END.split(text) if (words := _tokens(part, language))
    )


@cache
def _compiled_patterns(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (category, re.compile(pattern))
        for category, patterns in HOSTILE_PATTERNS.get(language, {}).items()
        for pattern in patterns
    )


def _pattern_hostility(text: str, language: str, reasons: list[str], prefix: str) -> float:
    """Hostility of a threat, exclusion, wish of harm or group hate (no hostile word needed)."""
    patterns = _compiled_patterns(language)
    if not patterns:
        return 0.0
    sentences = _sentences(text, language)
    categories = sorted({category for category, regex in patterns if regex.search(sentences)})
    reasons.extend(f"{prefix}hostile:{category}" for category in categories)
    return _HOSTILE_PATTERN if categories else 0.0


@cache
def _compiled_sarcasm(language: str) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    if language not in SARCASM:
        return None
    praise, stupidity = SARCASM[language]
    return re.compile(praise), re.compile(stupidity)


def _sarcasm_hostility(text: str, language: str, reasons: list[str]) -> float:
    """Hostility of mock praise: a reference to failure or stupidity ("2 brain cells", "failed
    maths twice") with praise words or a sarcasm emoji (🙄, 👏)."""
    compiled = _compiled_sarcasm(language)
    if compiled is None:
        return 0.0
    praise, stupidity = compiled
    sentences = _sentences(text, language)
    if not stupidity.search(sentences):
        return 0.0
    if praise.search(sentences) or any(char in SARCASM_MARKERS for char in text):
        reasons.append("hostile:sarcasm")
        return _HOSTILE_PATTERN
    return 0.0


_CENSORED = tuple(re.compile(pattern) for pattern in CENSORED_SLURS)


def _censored_slur(text: str, reasons: list[str]) -> float:
    """Hostility of a slur spelled with symbols ("f*g"), which splitting into words loses."""
    folded = _fold(_URL.sub(" ", text))
    if any(pattern.search(folded) for pattern in _CENSORED):
        reasons.append("hostile:slur")
        return _HOSTILE_PHRASE
    return 0.0


# File names ("crash_report_fatal.log"): their words are labels, not the author's feelings.
_FILE_NAME = re.compile(
    r"\b[\w-]+\.(?:pdf|txt|log|zip|png|jpe?g|gif|docx?|xlsx?|pptx?|csv|json|ya?ml|py|js|ts|sh"
    r"|md|html?|mp4|mp3)\b",
    re.IGNORECASE,
)


@cache
def _benign_patterns(language: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in BENIGN_PATTERNS.get(language, ()))


def _benign(text: str, tokens: Sequence[str], language: str) -> bool:
    """Whether the text talks about something (code, a game, food, a joke) where negative-looking
    words are neutral or praise (:mod:`.cues`, ``benign``), or names a file or a link."""
    if language in CUES and _find(tokens, _kind(language, "benign")):
        return True
    if any(pattern.search(_sentences(text, language)) for pattern in _benign_patterns(language)):
        return True
    return bool(_FILE_NAME.search(text) or _URL.search(text))


def _affectionate(text: str, tokens: Sequence[str], language: str) -> bool:
    """Warm words (:mod:`.cues`, ``affection``) and a positive emoji: friends teasing."""
    if not any(char in POSITIVE_EMOJI for char in text) or language not in CUES:
        return False
    return bool(_find(tokens, _kind(language, "affection")))


def _cue_polarity(tokens: Sequence[str], language: str) -> tuple[float, float]:
    """Positive and negative cue words (each flipped after a negator), in VADER's units:
    (the positive sum, the negative sum)."""
    negators = {phrase[0][0] for phrase in _kind(language, "negators") if len(phrase) == 1}
    hits = [
        (start, end, sign)
        for kind, sign in (("hostile", -1.0), ("negative", -1.0), ("positive", 1.0))
        for start, end in _find(tokens, _kind(language, kind))
    ]
    positive = negative = 0.0
    used: set[int] = set()
    # Longest phrases first, so "ich lach mich tot" counts once, as laughter, and not as "tot".
    for start, end, sign in sorted(hits, key=lambda hit: hit[0] - hit[1]):
        if used.intersection(range(start, end)):
            continue
        used.update(range(start, end))
        window = tokens[max(0, start - _NEGATION_WINDOW) : start]
        negated = any(token in negators for token in window)
        valence = sign * _CUE_VALENCE * (-1.0 if negated else 1.0)
        if valence > 0:
            positive += valence
        else:
            negative += valence
    return positive, negative


def _emoji_valence(text: str) -> float:
    positive = sum(char in POSITIVE_EMOJI for char in text)
    negative = sum(char in NEGATIVE_EMOJI for char in text)
    return _EMOJI_VALENCE * (positive - negative)


# --------------------------------------------------------------------------- VADER


def _without_symbols(text: str) -> str:
    """Emoji and other symbols removed: the judge scores them itself, the same in every language
    (VADER reads 🔥 as negative)."""
    return "".join(
        " " if unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f" else char
        for char in text
    )


_REWRITES = tuple((re.compile(pattern, re.IGNORECASE), repl) for pattern, repl in ENGLISH_REWRITES)


def _vader(english: str) -> tuple[float, float, float]:
    """VADER's compound, pos and neg shares for English text (idioms rewritten, emoji removed)."""
    text = _URL.sub(" ", _without_symbols(english))
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    scores = _vader_analyzer().polarity_scores(text)
    return float(scores["compound"]), float(scores["pos"]), float(scores["neg"])


def _inverse_compound(compound: float) -> float:
    """VADER's raw valence sum from its compound, so other evidence can be added before
    normalising again."""
    compound = max(min(compound, 0.999), -0.999)
    return compound * math.sqrt(_VADER_ALPHA / (1.0 - compound * compound))


# --------------------------------------------------------------------------- packages


_engines_lock = threading.Lock()
_engines: dict[str, Any] = {}


def _safetype_engine(language: str) -> Any:
    """safetype's engine for a language's pack (built once per process), or None."""
    pack = _SAFETYPE_PACKS.get(language)
    if pack is None:
        return None
    with _engines_lock:
        engine = _engines.get(pack)
        if engine is None:
            from safetype import create_moderation_engine, load_pack

            engine = create_moderation_engine(
                mode="mask", categories=_SAFETYPE_CATEGORIES, packs=[load_pack(pack)]
            )
            _engines[pack] = engine
    return engine


def _safetype(
    text: str, language: str, reasons: list[str], prefix: str
) -> tuple[float, float, bool]:
    """(hostility, hostility of insults, profane) from safetype's rules for the language."""
    engine = _safetype_engine(language)
    if engine is None:
        return 0.0, 0.0, False
    hostility, insult, profane = 0.0, 0.0, False
    for match in engine.moderate(text).matches:
        confidence = float(match.confidence)
        if match.category in ("harassment", "hate") and match.rule_id.endswith(".insult"):
            reasons.append(f"{prefix}hostile:{match.rule_id}")
            insult = max(insult, confidence)
        elif match.category in ("harassment", "hate"):
            reasons.append(f"{prefix}hostile:{match.rule_id}")
            hostility = max(hostility, confidence)
        elif match.category == "profanity" and match.context == "direct":
            reasons.append(f"{prefix}profanity:{match.rule_id}")
            profane = True
    return hostility, insult, profane


@cache
def _glin_words(language: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """glin-profanity's list for a language: (single words, multi-word or unspaced entries).

    Read from the package's data files without importing it (its import pulls in scanners the
    judge does not need). Latin-only entries of a list for a non-Latin script (transliterations
    such as Russian "pizda") never match real text there and are dropped.
    """
    name = _GLIN_LISTS.get(language)
    spec = importlib_util.find_spec("glin_profanity") if name else None
    if name is None or spec is None or not spec.submodule_search_locations:
        return frozenset(), ()
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "dictionaries"
    words = json.loads((path / f"{name}.json").read_text("utf-8"))["words"]
    entries = [_fold(str(word)).strip() for word in words]
    latin = language in ("cs", "da", "nl", "fi", "hu", "no", "pl", "sv", "tr")
    entries = [entry for entry in entries if entry and (latin or not entry.isascii())]
    if language in _UNSPACED:
        return frozenset(), tuple(entry for entry in entries if len(entry) >= 2)
    single = frozenset(entry for entry in entries if " " not in entry)
    return single, tuple(entry for entry in entries if " " in entry)


def _glin_hit(text: str, language: str, tokens: Sequence[str]) -> bool:
    single, other = _glin_words(language)
    if not single and not other:
        return False
    if any(token in single for token in tokens):
        return True
    if language in _UNSPACED:
        folded = _fold(text)
        return any(entry in folded for entry in other)
    joined = f" {' '.join(tokens)} "
    return any(f" {entry} " in joined for entry in other)
