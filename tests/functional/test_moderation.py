"""Moderation through the real handler: sign-in, the live queue, decisions, mutes, the audit trail.

DynamoDB and SSM are moto (tables from template.yaml, the secret a SecureString); Comprehend,
Translate and @connections are Stubbers, so every frame each connection receives is asserted in
order. Connection ids sort as the ByRoom index returns them: a-ana, b-bo, c-cy; moderators m-*.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from conftest import REGION, TABLES, Backend, Harness
from positive_chat.config import Settings

SECRET = "correct horse battery staple"
PARAMETER = "/positive-chat/moderator-secret"
NEGATIVE = "This is the worst idea ever, I hate it."
LATER = "Anyway, the weather in Paris is lovely today."
NEGATIVE_FR = "C'est la pire idée du monde, je la déteste."
_client_ids = itertools.count(1)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings plus the moderation table and the secret's parameter name."""
    return Settings(
        **{
            **settings.__dict__,
            "moderation_table": TABLES["ModerationTable"],
            "moderator_secret_parameter": PARAMETER,
        }
    )


@pytest.fixture
def ssm(backend: Backend) -> Iterator[Any]:
    """moto SSM holding the moderator secret as a SecureString."""
    client = boto3.client("ssm", region_name=REGION)
    client.put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True)
    yield client
    client.delete_parameter(Name=PARAMETER)


@pytest.fixture
def mod(harness: Harness, ssm: Any) -> Harness:
    """The harness with the secret in place (what every moderation test needs)."""
    del ssm
    return harness


# --- helpers --------------------------------------------------------------------------------


def send_from(harness: Harness, connection_id: str, frame: dict[str, Any], ip: str) -> None:
    """A frame from ``connection_id`` whose event says it came from ``ip``."""
    event = harness.event("message", connection_id, body=json.dumps(frame))
    event["requestContext"]["identity"]["sourceIp"] = ip
    harness.invoke(event)


def sign_in(harness: Harness, connection_id: str, name: str) -> dict[str, Any]:
    """mod.auth with the right secret; return the answer."""
    harness.expect_posts(connection_id)
    harness.send(connection_id, {"action": "mod.auth", "secret": SECRET, "name": name, "id": "a1"})
    (answer,) = harness.frames(connection_id)
    return answer  # type: ignore[no-any-return]


def post_negative(harness: Harness, *moderators: str, text: str = NEGATIVE) -> str:
    """Ana posts a NEGATIVE message; it is refused and pushed to ``moderators``; its id."""
    harness.expect_language(text, "en")
    harness.expect_sentiment(text, "en", "NEGATIVE")
    harness.expect_posts("a-ana", *moderators)
    harness.send("a-ana", {"action": "message", "content": text, "id": f"n{next(_client_ids)}"})
    (refused,) = harness.frames("a-ana")
    assert refused["type"] == "rejected"
    return str(refused["messageId"])


def item(harness: Harness, room: str, message_id: str) -> dict[str, Any]:
    """The raw Messages item."""
    response = harness.dynamodb.get_item(
        TableName=TABLES["MessagesTable"], Key={"room": {"S": room}, "msgId": {"S": message_id}}
    )
    return response["Item"]  # type: ignore[no-any-return]


