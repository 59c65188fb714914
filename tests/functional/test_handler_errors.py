"""Bad input: every refusal is an error frame (v2) or notice (v1) with a stable code, changes
nothing, and leaves the connection usable."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from conftest import Harness
from positive_chat.domain import rooms

JOINED_V2: list[tuple[str, Any, str, str | None]] = [
    ("not-json", "{not json", "INVALID_JSON", None),
    ("empty-body", "", "INVALID_JSON", None),
    ("array", "[1, 2]", "INVALID_FRAME", None),
    ("string", '"init"', "INVALID_FRAME", None),
    (
        "oversized-frame",
        json.dumps({"action": "ping", "pad": "x" * 131_072}),
        "INVALID_FRAME",
        None,
    ),
    ("no-action", {"room": "lobby"}, "UNKNOWN_ACTION", None),
    ("action-not-string", {"action": 7}, "UNKNOWN_ACTION", None),
    ("unknown-action", {"action": "shout"}, "UNKNOWN_ACTION", None),
    ("missing-content", {"action": "message"}, "MISSING_FIELD", "content"),
    ("empty-content", {"action": "message", "content": ""}, "EMPTY_FIELD", "content"),
    ("blank-content", {"action": "message", "content": " \n\t "}, "EMPTY_FIELD", "content"),
    ("content-not-string", {"action": "message", "content": 42}, "INVALID_FIELD", "content"),
    ("content-too-many-chars", {"action": "message", "content": "a" * 2001}, "TOO_LONG", "content"),
    (
        "content-too-many-bytes",
        {"action": "message", "content": "語" * 1700},
        "TOO_LONG",
        "content",
    ),
    (
        "control-characters",
        {"action": "message", "content": "hi\u0007there"},
        "CONTROL_CHARACTERS",
        "content",
    ),
    (
        "escape-character",
        {"action": "message", "content": "\u001b[31mred"},
        "CONTROL_CHARACTERS",
        "content",
    ),
    (
        "lone-surrogate",
        '{"action": "message", "content": "bad \\ud800 text"}',
        "INVALID_FIELD",
        "content",
    ),
    (
        "bad-client-id",
        {"action": "message", "content": "hi", "id": "has space"},
        "INVALID_FIELD",
        "id",
    ),
    ("long-client-id", {"action": "ping", "id": "x" * 65}, "INVALID_FIELD", "id"),
    ("history-missing-before", {"action": "history"}, "MISSING_FIELD", "before"),
    ("history-bad-before", {"action": "history", "before": "yesterday"}, "INVALID_FIELD", "before"),
    (
        "history-limit-zero",
        {"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": 0},
        "INVALID_FIELD",
        "limit",
    ),
    (
        "history-limit-too-big",
        {"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": 101},
        "INVALID_FIELD",
        "limit",
    ),
    (
        "history-limit-bool",
        {"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "limit": True},
        "INVALID_FIELD",
        "limit",
    ),
    (
        "init-missing-room",
        {"action": "init", "v": 2, "lang": "en", "user": "Ana"},
        "MISSING_FIELD",
        "room",
    ),
    (
        "init-empty-room",
        {"action": "init", "v": 2, "room": "", "lang": "en", "user": "Ana"},
        "EMPTY_FIELD",
        "room",
    ),
    (
        "init-long-room",
        {"action": "init", "v": 2, "room": "r" * 65, "lang": "en", "user": "Ana"},
        "INVALID_ROOM",
        "room",
    ),
    (
        "init-room-chars",
        {"action": "init", "v": 2, "room": "lob by", "lang": "en", "user": "Ana"},
        "INVALID_ROOM",
        "room",
    ),
    (
        "init-room-start",
        {"action": "init", "v": 2, "room": "-lobby", "lang": "en", "user": "Ana"},
        "INVALID_ROOM",
        "room",
    ),
    (
        "init-room-markup",
        {"action": "init", "v": 2, "room": "<script>", "lang": "en", "user": "Ana"},
        "INVALID_ROOM",
        "room",
    ),
    (
        "init-lang-unserved",
        {"action": "init", "v": 2, "room": "lobby", "lang": "xx", "user": "Ana"},
        "UNSUPPORTED_LANGUAGE",
        "lang",
    ),
    (
        "init-lang-type",
        {"action": "init", "v": 2, "room": "lobby", "lang": 1, "user": "Ana"},
        "INVALID_FIELD",
        "lang",
    ),
    (
        "init-missing-user",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en"},
        "MISSING_FIELD",
        "user",
    ),
    (
        "init-blank-user",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "   "},
        "EMPTY_FIELD",
        "user",
    ),
    (
        "init-long-user",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "n" * 33},
        "INVALID_NAME",
        "user",
    ),
    (
        "init-user-markup",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "<b>Ana</b>"},
        "INVALID_NAME",
        "user",
    ),
    (
        "init-user-format-char",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "A\u202ena"},
        "INVALID_NAME",
        "user",
    ),
    (
        "init-bad-version",
        {"action": "init", "v": 3, "room": "lobby", "lang": "en"},
        "INVALID_FIELD",
        "v",
    ),
    (
        "init-bad-after",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "Ana", "after": "x"},
        "INVALID_FIELD",
        "after",
    ),
]


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [case[1:] for case in JOINED_V2],
    ids=[case[0] for case in JOINED_V2],
)
def test_bad_frame_gets_error_and_connection_stays_usable(
    harness: Harness, frame: Any, code: str, field: str | None
) -> None:
    """The sender gets an error frame with the code; nothing is stored; ping still works."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_posts("a-ana")
    assert harness.send("a-ana", frame) == {"statusCode": 200}
    [error] = harness.frames("a-ana")
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["field"] == field
    assert isinstance(error["message"], str)
    assert error["message"]
    assert harness.message_items("lobby") == []
    assert harness.connection_item("a-ana")["room"] == {"S": "lobby"}  # type: ignore[index]
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "ping", "id": "p1"})
    [pong] = harness.frames("a-ana")
    assert pong["type"] == "pong"
    assert pong["id"] == "p1"


