"""Hostile input over the whole inbound protocol: no crash, a documented code, no state change.

Property-based (hypothesis): arbitrary text and bytes, arbitrary JSON, every action with fields
of the wrong type, huge and deeply nested values, unusual Unicode. Each example goes through the
real Lambda handler (moto tables; Comprehend, Translate and @connections answered by the fakes
of test_faults). For every refusal: the handler answered 200 (never a 500), the one frame sent
back is an error whose code is in docs/protocol.md's table, and no table changed, except the rate
limiter's token count, which every frame spends by design. Then the limits, at and past each one.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import TABLES, Backend, Harness
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from positive_chat import app
from positive_chat.config import Settings
from test_faults import FaultyAws, install_faulty_aws

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
DOCUMENTED_CODES = frozenset(re.findall(r"^\| `([A-Z_]+)` \|", PROTOCOL.read_text("utf-8"), re.M))
ACTIONS = ["init", "message", "history", "leave", "ping"]
MOD_ACTIONS = [
    "mod.auth", "mod.queue", "mod.approve", "mod.reject", "mod.delete", "mod.mute", "mod.audit",
]
FIELDS = ["action", "v", "room", "lang", "user", "content", "id", "before", "after", "limit"]
MOD_FIELDS = ["secret", "name", "messageId", "minutes", "reason"]
SECRET = "correct horse battery staple"
PARAMETER = "/positive-chat/moderator-secret"
EXAMPLES = hsettings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Unusual Unicode: RTL text and overrides, zero-width characters, emoji (with ZWJ and skin tone),
# combining marks, a BOM, a lone surrogate, NUL, noncharacters.
ODD_TEXT = [
    "مرحبا بالجميع",
    "שלום \u202eevil\u202c",
    "a\u200bb\u200c\u200dc\u2060",
    "👩🏽‍💻🎉🇫🇷",
    "e\u0301\u0302\u0303\u0304" * 50,
    "\ufeffhello",
    "\ud800",
    "x\x00y",
    "\uffff\ufffe",
    "Z̸̢̛̜̈́a̴̘͐l̷͔̊g̵̱̾o̸͎͠",
]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
field_values = (
    json_values
    | st.sampled_from(ODD_TEXT)
    | st.text(min_size=60, max_size=3000)
    | st.integers(min_value=-(2**70), max_value=2**70)
)
frames = st.fixed_dictionaries(
    {"action": st.sampled_from(ACTIONS) | json_values},
    optional={name: field_values for name in FIELDS if name != "action"},
)

# JSON text a json.dumps of Python values never produces: the parser's edges. Numbers past
# Python's int() digit limit (4,300) and around ours (100), NaN/Infinity, floats out of range,
# lone surrogate escapes, nesting around our depth limit (32) and far past it, duplicate keys.
edge_numbers = (
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0", "1E+2", "0.5e999999"]
    )
    | st.integers(4290, 4400).map(lambda n: "9" * n)
    | st.integers(95, 105).map(lambda n: "-" + "1" * n)
    | st.integers(1, 4400).map(lambda n: "0." + "0" * n + "1")
)
edge_strings = st.sampled_from(
    ['"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"\\ufeff"', '"\\ud83d\\ude00"']
)
edge_nesting = st.one_of(
    st.integers(28, 36), st.integers(1, 5000)
).map(lambda n: "[" * n + "]" * n)
edge_values = (
    edge_numbers
    | edge_strings
    | edge_nesting
    | field_values.map(json.dumps)
    | st.sampled_from(["lobby", "en", "Ana", "hello there", "01763900000000-7Q2K9XJ4WM", SECRET])
    .map(json.dumps)
    | st.integers(-2, 200).map(str)
)


@st.composite
def edge_frames(draw: st.DrawFn) -> str:
    """A frame as JSON text: any action, any fields (repeated names are duplicate keys)."""
    action = draw(st.sampled_from(ACTIONS + MOD_ACTIONS).map(json.dumps) | edge_values)
    names = draw(st.lists(st.sampled_from(FIELDS + MOD_FIELDS), max_size=8))
    pairs = [("action", action)] + [(name, draw(edge_values)) for name in names]
    if draw(st.booleans()):
        pairs.append(("v", "2"))
    order = draw(st.permutations(pairs))
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in order) + "}"


# Any frame at all: bytes (binary frames), text, JSON values, frames with the parser's edges.
any_frame = st.one_of(
    st.binary(max_size=300).map(lambda b: (base64.b64encode(b).decode("ascii"), True)),
    st.text(max_size=400).map(lambda t: (t, False)),
    json_values.map(lambda v: (json.dumps(v), False)),
    frames.map(lambda f: (json.dumps(f), False)),
    edge_frames().map(lambda t: (t, False)),
)


@pytest.fixture(scope="module")
def module_aws(backend: Backend) -> Iterator[FaultyAws]:
    """The fakes and production clients, built once per module (client creation is slow)."""
    del backend  # moto must be active first
    roomy = Settings(
        connections_table=TABLES["ConnectionsTable"],
        messages_table=TABLES["MessagesTable"],
        topics_table=TABLES["TopicsTable"],
        idempotency_table=TABLES["IdempotencyTable"],
        region="us-east-1",
        fanout_workers=1,
        translate_workers=1,
        # A bucket large enough that hostile frames are judged on content, not rate.
        rate_limit_per_second=1e6,
        rate_limit_burst=10**6,
        # Moderation configured, so that mod.* frames reach the moderation service.
        moderation_table=TABLES["ModerationTable"],
        moderator_secret_parameter=PARAMETER,
    )
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True
    )
    with pytest.MonkeyPatch.context() as patch:
        fake = install_faulty_aws(roomy, patch)
        yield fake
    fake.runtime.fanout_pool.shutdown(wait=True)
    fake.runtime.translate_pool.shutdown(wait=True)


@pytest.fixture
def aws(harness: Harness, module_aws: FaultyAws) -> FaultyAws:
    """Ana (v2) and Cy (v1) in the lobby; the handler on the fakes."""
    app.install_runtime(module_aws.runtime)
    module_aws.posts.clear()
    module_aws.attempts.clear()
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("c-cy", "lobby", "de", "Cy", version=1)
    harness.seed_connection("m-mia", "#moderators", "en", "Mia")
    harness.dynamodb.update_item(
        TableName=TABLES["ConnectionsTable"],
        Key={"connectionId": {"S": "m-mia"}},
        UpdateExpression="SET #r = :m",
        ExpressionAttributeNames={"#r": "role"},
        ExpressionAttributeValues={":m": {"S": "moderator"}},
    )
    return module_aws


def snapshot(harness: Harness) -> dict[str, list[Any]]:
    """Every item of every table, without the rate limiter's bookkeeping (its arrival time and
    the frame number it counts)."""
    state = {}
    for name in TABLES.values():
        items = harness.dynamodb.scan(TableName=name)["Items"]
        for item in items:
            item.pop("rlTat", None)
            item.pop("seq", None)
        # A refused sign-in is counted by design (the brute-force lockout).
        items = [i for i in items if not i.get("pk", {}).get("S", "").startswith("AUTHFAIL#")]
        state[name] = sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    return state


def send_raw(harness: Harness, connection_id: str, body: str, *, binary: bool = False) -> Any:
    """One event with ``body`` exactly as API Gateway would deliver it."""
    event = harness.event("message", connection_id, body=body, isBase64Encoded=binary)
    return harness.invoke(event)


def check_answer(
    harness: Harness, aws: FaultyAws, connection_id: str, result: Any, before: dict[str, Any]
) -> None:
    """The invariants: 200, frames are JSON, errors carry a documented code and change nothing."""
    assert result == {"statusCode": 200}
    frames_out = aws.frames(connection_id)
    for other in ("a-ana", "c-cy", "m-mia"):
        aws.frames(other)
    errors = []
    for frame in frames_out:
        if isinstance(frame, list):  # v1: arrays of message objects; errors carry "error"
            errors += [m["error"] for m in frame if "error" in m]
        elif frame.get("type") == "error":
            errors.append(frame["code"])
    assert set(errors) <= DOCUMENTED_CODES, errors
    assert "INTERNAL_ERROR" not in errors
    if errors:
        assert len(frames_out) == 1
        assert snapshot(harness) == before


@EXAMPLES
@given(body=st.text(max_size=400))
def test_hostile_any_text_frame(harness: Harness, aws: FaultyAws, body: str) -> None:
    """Any text as a frame: refused with a documented code, or accepted; never a crash."""
    before = snapshot(harness)
    check_answer(harness, aws, "a-ana", send_raw(harness, "a-ana", body), before)


@EXAMPLES
@given(data=st.binary(max_size=300))
def test_hostile_binary_frame_invalid_utf8(harness: Harness, aws: FaultyAws, data: bytes) -> None:
    """Binary frames (invalid UTF-8 included) are refused cleanly, never decoded into a crash."""
    before = snapshot(harness)
    body = base64.b64encode(data).decode("ascii")
    check_answer(harness, aws, "a-ana", send_raw(harness, "a-ana", body, binary=True), before)


@EXAMPLES
@given(value=json_values)
def test_hostile_any_json_value(harness: Harness, aws: FaultyAws, value: Any) -> None:
    """Any JSON value as a frame (arrays, numbers, nested objects): refused or accepted, cleanly."""
    before = snapshot(harness)
    check_answer(harness, aws, "a-ana", send_raw(harness, "a-ana", json.dumps(value)), before)


@EXAMPLES
@given(frame=frames, v1=st.booleans())
def test_hostile_protocol_frames(harness: Harness, aws: FaultyAws, frame: Any, v1: bool) -> None:
    """Every action with fields of any type and size, from a v2 and a v1 connection."""
    connection_id = "c-cy" if v1 else "a-ana"
    before = snapshot(harness)
    body = json.dumps(frame)
    check_answer(harness, aws, connection_id, send_raw(harness, connection_id, body), before)


@EXAMPLES
@given(frame=frames)
def test_hostile_frames_before_init(harness: Harness, aws: FaultyAws, frame: Any) -> None:
    """The same frames from a connection that never joined: refused without storing anything."""
    before = snapshot(harness)
    result = send_raw(harness, "z-new", json.dumps(frame))
    if frame.get("action") == "init" and harness.connection_item("z-new") is not None:
        harness.dynamodb.delete_item(
            TableName=TABLES["ConnectionsTable"], Key={"connectionId": {"S": "z-new"}}
        )
        aws.frames("z-new")
        return  # a valid init joined; that is not a refusal
    check_answer(harness, aws, "z-new", result, before)


@hsettings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=any_frame, sender=st.sampled_from(["a-ana", "c-cy", "m-mia", "z-new"]))
def test_hostile_no_frame_is_ever_an_internal_error(
    harness: Harness, aws: FaultyAws, frame: tuple[str, bool], sender: str
) -> None:
    """No frame of any kind (bytes, text, JSON values, every action with fuzzed fields and the
    parser's edges) from any connection (v2, v1, moderator, not joined) is an INTERNAL_ERROR:
    the handler answers 200 and every refusal carries a documented code."""
    body, binary = frame
    before = snapshot(harness)
    result = send_raw(harness, sender, body, binary=binary)
    if sender == "z-new" and harness.connection_item("z-new") is not None:
        assert result == {"statusCode": 200}  # a valid init joined: not a refusal
        harness.dynamodb.delete_item(
            TableName=TABLES["ConnectionsTable"], Key={"connectionId": {"S": "z-new"}}
        )
        aws.frames("z-new")
        return
    check_answer(harness, aws, sender, result, before)


PARSE_EDGES = [
    ('{"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": %s}' % ("1" * 4301),
     "INVALID_FRAME"),
    ('{"action": "ping", "x": %s}' % ("9" * 4301), "INVALID_FRAME"),
    ('{"action": "ping", "x": -%s}' % ("9" * 101), "INVALID_FRAME"),
    ('{"action": "ping", "x": %s}' % ("9" * 100), None),
    ('{"action": "ping", "x": NaN}', "INVALID_JSON"),
    ('{"action": "ping", "x": Infinity}', "INVALID_JSON"),
    ('{"action": "ping", "x": -Infinity}', "INVALID_JSON"),
    ('{"action": "ping", "x": 1e400}', "INVALID_FRAME"),
    ('{"action": "ping", "x": 1e-400}', None),
    ('{"action": "ping", "x": %s}' % ("[" * 31 + "]" * 31), None),
    ('{"action": "ping", "x": %s}' % ("[" * 32 + "]" * 32), "INVALID_FRAME"),
    ('{"action": "ping", "x": %s}' % ("[" * 50_000 + "]" * 50_000), "INVALID_FRAME"),
    ('{"action": "message", "content": "hi", "content": "<b>x</b>"}', "INVALID_FRAME"),
    ('{"action": "ping", "action": "message"}', "INVALID_FRAME"),
    ('{"action": "message", "content": "lone \\ud800"}', "INVALID_FIELD"),
    ('{"action": "\\ud800"}', "UNKNOWN_ACTION"),
    ('{"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "A\\udc00"}',
     "INVALID_NAME"),
    ('﻿{"action": "ping"}', "INVALID_JSON"),
]


@pytest.mark.parametrize(
    ("body", "code"), PARSE_EDGES, ids=[f"{i}-{c or 'ok'}" for i, (_, c) in enumerate(PARSE_EDGES)]
)
def test_hostile_parse_edges_have_documented_codes(
    harness: Harness, aws: FaultyAws, body: str, code: str | None
) -> None:
    """Huge numbers, NaN/Infinity, out-of-range floats, deep nesting, duplicate keys, lone
    surrogates and a BOM: each has its documented code (docs/protocol.md, "Parsing")."""
    before = snapshot(harness)
    result = send_raw(harness, "a-ana", body)
    assert result == {"statusCode": 200}
    errors = [f["code"] for f in aws.frames("a-ana") if f.get("type") == "error"]
    if code is None:
        assert errors == []
    else:
        assert errors == [code]
        assert snapshot(harness) == before


def test_hostile_parse_edges_are_documented() -> None:
    """Each parse edge has a row in docs/protocol.md's parsing table."""
    text = PROTOCOL.read_text("utf-8")
    for edge in ("4,300 digits", "NaN", "Infinity", "nested", "duplicate", "surrogate"):
        assert edge in text, edge


@pytest.mark.parametrize("depth", [100, 1000, 100_000], ids=["100", "1000", "100000"])
def test_hostile_deeply_nested_json(harness: Harness, aws: FaultyAws, depth: int) -> None:
    """Nesting deep enough to exhaust a recursive parser is refused cleanly, never a crash."""
    body = '{"action": "message", "content": ' + "[" * depth + "]" * depth + "}"
    before = snapshot(harness)
    check_answer(harness, aws, "a-ana", send_raw(harness, "a-ana", body[: 128 * 1024 + 10]), before)


# --- Every limit, at and past it ----------------------------------------------------------------

LIMIT_CASES = [
    ({"action": "message", "content": "a" * 2000}, None),
    ({"action": "message", "content": "a" * 2001}, "TOO_LONG"),
    ({"action": "message", "content": "€" * 1666}, None),  # 4,998 bytes
    ({"action": "message", "content": "€" * 1667}, "TOO_LONG"),  # 5,001 bytes
    ({"action": "message", "content": " \n\t "}, "EMPTY_FIELD"),
    ({"action": "message", "content": ""}, "EMPTY_FIELD"),
    ({"action": "message", "content": "bell\x07"}, "CONTROL_CHARACTERS"),
    ({"action": "message", "content": "lone \ud800"}, "INVALID_FIELD"),
    ({"action": "message", "content": 42}, "INVALID_FIELD"),
    ({"action": "message"}, "MISSING_FIELD"),
    ({"action": "message", "content": "ok", "id": "x" * 64}, None),
    ({"action": "message", "content": "ok", "id": "x" * 65}, "INVALID_FIELD"),
    ({"action": "message", "content": "ok", "id": "no spaces"}, "INVALID_FIELD"),
    ({"action": "init", "v": 2, "room": "r" * 64, "lang": "en", "user": "Ana"}, None),
    ({"action": "init", "v": 2, "room": "r" * 65, "lang": "en", "user": "Ana"}, "INVALID_ROOM"),
    ({"action": "init", "v": 2, "room": "-x", "lang": "en", "user": "Ana"}, "INVALID_ROOM"),
    ({"action": "init", "v": 2, "room": "a b", "lang": "en", "user": "Ana"}, "INVALID_ROOM"),
    (
        {"action": "init", "v": 2, "room": "#moderators", "lang": "en", "user": "Ana"},
        "INVALID_ROOM",
    ),
    (
        {"action": "init", "v": 2, "room": "lobby", "lang": "xx", "user": "Ana"},
        "UNSUPPORTED_LANGUAGE",
    ),
    ({"action": "init", "v": 3, "room": "lobby", "lang": "en", "user": "Ana"}, "INVALID_FIELD"),
    ({"action": "init", "v": "2", "room": "lobby", "lang": "en", "user": "Ana"}, "INVALID_FIELD"),
    ({"action": "init", "v": 2, "room": "lobby", "lang": "en"}, "MISSING_FIELD"),
    ({"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": 100}, None),
    ({"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": 101}, "INVALID_FIELD"),
    ({"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": 0}, "INVALID_FIELD"),
    ({"action": "history", "before": "01763900000000-7Q2K9XJ4WU"}, "INVALID_FIELD"),
    ({"action": "history", "before": "'; DROP TABLE"}, "INVALID_FIELD"),
    ({"action": "shout"}, "UNKNOWN_ACTION"),
    ({"action": ["message"]}, "UNKNOWN_ACTION"),
    ({"content": "no action"}, "UNKNOWN_ACTION"),
]


@pytest.mark.parametrize(
    ("frame", "code"), LIMIT_CASES, ids=[f"{i}-{c or 'ok'}" for i, (_, c) in enumerate(LIMIT_CASES)]
)
def test_hostile_each_limit_at_and_past(
    harness: Harness, aws: FaultyAws, frame: dict[str, Any], code: str | None
) -> None:
    """At a limit the frame is accepted; one past it, the documented code and nothing changes."""
    before = snapshot(harness)
    result = send_raw(harness, "a-ana", json.dumps(frame))
    frames_out = aws.frames("a-ana")
    assert result == {"statusCode": 200}
    errors = [f["code"] for f in frames_out if f.get("type") == "error"]
    if code is None:
        assert errors == []
    else:
        assert errors == [code]
        assert snapshot(harness) == before


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("n" * 32, None),
        ("n" * 33, "INVALID_NAME"),
        ("محمد", None),
        ("Zoë Ñ", None),
        ("e\u0301e", None),
        ("Ana\u200b", "INVALID_NAME"),
        ("\u202eanA", "INVALID_NAME"),
        ("Ana 🎉", "INVALID_NAME"),
        ("<script>", "INVALID_NAME"),
        ("   ", "EMPTY_FIELD"),
        ("Positive\x00Chat", "INVALID_NAME"),
    ],
    ids=[
        "32",
        "33",
        "arabic",
        "accents",
        "combining",
        "zero-width",
        "rtl-override",
        "emoji",
        "markup",
        "blank",
        "nul",
    ],
)
def test_hostile_names(harness: Harness, aws: FaultyAws, name: str, code: str | None) -> None:
    """Names: letters and marks of any script pass; invisible, emoji and markup are refused."""
    frame = {"action": "init", "v": 2, "room": "names", "lang": "en", "user": name, "id": "j"}
    result = send_raw(harness, "n-new", json.dumps(frame))
    assert result == {"statusCode": 200}
    first = aws.frames("n-new")[0]
    if code is None:
        assert first["type"] == "joined"
    else:
        assert (first["type"], first["code"]) == ("error", code)
        assert harness.connection_item("n-new") is None