def audit_items(harness: Harness) -> list[dict[str, Any]]:
    """Every audit entry in the ModerationTable, oldest first."""
    response = harness.dynamodb.query(
        TableName=TABLES["ModerationTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "AUDIT"}},
    )
    return list(response["Items"])


def error(frame: dict[str, Any]) -> tuple[str, str]:
    """(type, code) of a frame."""
    return frame["type"], frame.get("code", "")


def seed_room(harness: Harness) -> None:
    """Ana (en) and Bo (fr) chat in the lobby."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "fr", "Bo")


# --- sign-in --------------------------------------------------------------------------------


def test_mod_auth_signs_in_and_becomes_a_moderator_connection(mod: Harness) -> None:
    """The right secret answers review.authenticated, stores the role and audits the sign-in."""
    answer = sign_in(mod, "m-mia", "Mia")

    assert answer == {
        "type": "review.authenticated",
        "id": "a1",
        "moderator": "Mia",
        "limits": {
            "secretChars": 1024,
            "reasonChars": 500,
            "muteMaxMinutes": 10080,
            "pageSize": 50,
        },
    }
    stored = mod.connection_item("m-mia")
    assert stored is not None
    assert (stored["role"]["S"], stored["room"]["S"], stored["user"]["S"]) == (
        "moderator",
        "#moderators",
        "Mia",
    )
    [entry] = audit_items(mod)
    assert (entry["action"]["S"], entry["moderator"]["S"], entry["connectionId"]["S"]) == (
        "signin",
        "Mia",
        "m-mia",
    )


def test_mod_auth_wrong_secret_is_refused_and_logged_without_the_secret(
    mod: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong secret is AUTH_FAILED (v2, on a fresh connection); the log never holds it."""
    mod.expect_posts("m-eve")
    mod.send("m-eve", {"action": "mod.auth", "secret": "guess-one-two-three", "id": "a1"})

    (refusal,) = mod.frames("m-eve")
    assert refusal == {
        "type": "error",
        "id": "a1",
        "action": "mod.auth",
        "code": "AUTH_FAILED",
        "field": None,
        "message": "wrong moderator secret",
    }
    assert mod.connection_item("m-eve") is None
    assert "moderator sign-in failed" in caplog.text
    assert "guess-one-two-three" not in caplog.text
    assert SECRET not in caplog.text


def test_mod_auth_brute_force_from_one_ip_is_throttled(mod: Harness) -> None:
    """Five failures from one IP throttle every connection from it, even with the right secret."""
    for attempt in range(5):
        connection_id = f"m-bot{attempt}"
        mod.expect_posts(connection_id)
        send_from(mod, connection_id, {"action": "mod.auth", "secret": "wrong!"}, "203.0.113.9")
        assert error(mod.frames(connection_id)[0]) == ("error", "AUTH_FAILED")

    mod.expect_posts("m-bot9")
    send_from(mod, "m-bot9", {"action": "mod.auth", "secret": SECRET}, "203.0.113.9")
    (throttled,) = mod.frames("m-bot9")
    assert error(throttled) == ("error", "AUTH_THROTTLED")
    assert 0 < throttled["retryAfter"] <= 900
    assert mod.connection_item("m-bot9") is None

    # Another IP on a fresh connection is not affected.
    mod.expect_posts("m-mia")
    send_from(mod, "m-mia", {"action": "mod.auth", "secret": SECRET}, "198.51.100.7")
    assert mod.frames("m-mia")[0]["type"] == "review.authenticated"


def test_mod_auth_brute_force_on_one_connection_is_throttled(mod: Harness) -> None:
    """Five failures on one connection throttle it even when each came from a different IP."""
    for attempt in range(5):
        mod.expect_posts("m-bot")
        send_from(mod, "m-bot", {"action": "mod.auth", "secret": "nope"}, f"192.0.2.{attempt}")
        assert error(mod.frames("m-bot")[0]) == ("error", "AUTH_FAILED")

    mod.expect_posts("m-bot")
    send_from(mod, "m-bot", {"action": "mod.auth", "secret": SECRET}, "192.0.2.200")
    assert error(mod.frames("m-bot")[0]) == ("error", "AUTH_THROTTLED")


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ({"action": "mod.auth"}, "MISSING_FIELD", "secret"),
        ({"action": "mod.auth", "secret": ""}, "EMPTY_FIELD", "secret"),
        ({"action": "mod.auth", "secret": 42}, "INVALID_FIELD", "secret"),
        ({"action": "mod.auth", "secret": "x" * 1025}, "TOO_LONG", "secret"),
        ({"action": "mod.auth", "secret": SECRET, "name": "<b>"}, "INVALID_NAME", "name"),
    ],
    ids=["missing", "empty", "not-a-string", "too-long", "bad-name"],
)
def test_mod_auth_malformed_frames_are_refused(
    mod: Harness, frame: dict[str, Any], code: str, field: str
) -> None:
    """A malformed mod.auth is refused with the field's code and signs nobody in."""
    mod.expect_posts("m-x")
    mod.send("m-x", frame)
    (refusal,) = mod.frames("m-x")
    assert (refusal["code"], refusal["field"]) == (code, field)
    assert mod.connection_item("m-x") is None


