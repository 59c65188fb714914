"""JSON encoding of outbound frames (also the Logger's ``json_default``) and frame splitting."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from positive_chat.config import (
    FRAME_SPLIT_BYTES,
)

__all__ = ["encode", "json_default", "split_frames"]


def json_default(value: object) -> object:
    """JSON for what the json module does not know (also Powertools Logger's ``json_default``).

    DynamoDB's Decimal becomes int or float (Powertools' own default would make it a string);
    sets and tuples become lists; anything else its ``str``, so logging never fails.
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def encode(payload: object) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as UTF-8, not escaped).

    Text holding a lone surrogate (a client's ``"\\ud800"`` echoed back) has no UTF-8 form: such
    a payload is sent with every non-ASCII character escaped, which is the same JSON text.
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=json_default)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":"), default=json_default).encode("ascii")


def split_frames(items: Sequence[bytes], *, overhead: int) -> list[list[bytes]]:
    """Group encoded items so each group's frame stays under 32 KB (one item per group at least)."""
    groups: list[list[bytes]] = [[]]
    size = overhead
    for item in items:
        if groups[-1] and size + len(item) + 1 > FRAME_SPLIT_BYTES:
            groups.append([])
            size = overhead
        groups[-1].append(item)
        size += len(item) + 1
    return groups
