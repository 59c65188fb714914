"""Unit tests of the wire format: validation rules and v1/v2 rendering (no AWS)."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from positive_chat.domain.errors import (
    ChatError,
    EmptyFieldError,
    InvalidNameError,
    InvalidRoomError,
    TooLongError,
)
from positive_chat.domain.events import (
    Failure,
    HistoryPage,
    Notice,
    Presence,
    Reading,
    Refused,
)
from positive_chat.domain.model import Message
from positive_chat.domain.names import name_key
from positive_chat.protocol import encoding, frames_in, frames_out, frames_v1


def message(n: int = 1, content: str = "hello", lang: str = "en") -> Message:
    """A published message."""
    return Message(
        room="lobby",
        message_id=f"{1_763_900_000_000 + n:014d}-ABCDEFGHJK",
        user="Ana",
        lang=lang,
        content=content,
        created_at=1_763_900_000_000 + n,
        status="published",
        sentiment="POSITIVE",
    )


@pytest.mark.parametrize(
    "name",
    ["Ana", "José María", "O'Brien", "李小龍", "Zoë_2", "नमस्ते", "a.b-c"],
    ids=["ascii", "accents", "apostrophe", "cjk", "digits", "devanagari-marks", "punct"],
)
def test_check_name_accepts_letters_marks_digits(name: str) -> None:
    """Names in any script, with the documented punctuation, are accepted."""
    assert frames_in.check_name(name) == name


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("  ", EmptyFieldError),
        ("x" * 33, InvalidNameError),
        ("a\u200bb", InvalidNameError),
        ("a\nb", InvalidNameError),
        ("<b>", InvalidNameError),
        ("ana😀", InvalidNameError),
    ],
    ids=["blank", "too-long", "zero-width", "newline", "markup", "emoji"],
)
def test_check_name_refuses(name: str, error: type[ChatError]) -> None:
    """Names outside the character set or length get the documented error."""
    with pytest.raises(error):
        frames_in.check_name(name)


def test_check_name_trims_outer_spaces_before_counting() -> None:
    """Outer spaces are trimmed, so 32 characters plus padding still fit."""
    assert frames_in.check_name("  " + "n" * 32 + "  ") == "n" * 32


@given(st.text(min_size=1, max_size=40))
def test_check_name_never_crashes(text: str) -> None:
    """Any text either passes as a valid name or raises a ChatError with a name code."""
    codes: set[str] = set()
    name = None
    try:
        name = frames_in.check_name(text)
    except ChatError as err:
        codes.add(err.code)
    assert codes <= {"EMPTY_FIELD", "INVALID_NAME"}
    assert name is None or 1 <= len(name) <= 32


@pytest.mark.parametrize("room", ["lobby", "Salle-1", "café.talk", "部屋", "हिन्दी"])
def test_parse_join_accepts_rooms(room: str) -> None:
    """Rooms in any script with letters, marks, digits and _ - . are accepted, case kept."""
    assert frames_in.parse_join({"room": room, "lang": "en"}).room == room


@pytest.mark.parametrize("room", ["_x", "a b", "a/b", "r" * 65, "a\u0000"])
def test_parse_join_refuses_rooms(room: str) -> None:
    """Rooms outside the rules get INVALID_ROOM."""
    with pytest.raises(InvalidRoomError):
        frames_in.parse_join({"room": room, "lang": "en"})


def test_parse_join_v1_ignores_v2_fields() -> None:
    """A v1 init has no user, no resume point and no client id."""
    command = frames_in.parse_join({"room": "lobby", "lang": "fr", "user": "x", "id": "j"})
    assert (command.version, command.user, command.after, command.client_id) == (
        1,
        None,
        None,
        None,
    )


def test_parse_post_counts_utf8_bytes() -> None:
    """Content within 2,000 characters but over 5,000 UTF-8 bytes is TOO_LONG."""
    assert frames_in.parse_post({"content": "é" * 2000}).content == "é" * 2000
    with pytest.raises(TooLongError):
        frames_in.parse_post({"content": "😀" * 1300})


def test_parse_body_refuses_deep_nesting_cleanly() -> None:
    """Pathologically nested JSON is INVALID_JSON, not a crash."""
    with pytest.raises(ChatError) as caught:
        frames_in.parse_body("[" * 100_000 + "]" * 100_000)
    assert caught.value.code in {"INVALID_JSON", "INVALID_FRAME"}


def test_json_default_gives_numbers_for_decimals() -> None:
    """DynamoDB Decimals become JSON numbers, never strings."""
    encoded = encoding.encode({"n": Decimal(3), "f": Decimal("0.25")})
    assert json.loads(encoded) == {"n": 3, "f": 0.25}


def test_render_v1_translated_and_original() -> None:
    """v1 message objects carry destLang/translated only when actually translated."""
    msg = message(content="Hola", lang="es")
    translated = json.loads(frames_out.render(Reading(msg, "Hello", "en", "translated"), 1)[0])
    original = json.loads(frames_out.render(Reading(msg, "Hola", "es", "original"), 1)[0])
    unavailable = json.loads(frames_out.render(Reading(msg, "Hola", "es", "unavailable"), 1)[0])
    assert translated[0]["destLang"] == "en"
    assert translated[0]["translated"] == "Hello"
    assert "destLang" not in original[0]
    assert "translated" not in unavailable[0]


@pytest.mark.parametrize("version", [1, 2])
def test_render_history_splits_under_32_kb(version: int) -> None:
    """Long histories are split into frames under 32 KB, in order, nothing lost."""
    readings = [Reading(message(n, "ü" * 1500), "ü" * 1500, "en", "original") for n in range(50)]
    frames = frames_out.render(HistoryPage("lobby", "latest", readings, True), version)
    assert len(frames) > 1
    assert all(len(frame) < 32 * 1024 for frame in frames)
    decoded = [json.loads(frame) for frame in frames]
    if version == 2:
        assert [f["final"] for f in decoded] == [False] * (len(frames) - 1) + [True]
        assert all(f["hasMore"] is True for f in decoded)
        timestamps = [m["timestamp"] for f in decoded for m in f["messages"]]
    else:
        timestamps = [m["timestamp"] for f in decoded for m in f]
    assert timestamps == [1_763_900_000_000 + n for n in range(50)]


def test_json_default_never_fails() -> None:
    """Unknown objects (e.g. an exception in a log record) become their str, never an error."""
    assert encoding.json_default(ValueError("boom")) == "boom"
    assert encoding.json_default({2, 1}) == [1, 2]


MARKUP = "<img src=x onerror=alert(1) x= & \"quoted\" 'single'"
ESCAPED = "&lt;img src=x onerror=alert(1) x= &amp; &quot;quoted&quot; &#x27;single&#x27;"


def test_render_v1_html_escapes_every_text_field() -> None:
    """v1 text (content, translation, topics, room topics) is HTML-escaped; v2 is left as typed."""
    msg = replace(
        message(content=MARKUP, lang="es"),
        topics={MARKUP: 2},
        room_topics=(MARKUP, "music"),
    )
    reading = Reading(msg, MARKUP + " (en)", "en", "translated")
    [v1] = json.loads(frames_out.render(reading, 1)[0])
    assert v1["content"] == ESCAPED
    assert v1["translated"] == ESCAPED + " (en)"
    assert v1["topics"] == {ESCAPED: 2}
    assert v1["roomTopics"] == [ESCAPED, "music"]
    assert (v1["user"], v1["room"], v1["lang"]) == ("Ana", "lobby", "es")
    history = json.loads(frames_out.render(HistoryPage("lobby", "latest", [reading], False), 1)[0])
    assert history == [v1]
    v2 = json.loads(frames_out.render(reading, 2)[0])
    assert (v2["content"], v2["text"], v2["roomTopics"][0]) == (MARKUP, MARKUP + " (en)", MARKUP)
    assert v2["topics"] == {MARKUP: 2}


def test_render_v1_html_escapes_notices_and_errors() -> None:
    """Notices and error notices (whose message may quote the frame) are escaped too."""
    failure = Failure(code="UNKNOWN_ACTION", message=f"unknown action {MARKUP!r}", room="lobby")
    [v1] = json.loads(frames_out.render(failure, 1)[0])
    assert "<" not in v1["content"]
    assert v1["content"].startswith("unknown action &#x27;&lt;img")
    assert v1["error"] == "UNKNOWN_ACTION"
    v2 = json.loads(frames_out.render(failure, 2)[0])
    assert v2["message"] == f"unknown action {MARKUP!r}"
    notice = Notice("Ana & Bo <b>joined</b>", "en")
    presence = Presence("lobby", "join", "Ana", [("Ana", "en")], notice=notice, timestamp=1)
    [joined] = json.loads(frames_out.render(presence, 1)[0])
    assert joined["content"] == "Ana &amp; Bo &lt;b&gt;joined&lt;/b&gt;"
    refused = Refused("rejected", "lobby", "m", "NEGATIVE", Notice("It's <not> ok", "en"), 1)
    [polite] = json.loads(frames_out.render(refused, 1)[0])
    assert polite["content"] == "It&#x27;s &lt;not&gt; ok"


def test_render_presence_v2_carries_the_count() -> None:
    """A v2 presence frame carries ``count``: the room's named connections, listed or not."""
    capped = Presence("big", "snapshot", "Ana", [("Ana", "fr")], timestamp=1, count=2000)
    assert json.loads(frames_out.render(capped, 2)[0]) == {
        "type": "presence",
        "room": "big",
        "event": "snapshot",
        "user": "Ana",
        "members": [{"user": "Ana", "lang": "fr"}],
        "count": 2000,
    }
    whole = Presence("lobby", "leave", "Bo", [("Ana", "fr"), ("Cy", "de")], timestamp=1)
    assert json.loads(frames_out.render(whole, 2)[0])["count"] == 2