def test_mod_auth_with_the_parameter_missing_is_service_unavailable(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """If SSM has no such parameter, sign-in is SERVICE_UNAVAILABLE and the cause is logged."""
    harness.expect_posts("m-mia")
    harness.send("m-mia", {"action": "mod.auth", "secret": SECRET})
    assert error(harness.frames("m-mia")[0]) == ("error", "SERVICE_UNAVAILABLE")
    assert "moderator secret unavailable" in caplog.text


def test_mod_auth_on_a_chatting_connection_leaves_its_room(mod: Harness) -> None:
    """A joined connection that signs in leaves its room (the room is told) and is in none."""
    seed_room(mod)
    mod.expect_posts("a-ana", "b-bo")  # Ana is told that Bo left, then Bo is answered
    mod.send("b-bo", {"action": "mod.auth", "secret": SECRET, "name": "Bo"})

    assert mod.frames("b-bo")[0]["type"] == "review.authenticated"
    (presence,) = mod.frames("a-ana")
    assert (presence["type"], presence["event"], presence["user"]) == ("presence", "leave", "Bo")


def test_moderator_connection_cannot_chat_and_init_ends_the_session(mod: Harness) -> None:
    """message on a moderator connection is NOT_JOINED; an init turns it back into a user's."""
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "message", "content": "hello", "id": "x1"})
    assert error(mod.frames("m-mia")[0]) == ("error", "NOT_JOINED")

    mod.join("m-mia", "lobby", "en", "Mia")
    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.queue", "id": "q1"})
    assert error(mod.frames("m-mia")[0]) == ("error", "NOT_MODERATOR")


# --- refusals for non-moderators ---------------------------------------------------------------

MOD_ACTIONS = [
    {"action": "mod.queue"},
    {"action": "mod.approve", "room": "lobby", "messageId": "01763900000001-2B8FJ1QZ0C"},
    {"action": "mod.reject", "room": "lobby", "messageId": "01763900000001-2B8FJ1QZ0C"},
    {"action": "mod.delete", "room": "lobby", "messageId": "01763900000001-2B8FJ1QZ0C"},
    {"action": "mod.mute", "room": "lobby", "user": "Bo", "minutes": 5},
    {"action": "mod.audit"},
]


@pytest.mark.parametrize("frame", MOD_ACTIONS, ids=[f["action"] for f in MOD_ACTIONS])
@pytest.mark.parametrize("joined", [False, True], ids=["fresh", "chatting-user"])
def test_mod_actions_need_a_moderator(mod: Harness, frame: dict[str, Any], joined: bool) -> None:
    """Every mod.* action but mod.auth is NOT_MODERATOR (in v2) until the connection signs in."""
    if joined:
        mod.seed_connection("a-ana", "lobby", "en", "Ana", version=1)
    mod.expect_posts("a-ana")
    mod.send("a-ana", {**frame, "id": "x1"})
    (refusal,) = mod.frames("a-ana")
    assert refusal["type"] == "error"  # v2 even for a v1 connection
    assert (refusal["code"], refusal["action"], refusal["id"]) == (
        "NOT_MODERATOR",
        frame["action"],
        "x1",
    )
    assert audit_items(mod) == []


def test_mod_actions_without_moderation_configured_are_service_unavailable(
    harness: Harness, settings: Settings
) -> None:
    """A deployment without a ModerationTable answers mod.* with SERVICE_UNAVAILABLE."""
    del settings
    harness.runtime.moderation_parts = None
    harness.expect_posts("m-mia")
    harness.send("m-mia", {"action": "mod.auth", "secret": SECRET})
    assert error(harness.frames("m-mia")[0]) == ("error", "SERVICE_UNAVAILABLE")


