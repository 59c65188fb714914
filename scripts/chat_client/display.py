"""Turn server frames into lines for a terminal: author, local time, original and translation,
topics, presence, notices and errors, with ANSI colour when wanted.

Everything from the network is shown as text: control characters (ESC, BEL, CR, ...) and
invisible bidirectional overrides are escaped, so a message can never move the cursor, recolour
the terminal or reorder what is shown. Newlines in a message become indented continuation lines.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["FORMATTERS", "Palette", "format_frame", "safe_text", "use_colour"]

# C0/C1 controls plus DEL are escaped; "\n" and "\t" are layout and handled separately.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _escape_char(char: str) -> str:
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    if char in _BIDI_CONTROLS:
        return f"\\u{code:04x}"
    return char


def safe_text(value: object, *, keep_newlines: bool = False) -> str:
    """``value`` as printable text: control and bidi-override characters become escapes."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    out: list[str] = []
    for char in text:
        if char == "\t":
            out.append("    ")
        elif char == "\n" and keep_newlines:
            out.append("\n")
        else:
            out.append(_escape_char(char))
    return "".join(out)


def use_colour(stream: IO[str], choice: str = "auto", env: Mapping[str, str] | None = None) -> bool:
    """Colour for ``always``, none for ``never``; ``auto``: a TTY and ``NO_COLOR`` unset/empty."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Palette:
    """ANSI styles; the empty palette prints plain text."""

    enabled: bool = False

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def author(self, text: str) -> str:
        return self._wrap("1;36", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def notice(self, text: str) -> str:
        return self._wrap("33", text)

    def error(self, text: str) -> str:
        return self._wrap("1;31", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def mark(self, text: str) -> str:
        return self._wrap("35", text)


def _clock(timestamp_ms: object, now: float | None = None) -> str:
    """Local time of a millisecond timestamp: ``HH:MM:SS`` today, ``YYYY-MM-DD HH:MM`` before."""
    if not isinstance(timestamp_ms, int | float) or isinstance(timestamp_ms, bool):
        return "--:--:--"
    try:
        moment = time.localtime(timestamp_ms / 1000)
    except (OverflowError, OSError, ValueError):
        return "--:--:--"
    today = time.localtime(time.time() if now is None else now)
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M:%S", moment)
    return time.strftime("%Y-%m-%d %H:%M", moment)


def _indent(text: str, prefix: str) -> str:
    return text.replace("\n", "\n" + prefix)


def format_message(message: Mapping[str, Any], palette: Palette, now: float | None = None) -> str:
    """A published message: time, author, the text to read, the original when translated."""
    when = palette.dim(_clock(message.get("timestamp"), now))
    user = palette.author(safe_text(message.get("user", "?")))
    lang = safe_text(message.get("lang", "?"))
    text_lang = safe_text(message.get("textLang", lang))
    translation = message.get("translation")
    content = safe_text(message.get("content", ""), keep_newlines=True)
    text = safe_text(message.get("text", message.get("content", "")), keep_newlines=True)
    pad = " " * 12
    if translation == "translated":
        tag = palette.dim(f"[{lang}→{text_lang}]")
        lines = [f"{when} {user} {tag}: {_indent(text, pad)}",
                 palette.dim(f"{pad}original ({lang}): {_indent(content, pad)}")]
    elif translation == "unavailable":
        tag = palette.mark(f"[{lang}, untranslated]")
        lines = [f"{when} {user} {tag}: {_indent(content, pad)}"]
    else:
        lines = [f"{when} {user} {palette.dim(f'[{lang}]')}: {_indent(content, pad)}"]
    if message.get("status") == "approved":
        lines[0] += " " + palette.good("(approved by a moderator)")
    topics = message.get("topics")
    if isinstance(topics, Mapping) and topics:
        tags = " ".join(f"#{safe_text(topic)}" for topic in topics)
        lines.append(palette.dim(f"{pad}topics: {tags}"))
    return "\n".join(lines)


def member_list(members: Any, count: Any = None) -> str:
    """"Ana (fr), Bo (en)", with "and 1,900 more" when ``count`` says the list is capped."""
    names = [
        f"{safe_text(m.get('user', '?'))} ({safe_text(m.get('lang', '?'))})"
        for m in (members if isinstance(members, list) else []) if isinstance(m, Mapping)
    ]
    text = ", ".join(names) if names else "nobody"
    if _is_count(count) and count > len(names):
        text += f" and {count - len(names):,} more"
    return text


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _members(frame: Mapping[str, Any]) -> str:
    members = frame.get("members")
    if not isinstance(members, list):
        return ""
    return member_list(members, frame.get("count"))


def _here(frame: Mapping[str, Any]) -> str:
    """"here" or, with the frame's count (v2 servers since presence in large rooms),
    "here (2,000)"."""
    count = frame.get("count")
    return f"here ({count:,})" if _is_count(count) else "here"


def _history(frame: Mapping[str, Any], palette: Palette, now: float | None) -> str:
    messages = [m for m in frame.get("messages") or [] if isinstance(m, Mapping)]
    more = " — /history for older" if frame.get("hasMore") and frame.get("mode") != "after" else ""
    head = palette.dim(f"── history: {len(messages)} message(s){more} ──")
    return "\n".join([head, *(format_message(m, palette, now) for m in messages)])


def _presence(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    event = frame.get("event")
    user = safe_text(frame.get("user", "?"))
    if event == "snapshot":
        return palette.notice(f"* {_here(frame)}: {_members(frame)}")
    verb = {"join": "joined", "leave": "left"}.get(str(event), safe_text(event))
    return palette.notice(f"* {user} {verb} — {_here(frame)}: {_members(frame)}")


def _topics(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    topics = [t for t in frame.get("topics") or [] if isinstance(t, Mapping)]
    listed = ", ".join(
        f"{safe_text(t.get('topic', '?'))} ({safe_text(t.get('count', '?'))})" for t in topics
    )
    return palette.dim(f"* room topics: {listed or 'none yet'}")


def _joined(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.good(
        f"* joined {safe_text(frame.get('room', '?'))} as {safe_text(frame.get('user', '?'))}"
        f" ({safe_text(frame.get('lang', '?'))})"
    )


def _left(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.notice(f"* left {safe_text(frame.get('room', '?'))}")


def _notice(kind: str) -> Callable[[Mapping[str, Any], Palette, float | None], str]:
    def show(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
        notice = safe_text(frame.get("notice") or "", keep_newlines=True)
        reason = safe_text(frame.get("reason", "?"))
        return palette.notice(f"! {kind} ({reason}): {notice}")

    return show


def _error(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    code = safe_text(frame.get("code", "?"))
    text = f"✗ error {code}: {safe_text(frame.get('message', ''))}"
    if frame.get("field"):
        text += f" [field: {safe_text(frame['field'])}]"
    if frame.get("retryAfter") is not None:
        text += f" (retry in {safe_text(frame['retryAfter'])} s)"
    return palette.error(text)


def _ack(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.dim(f"✓ sent ({safe_text(frame.get('status', 'published'))})")


def _pong(_frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.dim("* pong")


def _message(frame: Mapping[str, Any], palette: Palette, now: float | None) -> str:
    return format_message(frame, palette, now)


Formatter = Callable[[Mapping[str, Any], Palette, float | None], str]

FORMATTERS: dict[str, Formatter] = {
    "message": _message,
    "history": _history,
    "presence": _presence,
    "topics": _topics,
    "joined": _joined,
    "left": _left,
    "rejected": _notice("not sent"),
    "held": _notice("held for review"),
    "error": _error,
    "ack": _ack,
    "pong": _pong,
}


def format_frame(frame: Any, palette: Palette | None = None, now: float | None = None) -> str:
    """One frame as terminal text (possibly several lines); unknown frames are shown as JSON."""
    palette = palette or Palette()
    if isinstance(frame, Mapping):
        if "_raw" in frame and len(frame) == 1:
            return palette.error(f"? not JSON: {safe_text(frame['_raw'])}")
        formatter = FORMATTERS.get(str(frame.get("type")))
        if formatter is not None:
            return formatter(frame, palette, now)
        kind = safe_text(frame.get("type", "frame"))
        return palette.dim(f"? {kind}: {safe_text(json.dumps(frame, ensure_ascii=False))}")
    if isinstance(frame, list):  # a v1 frame: the server took us for the original client
        return palette.dim(f"? v1 frame: {safe_text(json.dumps(frame, ensure_ascii=False))}")
    return palette.dim(f"? {safe_text(frame)}")
