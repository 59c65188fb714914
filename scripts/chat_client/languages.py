"""The languages Positive Chat serves, read from the backend's ``languages.json``.

The file is the single source of truth (the Lambda, the page and the local cloud read it too);
the client only reads it, it never imports Lambda code.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES_FILE", "language_codes", "parse_language_choice"]

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES_FILE = ROOT / "backend" / "positive_chat" / "languages.json"

# Load tests spread users over the first L of these: widely used languages first, so that
# "--langs 3" means a realistic mix rather than the first three in alphabetical order.
PREFERRED_ORDER = ("en", "es", "fr", "de", "pt", "it", "ja", "zh", "ar", "hi", "ko", "ru")


@cache
def language_codes() -> tuple[str, ...]:
    """Every served language code, in a preferred order for load tests."""
    data = json.loads(LANGUAGES_FILE.read_text(encoding="utf-8"))
    codes = [entry["code"] for entry in data["languages"]]
    first = [code for code in PREFERRED_ORDER if code in codes]
    return tuple(first + [code for code in codes if code not in first])


def parse_language_choice(value: str) -> tuple[str, ...]:
    """``"3"`` -> the first three languages; ``"en,fr"`` -> those codes (each must be served)."""
    served = language_codes()
    value = value.strip()
    if value.isdigit():
        count = int(value)
        if not 1 <= count <= len(served):
            raise ValueError(f"the number of languages must be 1 to {len(served)}, not {count}")
        return served[:count]
    codes = tuple(code.strip() for code in value.split(",") if code.strip())
    if not codes:
        raise ValueError("give a number of languages or comma-separated codes such as en,fr")
    unknown = [code for code in codes if code not in served]
    if unknown:
        raise ValueError(
            f"not served: {', '.join(unknown)} (served: {', '.join(sorted(served))})"
        )
    if len(set(codes)) != len(codes):
        raise ValueError("a language is listed twice")
    return codes