# --- the queue ---------------------------------------------------------------------------------


def test_rejected_message_is_pushed_live_to_every_moderator(mod: Harness) -> None:
    """A NEGATIVE post reaches only its author (rejected) and each moderator (review.flagged)."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    sign_in(mod, "m-noa", "Noa")

    message_id = post_negative(mod, "m-mia", "m-noa")

    (flag,) = mod.frames("m-mia")
    assert flag == {
        "type": "review.flagged",
        "item": {
            "room": "lobby",
            "messageId": message_id,
            "user": "Ana",
            "lang": "en",
            "content": NEGATIVE,
            "status": "rejected",
            "flagReason": "NEGATIVE",
            "sentiment": "NEGATIVE",
            "scores": {"Positive": 0.01, "Negative": 0.97, "Neutral": 0.01, "Mixed": 0.01},
            "createdAt": flag["item"]["createdAt"],
        },
    }
    assert mod.frames("m-noa") == [flag]
    assert mod.frames("b-bo") == []


def test_held_message_is_flagged_with_its_reason(mod: Harness) -> None:
    """A message held because Comprehend failed is flagged SERVICE_UNAVAILABLE, without scores."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    mod.expect_language(LATER, "en")
    mod.expect_comprehend_error("detect_sentiment")
    mod.expect_posts("a-ana", "m-mia")
    mod.send("a-ana", {"action": "message", "content": LATER})

    assert mod.frames("a-ana")[0]["type"] == "held"
    (flag,) = mod.frames("m-mia")
    assert (flag["item"]["status"], flag["item"]["flagReason"], flag["item"]["scores"]) == (
        "held",
        "SERVICE_UNAVAILABLE",
        None,
    )


def test_mod_queue_pages_oldest_first_filters_by_room_and_counts_everything(
    mod: Harness,
) -> None:
    """mod.queue lists pending items oldest first, pages with after, filters, counts all rooms."""
    mod.seed_connection("a-ana", "lobby", "en", "Ana")
    ids = [post_negative(mod, text=f"{NEGATIVE} ({n})") for n in range(3)]
    mod.seed_connection("a-ana", "music", "en", "Ana")
    music_id = post_negative(mod, text=f"{NEGATIVE} (music)")
    sign_in(mod, "m-mia", "Mia")

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.queue", "limit": 2, "id": "q1"})
    (page,) = mod.frames("m-mia")
    assert [i["messageId"] for i in page["items"]] == ids[:2]
    assert (page["type"], page["id"], page["room"], page["hasMore"], page["final"]) == (
        "review.queue",
        "q1",
        None,
        True,
        True,
    )
    assert page["counts"] == {
        "pending": 4,
        "rejected": 4,
        "held": 0,
        "rooms": {"lobby": 3, "music": 1},
    }

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.queue", "limit": 2, "after": ids[1]})
    (page,) = mod.frames("m-mia")
    assert [i["messageId"] for i in page["items"]] == [ids[2], music_id]
    assert page["hasMore"] is False

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.queue", "room": "music"})
    (page,) = mod.frames("m-mia")
    assert [i["messageId"] for i in page["items"]] == [music_id]
    assert page["room"] == "music"


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ({"action": "mod.queue", "limit": 0}, "INVALID_FIELD", "limit"),
        ({"action": "mod.queue", "room": "#moderators"}, "INVALID_ROOM", "room"),
        ({"action": "mod.approve", "room": "lobby"}, "MISSING_FIELD", "messageId"),
        (
            {"action": "mod.approve", "room": "lobby", "messageId": "1"},
            "INVALID_FIELD",
            "messageId",
        ),
        (
            {
                "action": "mod.reject",
                "room": "lobby",
                "messageId": "01763900000001-2B8FJ1QZ0C",
                "reason": "x" * 501,
            },
            "TOO_LONG",
            "reason",
        ),
        (
            {
                "action": "mod.reject",
                "room": "lobby",
                "messageId": "01763900000001-2B8FJ1QZ0C",
                "reason": "bad\u0007bell",
            },
            "CONTROL_CHARACTERS",
            "reason",
        ),
        (
            {"action": "mod.mute", "room": "lobby", "user": "Bo", "minutes": -1},
            "INVALID_FIELD",
            "minutes",
        ),
        (
            {"action": "mod.mute", "room": "lobby", "user": "Bo", "minutes": 1.5},
            "INVALID_FIELD",
            "minutes",
        ),
        (
            {"action": "mod.mute", "room": "lobby", "user": "Bo", "minutes": 10081},
            "INVALID_FIELD",
            "minutes",
        ),
        ({"action": "mod.mute", "room": "lobby", "minutes": 5}, "MISSING_FIELD", "user"),
        ({"action": "mod.audit", "after": "yesterday"}, "INVALID_FIELD", "after"),
    ],
    ids=[
        "limit-zero",
        "reserved-room",
        "no-message-id",
        "bad-message-id",
        "long-reason",
        "control-reason",
        "negative-minutes",
        "fractional-minutes",
        "over-a-week",
        "no-user",
        "bad-cursor",
    ],
)
def test_mod_frames_are_validated(
    mod: Harness, frame: dict[str, Any], code: str, field: str
) -> None:
    """A moderator's malformed frame is refused with the field's code and changes nothing."""
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia")
    mod.send("m-mia", frame)
    (refusal,) = mod.frames("m-mia")
    assert (refusal["code"], refusal["field"]) == (code, field)
    assert len(audit_items(mod)) == 1  # the sign-in only