def test_error_frame_echoes_client_id_and_action(harness: Harness) -> None:
    """The error frame names the action and echoes the client id (the protocol's example)."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": "a" * 2001, "id": "m-5f2c1a"})
    assert harness.frames("a-ana") == [
        {
            "type": "error",
            "id": "m-5f2c1a",
            "action": "message",
            "code": "TOO_LONG",
            "field": "content",
            "message": "content is longer than 2000 characters",
        }
    ]


@pytest.mark.parametrize("action", ["message", "history", "leave"])
def test_action_before_init_is_not_joined(harness: Harness, action: str) -> None:
    """message/history/leave before init: NOT_JOINED, as a v1 notice with the code."""
    frame: dict[str, Any] = {"action": action}
    if action == "message":
        frame.update(content="hello", user="Ana")
    if action == "history":
        frame["before"] = "01763900000000-7Q2K9XJ4WM"
    harness.expect_posts("c1")
    harness.send("c1", frame)
    [[notice]] = harness.frames("c1")
    assert notice["user"] == "Positive Chat"
    assert notice["error"] == "NOT_JOINED"
    assert notice["lang"] == "en"
    assert set(notice) == {
        "room",
        "timestamp",
        "user",
        "lang",
        "content",
        "topics",
        "sentiment",
        "roomTopics",
        "error",
    }


def test_v1_error_is_a_notice_with_the_code(harness: Harness) -> None:
    """A v1 connection's refusal is a "Positive Chat" message object carrying ``error``."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana", version=1)
    harness.expect_posts("a-ana")
    harness.send("a-ana", "{oops")
    [[notice]] = harness.frames("a-ana")
    assert notice == {
        "room": "lobby",
        "timestamp": notice["timestamp"],
        "user": "Positive Chat",
        "lang": "en",
        "content": "the frame is not JSON",
        "topics": {},
        "sentiment": "NEUTRAL",
        "roomTopics": [],
        "error": "INVALID_JSON",
    }


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"action": "message", "content": "hi"}, "MISSING_FIELD"),
        ({"action": "message", "content": "hi", "user": "<script>"}, "INVALID_NAME"),
        ({"action": "message", "content": "hi", "user": ["Ana"]}, "INVALID_FIELD"),
    ],
    ids=["missing", "markup", "not-string"],
)
def test_v1_first_message_needs_a_valid_name(
    harness: Harness, frame: dict[str, Any], code: str
) -> None:
    """v1 binds the name on the first message, so it must be there and valid."""
    harness.seed_connection("a-ana", "lobby", "en", None, version=1)
    harness.expect_posts("a-ana")
    harness.send("a-ana", frame)
    [[notice]] = harness.frames("a-ana")
    assert notice["error"] == code
    assert "user" not in harness.connection_item("a-ana")  # type: ignore[operator]


