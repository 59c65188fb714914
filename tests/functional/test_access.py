"""Access: nobody acts as someone they are not, or where they have not joined.

Users cannot act as moderators, speak under another name (or as the server), post into or read
a room they have not joined, or close another connection; guessing the moderator secret is
throttled. Identity and room always come from the stored connection, never from the frame.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import REGION, TABLES, Backend, Harness
from positive_chat.config import Settings

SECRET = "a long and correct moderator secret"
PARAMETER = "/positive-chat/moderator-secret-access-tests"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with moderation on (its table and the secret's parameter)."""
    return Settings(
        **{
            **settings.__dict__,
            "moderation_table": TABLES["ModerationTable"],
            "moderator_secret_parameter": PARAMETER,
        }
    )


@pytest.fixture
def secret(backend: Backend) -> Iterator[None]:
    """moto SSM holding the moderator secret."""
    del backend
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True)
    yield
    ssm.delete_parameter(Name=PARAMETER)


def answer(harness: Harness, connection_id: str, frame: dict[str, Any]) -> dict[str, Any]:
    """Send ``frame``; return the single frame sent back."""
    harness.expect_posts(connection_id)
    harness.send(connection_id, frame)
    [reply] = harness.frames(connection_id)
    return reply  # type: ignore[no-any-return]


def post_published(
    harness: Harness, connection_id: str, frame: dict[str, Any], *readers: str
) -> None:
    """Send a message frame that Comprehend finds POSITIVE; expect the sender's two frames."""
    harness.expect_sentiment(frame["content"], "en", "POSITIVE")
    harness.expect_entities(frame["content"], "en", [])
    harness.expect_posts(connection_id, *readers)
    harness.send(connection_id, frame)


# --- Moderators ---------------------------------------------------------------------------------


def test_access_frame_fields_cannot_grant_the_moderator_role(
    harness: Harness, secret: None
) -> None:
    """``role``/``moderator`` fields in init are ignored: the connection stays a user."""
    del secret
    harness.join(
        "a-ana", "lobby", "en", user="Ana", role="moderator", moderator=True, isModerator=True
    )
    item = harness.connection_item("a-ana")
    assert item is not None
    assert item["role"] == {"S": "user"}
    refusal = answer(harness, "a-ana", {"action": "mod.queue", "id": "q"})
    assert (refusal["type"], refusal["code"]) == ("error", "NOT_MODERATOR")


def test_access_moderator_brute_force_is_throttled_even_across_connections(
    harness: Harness, secret: None
) -> None:
    """5 wrong guesses from one address lock it out, on new sockets too, even the right secret."""
    del secret
    codes = []
    for attempt in range(6):
        event = harness.event(
            "message",
            f"m-bot{attempt}",
            body=json.dumps({"action": "mod.auth", "secret": f"guess-{attempt:04d}"}),
        )
        event["requestContext"]["identity"]["sourceIp"] = "203.0.113.66"
        harness.expect_posts(f"m-bot{attempt}")
        harness.invoke(event)
        codes.append(harness.frames(f"m-bot{attempt}")[0]["code"])
    assert codes == ["AUTH_FAILED"] * 5 + ["AUTH_THROTTLED"]

    event = harness.event(
        "message", "m-bot9", body=json.dumps({"action": "mod.auth", "secret": SECRET})
    )
    event["requestContext"]["identity"]["sourceIp"] = "203.0.113.66"
    harness.expect_posts("m-bot9")
    harness.invoke(event)
    [locked] = harness.frames("m-bot9")
    assert locked["code"] == "AUTH_THROTTLED"
    assert 0 < locked["retryAfter"] <= 15 * 60
    item = harness.connection_item("m-bot9")
    assert item is None or item.get("role") != {"S": "moderator"}


# --- Names --------------------------------------------------------------------------------------