# --- decisions ---------------------------------------------------------------------------------


def test_mod_approve_publishes_translated_in_original_order_and_tells_the_author(
    mod: Harness,
) -> None:
    """Approval counts topics, delivers per language with status approved, keeps the original id."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    sign_in(mod, "m-noa", "Noa")
    rejected_id = post_negative(mod, "m-mia", "m-noa")
    mod.frames()
    # A later, accepted message.
    mod.expect_language(LATER, "en")
    mod.expect_sentiment(LATER, "en", "POSITIVE")
    mod.expect_entities(LATER, "en", ["Paris"])
    mod.expect_translation(LATER, "en", "fr", "Il fait beau à Paris.")
    mod.expect_posts("a-ana", "a-ana", "b-bo")
    mod.send("a-ana", {"action": "message", "content": LATER})
    later_id = mod.frames("a-ana")[0]["messageId"]
    mod.frames()

    # WHEN Mia approves: answer, Noa's console, the author told, then the room gets the message.
    mod.expect_entities(NEGATIVE, "en", ["idea"])
    mod.expect_translation(NEGATIVE, "en", "fr", NEGATIVE_FR)
    mod.expect_posts("m-mia", "m-noa", "a-ana", "a-ana", "b-bo")
    mod.send(
        "m-mia",
        {
            "action": "mod.approve",
            "room": "lobby",
            "messageId": rejected_id,
            "reason": "irony",
            "id": "d1",
        },
    )

    (resolved,) = mod.frames("m-mia")
    entry = resolved["entry"]
    assert resolved == {"type": "review.resolved", "id": "d1", "entry": entry}
    assert {
        k: entry[k] for k in ("moderator", "action", "room", "messageId", "user", "reason")
    } == {
        "moderator": "Mia",
        "action": "approve",
        "room": "lobby",
        "messageId": rejected_id,
        "user": "Ana",
        "reason": "irony",
    }
    assert mod.frames("m-noa") == [{"type": "review.resolved", "entry": entry}]
    decided, own_copy = mod.frames("a-ana")
    assert decided == {
        "type": "review.decided",
        "room": "lobby",
        "messageId": rejected_id,
        "decision": "approved",
    }
    assert (own_copy["status"], own_copy["translation"]) == ("approved", "original")
    (for_bo,) = mod.frames("b-bo")
    assert (for_bo["messageId"], for_bo["status"], for_bo["text"], for_bo["textLang"]) == (
        rejected_id,
        "approved",
        NEGATIVE_FR,
        "fr",
    )
    assert for_bo["topics"] == {"idea": 1}
    assert set(for_bo["roomTopics"]) == {"Paris", "idea"}  # one each: their order is a tie

    stored = item(mod, "lobby", rejected_id)
    assert stored["status"]["S"] == "approved"
    assert "review" not in stored
    assert (stored["decidedBy"]["S"], stored["decisionReason"]["S"]) == ("Mia", "irony")
    assert stored["translations"]["M"]["fr"]["S"] == NEGATIVE_FR

    # History (a new reader joining) holds it in its original place, before the later message.
    mod.seed_connection("c-cy", "lobby", "en", "Cy")
    mod.expect_posts("c-cy", "c-cy", "c-cy", "c-cy")
    mod.send("c-cy", {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "Cy"})
    history = next(f for f in mod.frames("c-cy") if f["type"] == "history")
    assert [m["messageId"] for m in history["messages"]] == [rejected_id, later_id]
    mod.frames()


def test_mod_reject_keeps_it_hidden_and_tells_the_author(mod: Harness) -> None:
    """Rejection removes the item from the queue, tells the author, and publishes nothing."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    message_id = post_negative(mod, "m-mia")
    mod.frames()

    mod.expect_posts("m-mia", "a-ana")
    mod.send("m-mia", {"action": "mod.reject", "room": "lobby", "messageId": message_id})

    assert mod.frames("m-mia")[0]["entry"]["action"] == "reject"
    assert mod.frames("a-ana") == [
        {"type": "review.decided", "room": "lobby", "messageId": message_id, "decision": "rejected"}
    ]
    assert mod.frames("b-bo") == []
    stored = item(mod, "lobby", message_id)
    assert (stored["status"]["S"], "review" in stored) == ("rejected", False)
    assert "DetectEntities" not in mod.operations("comprehend")  # nothing analysed to reject