def test_render_presence_v1_is_the_original_notice_only() -> None:
    """v1 presence is unchanged: a notice for join/leave, nothing for a snapshot, no count."""
    notice = Notice("Ana joined the room", "en")
    join = Presence("big", "join", "Ana", [("Ana", "en")], notice=notice, timestamp=7, count=500)
    assert json.loads(frames_out.render(join, 1)[0]) == [
        {
            "room": "big",
            "timestamp": 7,
            "user": "Positive Chat",
            "lang": "en",
            "content": "Ana joined the room",
            "topics": {},
            "sentiment": "NEUTRAL",
            "roomTopics": [],
        }
    ]
    snapshot = Presence("big", "snapshot", "Ana", [("Ana", "en")], timestamp=7, count=500)
    assert frames_out.render(snapshot, 1) == []


@given(st.text())
def test_html_escaped_round_trips_through_an_html_parser(text: str) -> None:
    """What the original page shows (the escaped text parsed as HTML) is the text itself."""
    assert html.unescape(frames_v1.html_escaped(text)) == text
    assert not set("<>\"'") & set(frames_v1.html_escaped(text))


# Names: invisible code points and the confusables skeleton (UTS #39).

INVISIBLE = ["\u034f", "\ufe0f", "\U000e0100", "\u17b4", "\u180b"]
FILLERS = ["\u3164", "\uffa0", "\u115f", "\u1160", "\u2800"]