def test_access_v2_message_cannot_speak_under_another_name(harness: Harness) -> None:
    """A v2 message's ``user`` is ignored: it is posted under the connection's name."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    frame = {"action": "message", "content": "it is Bo here", "user": "Bo"}
    post_published(harness, "a-ana", frame, "a-ana", "b-bo")
    assert harness.frames("b-bo")[0]["user"] == "Ana"
    [item] = harness.message_items("lobby")
    assert item["user"] == {"S": "Ana"}


def test_access_v2_init_cannot_rename_a_bound_connection(harness: Harness) -> None:
    """A second init with another name keeps the first (joined says which name is in use)."""
    harness.join("a-ana", "lobby", "en", user="Ana")
    harness.expect_posts(*["a-ana"] * 4)
    harness.send(
        "a-ana", {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "Bo", "id": "j"}
    )
    joined = harness.frames("a-ana")[0]
    assert joined["user"] == "Ana"
    assert harness.connection_item("a-ana")["user"] == {"S": "Ana"}  # type: ignore[index]


@pytest.mark.parametrize(
    "name",
    [
        "Positive Chat",
        "positive chat",
        "POSITIVECHAT",
        "  Positive   Chat ",
        "".join(chr(ord(c) + 0xFEE0) for c in "Positive") + " Chat",  # fullwidth letters
        "P\u043esitive Ch\u0430t",  # Cyrillic o and a: the same skeleton (TS #39)
        "Positive Chat\u034f",  # an invisible tail
        "Positive\u3164Chat",  # a filler for the space
    ],
    ids=["exact", "lower", "upper-joined", "spaced", "fullwidth", "cyrillic", "cgj", "filler"],
)
def test_access_nobody_may_speak_as_the_server(harness: Harness, name: str) -> None:
    """The server's notices come from "Positive Chat": no user may take that name, in any form."""
    refusal = answer(
        harness,
        "a-new",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": name, "id": "j"},
    )
    assert (refusal["type"], refusal["code"], refusal["field"]) == ("error", "INVALID_NAME", "user")
    assert harness.connection_item("a-new") is None


def test_access_v1_first_message_cannot_take_the_servers_name(harness: Harness) -> None:
    """v1 binds the name on the first message: "Positive Chat" is refused there too."""
    harness.seed_connection("a-ana", "lobby", "en", None, version=1)
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "user": "Positive Chat", "content": "hi"})
    [[notice]] = harness.frames("a-ana")
    assert notice["error"] == "INVALID_NAME"
    assert "user" not in harness.connection_item("a-ana")  # type: ignore[operator]
    assert harness.message_items("lobby") == []


# Invisible code points that made "Positive Chat" (or any name) pass for another.
INVISIBLE_TAILS = ["\u034f", "\ufe0f", "\U000e0100", "\u17b4", "\u180b"]
FILLERS = ["\u3164", "\uffa0", "\u115f", "\u1160", "\u2800"]


@pytest.mark.parametrize("char", INVISIBLE_TAILS, ids=lambda c: f"U+{ord(c):04X}")
def test_access_invisible_tail_cannot_take_the_servers_name(harness: Harness, char: str) -> None:
    """"Positive Chat" + an invisible code point renders as "Positive Chat": refused, v2 and v1."""
    name = "Positive Chat" + char
    refusal = answer(
        harness,
        "a-new",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": name, "id": "j"},
    )
    assert (refusal["type"], refusal["code"], refusal["field"]) == ("error", "INVALID_NAME", "user")
    assert f"U+{ord(char):04X}" in refusal["message"]
    assert harness.connection_item("a-new") is None
    harness.seed_connection("c-cy", "lobby", "en", None, version=1)
    harness.expect_posts("c-cy")
    harness.send("c-cy", {"action": "message", "user": name, "content": "Your message was refused"})
    [[notice]] = harness.frames("c-cy")
    assert (notice["user"], notice["error"]) == ("Positive Chat", "INVALID_NAME")
    assert "user" not in harness.connection_item("c-cy")  # type: ignore[operator]
    assert harness.message_items("lobby") == []