def test_second_moderator_gets_already_decided(mod: Harness) -> None:
    """Two moderators deciding one message: the conditional write lets exactly the first win."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    sign_in(mod, "m-noa", "Noa")
    message_id = post_negative(mod, "m-mia", "m-noa")
    mod.frames()

    mod.expect_posts("m-mia", "m-noa", "a-ana")
    mod.send("m-mia", {"action": "mod.reject", "room": "lobby", "messageId": message_id})
    mod.frames()

    for action in ("mod.approve", "mod.reject"):  # a different and the same decision
        mod.expect_posts("m-noa")
        mod.send("m-noa", {"action": action, "room": "lobby", "messageId": message_id})
        (refusal,) = mod.frames("m-noa")
        assert (refusal["code"], refusal["message"]) == (
            "ALREADY_DECIDED",
            "another decision came first: the message is rejected",
        )
    assert [a["action"]["S"] for a in audit_items(mod)] == ["signin", "signin", "reject"]
    assert mod.frames("a-ana") == []
    assert mod.operations("comprehend") == ["DetectDominantLanguage", "DetectSentiment"]


@pytest.mark.parametrize("action", ["mod.approve", "mod.reject", "mod.delete"])
def test_unknown_message_is_not_found(mod: Harness, action: str) -> None:
    """A decision on a message id that does not exist in that room is NOT_FOUND."""
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": action, "room": "lobby", "messageId": "01763900000001-2B8FJ1QZ0C"})
    assert error(mod.frames("m-mia")[0]) == ("error", "NOT_FOUND")
    assert mod.dynamodb.scan(TableName=TABLES["MessagesTable"])["Items"] == []


def test_mod_delete_removes_a_published_message_and_tells_the_room(mod: Harness) -> None:
    """Delete hides a published message from history and sends deleted to v2 readers only."""
    seed_room(mod)
    mod.seed_connection("c-cy", "lobby", "de", "Cy", version=1)
    sign_in(mod, "m-mia", "Mia")
    mod.expect_language(LATER, "en")
    mod.expect_sentiment(LATER, "en", "POSITIVE")
    mod.expect_entities(LATER, "en", [])
    mod.expect_translation(LATER, "en", "de", "Das Wetter in Paris ist heute schön.")
    mod.expect_translation(LATER, "en", "fr", "Il fait beau à Paris.")
    mod.expect_posts("a-ana", "a-ana", "b-bo", "c-cy")
    mod.send("a-ana", {"action": "message", "content": LATER})
    message_id = mod.frames("a-ana")[0]["messageId"]
    mod.frames()

    mod.expect_posts("m-mia", "a-ana", "b-bo")  # the v1 reader has no such frame
    mod.send("m-mia", {"action": "mod.delete", "room": "lobby", "messageId": message_id})

    assert mod.frames("m-mia")[0]["entry"]["action"] == "delete"
    deleted = {"type": "deleted", "room": "lobby", "messageId": message_id}
    assert mod.frames("a-ana") == [deleted]
    assert mod.frames("b-bo") == [deleted]
    assert mod.frames("c-cy") == []
    assert item(mod, "lobby", message_id)["status"]["S"] == "deleted"

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.delete", "room": "lobby", "messageId": message_id})
    assert error(mod.frames("m-mia")[0]) == ("error", "ALREADY_DECIDED")


def test_mod_delete_of_a_message_awaiting_review_is_not_published(mod: Harness) -> None:
    """Deleting a flagged message is NOT_PUBLISHED (reject it instead); it stays in the queue."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    message_id = post_negative(mod, "m-mia")
    mod.frames()

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.delete", "room": "lobby", "messageId": message_id})
    assert error(mod.frames("m-mia")[0]) == ("error", "NOT_PUBLISHED")
    assert item(mod, "lobby", message_id)["review"]["S"] == "pending"