@pytest.mark.parametrize("char", INVISIBLE + FILLERS, ids=lambda c: f"U+{ord(c):04X}")
def test_check_name_refuses_invisible_code_points(char: str) -> None:
    """Invisible and filler code points are refused wherever they are in a name or a room."""
    for name in ("Positive Chat" + char, f"Positive{char}Chat", f"Ana{char}", f"Bo{char}b"):
        with pytest.raises(InvalidNameError):
            frames_in.check_name(name)
    with pytest.raises(InvalidRoomError):
        frames_in.parse_join({"room": f"lobby{char}", "lang": "en"})


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Positive Chat", "P\u043esitive Ch\u0430t"),
        ("Bo", "B\u043e"),
        ("Bo", "BO"),
        ("Bo", "\uff22\uff4f"),
        ("Bo", "Bo\u034f"),
        ("Ana", "\u0410na"),
        ("Ana", "A n a"),
    ],
    ids=["cyrillic-server", "cyrillic-o", "case", "fullwidth", "cgj", "cyrillic-A", "spacing"],
)
def test_name_key_equates_lookalikes(one: str, other: str) -> None:
    """Lookalikes share a key: case, width, spacing, invisible code points, confusables."""
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("Ana", "Anna"), ("José", "Jose"), ("Bo", "Bob"), ("محمد", "محمود"), ("李小龍", "李小龙")],
    ids=["letters", "accent", "longer", "arabic", "cjk"],
)
def test_name_key_keeps_different_names_apart(one: str, other: str) -> None:
    """Different names keep different keys (accents are letters, not decoration)."""
    assert name_key(one) != name_key(other)


@given(st.text(max_size=40))
def test_name_key_never_crashes_and_ignores_invisibles(text: str) -> None:
    """Any text has a key; invisible code points never change it."""
    assert name_key(text) == name_key(text + "\u034f\ufe0f\u3164")
