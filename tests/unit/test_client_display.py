"""Unit tests of how the tester client shows frames: text stays text, colour only when wanted."""

from __future__ import annotations

import io
import time

import pytest
from chat_client.display import Palette, format_frame, safe_text, use_colour

NOW = time.mktime((2026, 11, 23, 12, 0, 0, 0, 0, -1))
TODAY_10H = int(time.mktime((2026, 11, 23, 10, 4, 5, 0, 0, -1)) * 1000)


def message(**fields):
    base = {
        "type": "message",
        "room": "lobby",
        "messageId": "1",
        "user": "Ana",
        "timestamp": TODAY_10H,
        "lang": "fr",
        "content": "Bonjour !",
        "text": "Bonjour !",
        "textLang": "fr",
        "translation": "original",
        "topics": {},
        "status": "published",
    }
    return {**base, **fields}


def test_format_message_shows_time_author_language_and_text():
    """An untranslated-by-design message shows local time, author, language and the text."""
    assert format_frame(message(), now=NOW) == "10:04:05 Ana [fr]: Bonjour !"


def test_format_message_translated_shows_translation_then_original():
    """A translated message shows the reader's text and the original with its language."""
    text = format_frame(message(text="Hello!", textLang="en", translation="translated"), now=NOW)
    assert text.splitlines() == [
        "10:04:05 Ana [fr→en]: Hello!",
        "            original (fr): Bonjour !",
    ]


def test_format_message_marks_an_unavailable_translation():
    """When the translation is unavailable the line says so plainly."""
    text = format_frame(message(translation="unavailable", textLang="en"), now=NOW)
    assert text == "10:04:05 Ana [fr, untranslated]: Bonjour !"


def test_format_message_lists_topics_and_approval():
    """Topics appear as tags and a moderator-approved message is marked."""
    text = format_frame(message(topics={"Paris": 1, "music": 2}, status="approved"), now=NOW)
    first, second = text.splitlines()
    assert first.endswith("(approved by a moderator)")
    assert second.strip() == "topics: #Paris #music"


def test_format_message_from_another_day_shows_the_date():
    """A message not from today shows its date."""
    yesterday = TODAY_10H - 86_400_000
    assert format_frame(message(timestamp=yesterday), now=NOW).startswith("2026-11-22 10:04 Ana")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
        ("bell\x07", "bell\\x07"),
        ("over\rwrite", "over\\x0dwrite"),
        ("c1\x9bcontrol", "c1\\x9bcontrol"),
        ("evil\u202ereversed", "evil\\u202ereversed"),
        ("del\x7f", "del\\x7f"),
        ("<b>bold</b> & 'quotes'", "<b>bold</b> & 'quotes'"),
        ("naïve 日本語 😀", "naïve 日本語 😀"),
    ],
    ids=["ansi", "bell", "carriage-return", "c1", "bidi-override", "delete", "html", "unicode"],
)
def test_format_message_escapes_control_characters(raw, shown):
    """Control and bidi-override characters are escaped; everything else is printed as text."""
    assert format_frame(message(content=raw, user=raw), now=NOW) == (
        f"10:04:05 {shown} [fr]: {shown}"
    )


def test_format_message_indents_continuation_lines():
    """A multi-line message keeps its lines, indented under the first one."""
    text = format_frame(message(content="one\ntwo\tend"), now=NOW)
    assert text.splitlines() == ["10:04:05 Ana [fr]: one", "            two    end"]


def test_safe_text_escapes_newlines_unless_kept():
    """Names and codes are single-line: a newline there is escaped."""
    assert safe_text("a\nb") == "a\\x0ab"
    assert safe_text("a\nb", keep_newlines=True) == "a\nb"