# --- mutes -------------------------------------------------------------------------------------


def test_mod_mute_refuses_posts_until_it_ends(mod: Harness) -> None:
    """A muted user's posts are MUTED with the seconds left; after the end they go through."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia")
    mod.send(
        "m-mia",
        {"action": "mod.mute", "room": "lobby", "user": "Ana", "minutes": 2, "reason": "flood"},
    )
    entry = mod.frames("m-mia")[0]["entry"]
    assert (entry["action"], entry["user"], entry["reason"]) == ("mute", "Ana", "flood")
    assert entry["until"] - entry["at"] == 120_000

    mod.expect_posts("a-ana")
    mod.send("a-ana", {"action": "message", "content": LATER, "id": "m1"})
    (refusal,) = mod.frames("a-ana")
    assert (refusal["code"], refusal["id"]) == ("MUTED", "m1")
    assert 115 <= refusal["retryAfter"] <= 120
    assert mod.message_items("lobby") == []
    assert mod.operations("comprehend") == []

    # Bo is not muted; Ana in another room is not muted.
    mod.runtime.clock.now += 121_000  # type: ignore[attr-defined]
    mod.expect_language(LATER, "en")
    mod.expect_sentiment(LATER, "en", "POSITIVE")
    mod.expect_entities(LATER, "en", [])
    mod.expect_translation(LATER, "en", "fr", "Il fait beau à Paris.")
    mod.expect_posts("a-ana", "a-ana", "b-bo")
    mod.send("a-ana", {"action": "message", "content": LATER, "id": "m2"})
    assert mod.frames("a-ana")[0]["type"] == "ack"


@pytest.mark.parametrize(
    "lookalike",
    ["Bo\u034f", "Bo\ufe0f", "B\u043e", "BO", "\uff22\uff4f"],
    ids=["cgj", "variation-selector", "cyrillic-o", "upper", "fullwidth"],
)
def test_mod_mute_holds_for_lookalike_names(mod: Harness, lookalike: str) -> None:
    """A mute of "Bo" is a mute of every name with Bo's key: no lookalike can post in its place
    (and an invisible variant cannot even be taken)."""
    mod.seed_connection("b-bo", "lobby", "en", lookalike)  # as if it had been allowed in
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.mute", "room": "lobby", "user": "Bo", "minutes": 30})
    assert mod.frames("m-mia")[0]["entry"]["user"] == "Bo"  # the audit keeps the typed name
    mod.expect_posts("b-bo")
    mod.send("b-bo", {"action": "message", "content": LATER, "id": "m1"})
    assert error(mod.frames("b-bo")[0]) == ("error", "MUTED")
    assert mod.message_items("lobby") == []


def test_mod_mute_zero_minutes_lifts_the_mute(mod: Harness) -> None:
    """minutes 0 lifts a mute (audited as unmute) and the user may post again."""
    mod.seed_connection("a-ana", "lobby", "en", "Ana", version=1)
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia", "m-mia")
    mod.send("m-mia", {"action": "mod.mute", "room": "lobby", "user": "Ana", "minutes": 60})
    mod.send("m-mia", {"action": "mod.mute", "room": "lobby", "user": "Ana", "minutes": 0})
    unmute = mod.frames("m-mia")[1]["entry"]
    assert (unmute["action"], unmute["until"]) == ("unmute", None)

    mod.expect_language(LATER, "en")
    mod.expect_sentiment(LATER, "en", "POSITIVE")
    mod.expect_entities(LATER, "en", [])
    mod.expect_posts("a-ana")
    mod.send("a-ana", {"action": "message", "content": LATER})
    (delivered,) = mod.frames("a-ana")
    assert delivered[0]["content"] == LATER  # v1: an array of message objects


def test_muted_v1_user_gets_a_v1_notice_with_the_code(mod: Harness) -> None:
    """The original client sees the refusal as a notice from Positive Chat carrying MUTED."""
    mod.seed_connection("a-ana", "lobby", "en", "Ana", version=1)
    sign_in(mod, "m-mia", "Mia")
    mod.expect_posts("m-mia", "a-ana")
    mod.send("m-mia", {"action": "mod.mute", "room": "lobby", "user": "Ana", "minutes": 5})
    mod.send("a-ana", {"action": "message", "content": LATER})
    ((notice,),) = mod.frames("a-ana")
    assert (notice["user"], notice["error"]) == ("Positive Chat", "MUTED")


# --- audit -------------------------------------------------------------------------------------


def test_mod_audit_lists_every_decision_newest_first_with_paging(mod: Harness) -> None:
    """Sign-in, decisions and mutes are audited; mod.audit pages them newest first."""
    seed_room(mod)
    sign_in(mod, "m-mia", "Mia")
    first = post_negative(mod, "m-mia")
    second = post_negative(mod, "m-mia", text=f"{NEGATIVE} Really.")
    mod.frames()
    mod.expect_posts("m-mia", "a-ana", "m-mia", "a-ana", "m-mia")
    mod.send(
        "m-mia", {"action": "mod.reject", "room": "lobby", "messageId": first, "reason": "rude"}
    )
    mod.send("m-mia", {"action": "mod.reject", "room": "lobby", "messageId": second})
    mod.send("m-mia", {"action": "mod.mute", "room": "lobby", "user": "Ana", "minutes": 10})
    mod.frames()

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.audit", "limit": 3, "id": "au1"})
    (page,) = mod.frames("m-mia")
    assert (page["type"], page["id"], page["hasMore"]) == ("review.audit", "au1", True)
    assert [(e["action"], e["messageId"], e["user"]) for e in page["entries"]] == [
        ("mute", None, "Ana"),
        ("reject", second, "Ana"),
        ("reject", first, "Ana"),
    ]
    assert page["entries"][2]["reason"] == "rude"
    assert all(e["moderator"] == "Mia" for e in page["entries"])
    assert "connectionId" not in page["entries"][0]

    mod.expect_posts("m-mia")
    mod.send("m-mia", {"action": "mod.audit", "after": page["entries"][-1]["entryId"]})
    (rest,) = mod.frames("m-mia")
    assert [e["action"] for e in rest["entries"]] == ["signin"]
    assert rest["hasMore"] is False

    # Stored with a TTL a year and more ahead.
    for entry in audit_items(mod):
        assert int(entry["ttl"]["N"]) - int(entry["at"]["N"]) // 1000 == 400 * 86_400