@pytest.mark.parametrize("char", FILLERS, ids=lambda c: f"U+{ord(c):04X}")
def test_access_filler_for_the_space_is_refused(harness: Harness, char: str) -> None:
    """A filler in place of the space ("Positive\u3164Chat") is no name, nor part of a room."""
    name_refusal = answer(
        harness,
        "a-new",
        {"action": "init", "v": 2, "room": "lobby", "lang": "en",
         "user": f"Positive{char}Chat", "id": "j"},
    )
    assert (name_refusal["code"], name_refusal["field"]) == ("INVALID_NAME", "user")
    room_refusal = answer(
        harness,
        "a-new",
        {"action": "init", "v": 2, "room": f"lobby{char}", "lang": "en", "user": "Ana", "id": "j"},
    )
    assert (room_refusal["code"], room_refusal["field"]) == ("INVALID_ROOM", "room")
    assert harness.connection_item("a-new") is None


@pytest.mark.parametrize("char", INVISIBLE_TAILS, ids=lambda c: f"U+{ord(c):04X}")
def test_access_invisible_code_points_are_refused_in_rooms(harness: Harness, char: str) -> None:
    """A room that looks like "lobby" is "lobby": invisible code points are INVALID_ROOM."""
    refusal = answer(
        harness,
        "a-new",
        {"action": "init", "v": 2, "room": "lobby" + char, "lang": "en", "user": "Ana", "id": "j"},
    )
    assert (refusal["code"], refusal["field"]) == ("INVALID_ROOM", "room")


# --- Rooms --------------------------------------------------------------------------------------


def test_access_message_cannot_be_posted_into_another_room(harness: Harness) -> None:
    """A ``room`` in a message frame is ignored: it goes to the sender's room only."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("s-sam", "secret", "en", "Sam")
    frame = {"action": "message", "content": "hello secret room", "room": "secret"}
    post_published(harness, "a-ana", frame, "a-ana")
    assert harness.frames("s-sam") == []
    assert harness.message_items("secret") == []
    assert len(harness.message_items("lobby")) == 1


def test_access_history_cannot_read_another_room(harness: Harness) -> None:
    """A ``room`` in a history frame is ignored: only the joined room's history is read."""
    harness.seed_connection("s-sam", "secret", "en", "Sam")
    post_published(harness, "s-sam", {"action": "message", "content": "private plans"}, "s-sam")
    harness.frames()
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    page = answer(
        harness,
        "a-ana",
        {"action": "history", "room": "secret", "before": "99999999999999-ZZZZZZZZZZ", "id": "h"},
    )
    assert (page["type"], page["room"], page["messages"]) == ("history", "lobby", [])


def test_access_not_joined_cannot_post_or_read(harness: Harness) -> None:
    """Before init there is no room: message and history are NOT_JOINED, whatever they name."""
    for frame in (
        {"action": "message", "content": "hi", "room": "lobby", "id": "m"},
        {"action": "history", "before": "99999999999999-ZZZZZZZZZZ", "room": "lobby", "id": "h"},
    ):
        [notice] = answer(harness, "z-new", frame)  # not joined: answered in v1, the default
        assert notice["error"] == "NOT_JOINED"
    assert harness.message_items("lobby") == []


# --- Other connections --------------------------------------------------------------------------


def test_access_leave_cannot_close_another_connection(harness: Harness) -> None:
    """``leave`` naming another connection only ever leaves the sender's own."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_posts("a-ana", "b-bo")
    harness.send("a-ana", {"action": "leave", "connectionId": "b-bo", "id": "l"})
    assert harness.frames("a-ana")[0]["type"] == "left"
    assert harness.connection_item("b-bo")["room"] == {"S": "lobby"}  # type: ignore[index]
    assert "room" not in harness.connection_item("a-ana")  # type: ignore[operator]


def test_access_disconnect_comes_from_the_gateway_not_the_frame(harness: Harness) -> None:
    """Only API Gateway's $disconnect (its own connection id) deletes a connection."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    refusal = answer(harness, "a-ana", {"action": "$disconnect", "connectionId": "b-bo", "id": "d"})
    assert refusal["code"] == "UNKNOWN_ACTION"
    assert harness.connection_item("b-bo") is not None