def test_failed_v2_init_answers_in_v2(harness: Harness) -> None:
    """An init with ``"v": 2`` that fails is answered with a v2 error frame."""
    harness.expect_posts("c1")
    harness.send(
        "c1", {"action": "init", "v": 2, "room": "lobby", "lang": "xx", "user": "Ana", "id": "j1"}
    )
    [error] = harness.frames("c1")
    assert error["type"] == "error"
    assert error["code"] == "UNSUPPORTED_LANGUAGE"
    assert error["id"] == "j1"
    assert harness.connection_item("c1") is None


def test_base64_frame_is_decoded(harness: Harness) -> None:
    """A binary frame (isBase64Encoded) holding JSON text is accepted."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    body = base64.b64encode(json.dumps({"action": "ping", "id": "b1"}).encode()).decode()
    harness.expect_posts("a-ana")
    harness.invoke(harness.event("message", "a-ana", body=body, isBase64Encoded=True))
    assert harness.frames("a-ana")[0]["type"] == "pong"


def test_internal_error_leaks_nothing(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug becomes INTERNAL_ERROR with a generic message; the details stay in the log."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret table name")

    monkeypatch.setattr(rooms.Rooms, "ping", broken)
    harness.expect_posts("a-ana")
    assert harness.send("a-ana", {"action": "ping", "id": "p9"}) == {"statusCode": 500}
    [error] = harness.frames("a-ana")
    assert error["code"] == "INTERNAL_ERROR"
    assert "secret" not in error["message"]


def test_storage_failure_is_service_unavailable(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DynamoDB failure after retries is SERVICE_UNAVAILABLE and nothing is stored."""
    from botocore.exceptions import ClientError

    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    real_put = harness.dynamodb.put_item

    def failing_put(**kwargs: Any) -> Any:
        if kwargs["TableName"] == "test-messages":
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "boom"}}, "PutItem"
            )
        return real_put(**kwargs)

    monkeypatch.setattr(harness.dynamodb, "put_item", failing_put)
    harness.expect_sentiment("hello", "en", "POSITIVE")
    harness.expect_entities("hello", "en", [])
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": "hello", "id": "s1"})
    [error] = harness.frames("a-ana")
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["id"] == "s1"
    assert harness.message_items("lobby") == []


@pytest.mark.parametrize(
    ("joined", "frame"),
    [
        (False, {"action": "ping", "id": "p1"}),
        (True, {"action": "ping", "id": "p1"}),
        (True, {"action": "leave", "id": "l1"}),
        (True, {"action": "history", "before": "01763900000000-7Q2K9XJ4WM", "id": "h1"}),
    ],
    ids=["ping-before-init", "ping", "leave", "history"],
)
def test_sender_gone_before_its_answer_is_not_an_error(
    harness: Harness, caplog: pytest.LogCaptureFixture, joined: bool, frame: dict[str, Any]
) -> None:
    """A client that sends a frame and closes at once (its answer meets 410 Gone) is no error:
    200, an INFO line without a traceback, no error frame attempted."""
    if joined:
        harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_post_error("a-ana", "GoneException", 410)
    with caplog.at_level(logging.DEBUG, logger="positive_chat"):
        result = harness.send("a-ana", frame)
    assert result == {"statusCode": 200}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r for r in caplog.records if r.exc_info] == []
    assert "sender gone before its answer" in caplog.text
    assert harness.operations("apigatewaymanagementapi") == ["PostToConnection"]