@pytest.mark.parametrize("text", ODD_TEXT[:6] + ODD_TEXT[9:], ids=lambda t: repr(t)[:12])
def test_hostile_unusual_unicode_is_stored_and_delivered_exactly(
    harness: Harness, aws: FaultyAws, text: str
) -> None:
    """RTL, zero-width, emoji and combining marks are text: stored and delivered byte for byte."""
    send_raw(harness, "a-ana", json.dumps({"action": "message", "content": text, "id": "u1"}))
    ack, own = aws.frames("a-ana")
    assert ack["type"] == "ack"
    assert own["content"] == text
    [item] = harness.message_items("lobby")
    assert item["content"]["S"] == text


def test_hostile_frame_over_128_kb_is_refused(harness: Harness, aws: FaultyAws) -> None:
    """A frame past API Gateway's 128 KB (if it ever got through) is INVALID_FRAME."""
    body = json.dumps({"action": "message", "content": "a" * (129 * 1024)})
    before = snapshot(harness)
    result = send_raw(harness, "a-ana", body)
    [error] = aws.frames("a-ana")
    assert (result, error["code"]) == ({"statusCode": 200}, "INVALID_FRAME")
    assert snapshot(harness) == before


def test_hostile_documented_codes_were_read() -> None:
    """The code table parsed from docs/protocol.md is the one the assertions rely on."""
    assert {"INVALID_JSON", "RATE_LIMITED", "NOT_JOINED", "INTERNAL_ERROR"} <= DOCUMENTED_CODES
