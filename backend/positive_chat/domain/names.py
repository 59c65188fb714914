"""How names compare and which code points no name or room may hold.

This module owns two rules (docs/protocol.md, "Limits and validation"):

- **Invisible code points.** Default-ignorable code points (Unicode's
  ``Default_Ignorable_Code_Point``: joiners, variation selectors, fillers, tags, bidi controls...)
  and the blank fillers that render as nothing (U+2800 BRAILLE PATTERN BLANK) make two names
  that look the same compare different, so names and rooms may not hold them. Several are
  letters or marks to ``unicodedata`` (U+3164 HANGUL FILLER is ``Lo``, U+034F COMBINING
  GRAPHEME JOINER and the variation selectors are ``Mn``), so a category check alone lets them
  through.
- **Name keys.** ``name_key`` is what two names are compared by, wherever one name must not pass
  for another (the server's reserved name, mutes, later the names in use in a room): NFKC
  (compatibility forms: full width, ligatures), case folded, then the Unicode TS #39 confusables
  *skeleton* (a Cyrillic "\u043e" is a Latin "o"), with spaces and invisible code points removed.

The confusables data is Unicode's ``confusables.txt`` as shipped by the ``confusable_homoglyphs``
package (a two-way map of each confusable pair); the prototype each code point maps to is
rebuilt from it once, on first use, so a Lambda that compares no name pays nothing for it.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping

__all__ = ["INVISIBLE_RANGES", "invisible", "name_key", "skeleton"]

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt; the set is stable by Unicode policy),
# plus fillers that are not in it but render as blank.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x115F, 0x1160),  # HANGUL CHOSEONG / JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ / AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x200B, 0x200F),  # ZERO WIDTH SPACE, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # WORD JOINER, invisible operators, bidi isolates, deprecated formats
    (0x2800, 0x2800),  # BRAILLE PATTERN BLANK (not default-ignorable, but blank)
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..16
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE (BOM)
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # unassigned, default-ignorable
    (0x1BCA0, 0x1BCA3),  # SHORTHAND FORMAT CONTROLS
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN/END formatting
    (0xE0000, 0xE0FFF),  # TAGS, VARIATION SELECTOR-17..256, the rest reserved ignorable
)
_INVISIBLE = frozenset(code for first, last in INVISIBLE_RANGES for code in range(first, last + 1))
# The data wraps right-to-left characters in LEFT-TO-RIGHT MARKs to print them: not part of them.
_DISPLAY_MARKS = str.maketrans("", "", "\u200e\u200f")


def invisible(char: str) -> bool:
    """True for a default-ignorable or blank code point (one that must not be in a name)."""
    return ord(char) in _INVISIBLE


@functools.cache
def _prototypes() -> Mapping[str, str]:
    """Each confusable code point's prototype (TS #39), rebuilt from the two-way pair map.

    ``confusables.txt`` maps a source code point to a prototype string, and prototypes are never
    sources. In the two-way map a source therefore lists exactly one entry (its prototype), while
    a prototype lists all its sources. When both sides list only each other (a prototype with a
    single source), the smaller of the two stands for both: the comparison is the same.
    """
    from confusable_homoglyphs.confusables import confusables_data  # noqa: PLC0415 - lazily

    pairs = {
        key.translate(_DISPLAY_MARKS): [e["c"].translate(_DISPLAY_MARKS) for e in entries]
        for key, entries in confusables_data.items()
    }
    mapping: dict[str, str] = {}
    for key, targets in pairs.items():
        if len(key) != 1 or len(targets) != 1 or targets[0] == key:
            continue  # a prototype (or a sequence): it stands for itself
        target = targets[0]
        if len(target) == 1 and pairs.get(target) == [key]:
            mapping[key] = min(key, target)  # the pair of a single-source prototype
        else:
            mapping[key] = target
    return mapping


def skeleton(text: str) -> str:
    """Unicode TS #39 ``skeleton``: NFD, each code point to its prototype, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in decomposed))


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """What a name is compared by: two names with the same key pass for each other.

    Compatibility forms, case, spacing, invisible code points and confusable lookalikes are
    ignored: "Positive Chat", "POSITIVE CHAT" in full width and "Positive Ch\\u0430t" (a Cyrillic
    "a") have the same key.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    visible = "".join(c for c in folded if not invisible(c) and not c.isspace())
    return "".join(skeleton(visible).casefold().split())