def test_format_history_shows_a_header_and_each_message():
    """A history frame shows how many messages it holds and each of them."""
    frame = {
        "type": "history",
        "mode": "latest",
        "hasMore": True,
        "messages": [message(content="one"), message(content="two")],
    }
    lines = format_frame(frame, now=NOW).splitlines()
    assert lines[0] == "── history: 2 message(s) — /history for older ──"
    assert lines[1:] == ["10:04:05 Ana [fr]: one", "10:04:05 Ana [fr]: two"]


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        (
            {
                "type": "presence",
                "event": "join",
                "user": "Bo",
                "members": [{"user": "Ana", "lang": "fr"}, {"user": "Bo", "lang": "en"}],
            },
            "* Bo joined — here: Ana (fr), Bo (en)",
        ),
        ({"type": "presence", "event": "snapshot", "members": []}, "* here: nobody"),
        (
            {
                "type": "presence",
                "event": "snapshot",
                "user": "Ana",
                "members": [{"user": "Ana", "lang": "fr"}],
                "count": 1,
            },
            "* here (1): Ana (fr)",
        ),
        (
            {
                "type": "presence",
                "event": "snapshot",
                "user": "Ana",
                "members": [{"user": "Ana", "lang": "fr"}, {"user": "Bo", "lang": "en"}],
                "count": 2000,
            },
            "* here (2,000): Ana (fr), Bo (en) and 1,998 more",
        ),
        (
            {"type": "presence", "event": "leave", "user": "Cy", "members": [], "count": True},
            "* Cy left — here: nobody",
        ),
        (
            {"type": "topics", "topics": [{"topic": "Paris", "count": 4}]},
            "* room topics: Paris (4)",
        ),
        (
            {"type": "joined", "room": "lobby", "user": "Ana", "lang": "fr"},
            "* joined lobby as Ana (fr)",
        ),
        (
            {
                "type": "rejected",
                "reason": "NEGATIVE",
                "notice": "Please find a better way to express this.",
            },
            "! not sent (NEGATIVE): Please find a better way to express this.",
        ),
        (
            {"type": "held", "reason": "SERVICE_UNAVAILABLE", "notice": "Delayed."},
            "! held for review (SERVICE_UNAVAILABLE): Delayed.",
        ),
        (
            {"type": "error", "code": "RATE_LIMITED", "message": "slow down", "retryAfter": 3},
            "✗ error RATE_LIMITED: slow down (retry in 3 s)",
        ),
        (
            {"type": "error", "code": "TOO_LONG", "field": "content", "message": "too long"},
            "✗ error TOO_LONG: too long [field: content]",
        ),
        (
            {"type": "review.queued", "messageId": "9"},
            '? review.queued: {"type": "review.queued", "messageId": "9"}',
        ),
        ({"_raw": "oops\x1b"}, "? not JSON: oops\\x1b"),
        ([{"user": "Ana"}], '? v1 frame: [{"user": "Ana"}]'),
    ],
    ids=[
        "join",
        "snapshot",
        "snapshot-count",
        "snapshot-capped",
        "count-not-a-number",
        "topics",
        "joined",
        "rejected",
        "held",
        "rate-limited",
        "field",
        "unknown-type",
        "not-json",
        "v1",
    ],
)
def test_format_frame_shows_each_frame_type(frame, text):
    """Presence, topics, notices, errors and unknown frames each have a readable line."""
    assert format_frame(frame, now=NOW) == text


def test_palette_colours_only_when_enabled():
    """The enabled palette wraps text in ANSI codes; the default palette leaves it plain."""
    frame = {"type": "error", "code": "X", "message": "m"}
    assert format_frame(frame, Palette(enabled=True)) == "\x1b[1;31m✗ error X: m\x1b[0m"
    assert "\x1b" not in format_frame(frame, Palette())


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "choice", "env", "expected"),
    [
        (FakeTty(), "auto", {}, True),
        (FakeTty(), "auto", {"NO_COLOR": "1"}, False),
        (FakeTty(), "auto", {"NO_COLOR": ""}, True),
        (io.StringIO(), "auto", {}, False),
        (io.StringIO(), "always", {"NO_COLOR": "1"}, True),
        (FakeTty(), "never", {}, False),
    ],
    ids=["tty", "no-color", "empty-no-color", "pipe", "always", "never"],
)
def test_use_colour_follows_tty_and_no_color(stream, choice, env, expected):
    """Colour is on for a terminal unless NO_COLOR is set, and the flag overrides both."""
    assert use_colour(stream, choice, env) is expected
