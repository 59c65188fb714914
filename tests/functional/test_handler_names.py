"""Names are unique in a room: the real handler, moto DynamoDB, stubbed @connections."""

from __future__ import annotations

import pytest
from conftest import TABLES, Harness
from positive_chat.domain.names import name_key

# Lookalikes of "Ana": case, fullwidth letters, a Cyrillic capital A.
VARIANTS = ["Ana", "ana", "\uff21\uff4e\uff41", "\u0410na"]


def init(
    user: str, room: str = "lobby", lang: str = "es", client_id: str = "j2"
) -> dict[str, object]:
    """A v2 init frame."""
    return {"action": "init", "v": 2, "room": room, "lang": lang, "user": user, "id": client_id}


def expect_alive(harness: Harness, connection_id: str) -> None:
    """GetConnection finds ``connection_id`` (its socket is open)."""
    harness.connections.add_response("get_connection", {}, {"ConnectionId": connection_id})


def claim_items(harness: Harness) -> list[dict[str, object]]:
    """Every name claim in the Connections table."""
    items = harness.dynamodb.scan(TableName=TABLES["ConnectionsTable"])["Items"]
    return [i for i in items if i["connectionId"]["S"].startswith("name#")]


@pytest.mark.parametrize("variant", VARIANTS, ids=["same", "case", "width", "cyrillic"])
def test_second_join_with_a_taken_name_gets_name_taken(harness: Harness, variant: str) -> None:
    """The second person gets NAME_TAKEN (field user, its id echoed); nothing is stored for it
    and the first person hears nothing."""
    harness.join("c1", "lobby", "en", user="Ana")
    expect_alive(harness, "c1")
    harness.expect_posts("c2")
    assert harness.send("c2", init(variant)) == {"statusCode": 200}
    [error] = harness.frames("c2")
    assert (error["type"], error["code"], error["field"], error["id"]) == (
        "error",
        "NAME_TAKEN",
        "user",
        "j2",
    )
    assert "Ana" in error["message"]
    assert harness.frames("c1") == []
    assert harness.connection_item("c2") is None
    assert [i["holder"]["S"] for i in claim_items(harness)] == ["c1"]  # type: ignore[index]


def test_refused_join_leaves_presence_right(harness: Harness) -> None:
    """After a refusal the room still lists each person once; a new name then joins."""
    harness.join("c1", "lobby", "en", user="Ana")
    harness.expect_posts("c3", "c3", "c3", "c3", "c1")  # Bo's answer, then Ana hears Bo joined
    harness.send("c3", init("Bo", lang="fr", client_id="j1"))
    harness.frames()
    expect_alive(harness, "c1")
    harness.expect_posts("c2")
    harness.send("c2", init("ANA"))
    assert harness.frames("c2")[0]["code"] == "NAME_TAKEN"
    harness.expect_posts("c2", "c2", "c2", "c2", "c1", "c3")
    harness.send("c2", init("Cy", client_id="j3"))
    snapshot = next(f for f in harness.frames("c2") if f["type"] == "presence")
    assert [m["user"] for m in snapshot["members"]] == ["Ana", "Bo", "Cy"]


def test_the_holder_rejoining_with_its_name_is_fine(harness: Harness) -> None:
    """The same connection re-sending init (e.g. to resume) keeps its name."""
    harness.join("c1", "lobby", "en", user="Ana")
    harness.expect_posts("c1", "c1", "c1", "c1")
    harness.send("c1", init("ana", lang="en"))
    assert harness.frames("c1")[0]["type"] == "joined"


@pytest.mark.parametrize("how", ["leave", "disconnect", "room change"])
def test_the_name_is_released(harness: Harness, how: str) -> None:
    """Leave, $disconnect and switching rooms let the name go: the next Ana joins at once (no
    GetConnection: the stubs would fail on an unexpected call)."""
    harness.join("c1", "lobby", "en", user="Ana")
    if how == "leave":
        harness.expect_posts("c1")
        harness.send("c1", {"action": "leave", "v": 2, "id": "l1"})
    elif how == "disconnect":
        harness.disconnect("c1")
    else:
        harness.expect_posts("c1", "c1", "c1", "c1")
        harness.send("c1", init("Ana", room="music", lang="en"))
    harness.frames("c1")
    harness.expect_posts("c2", "c2", "c2", "c2")
    harness.send("c2", init("Ana"))
    assert harness.frames("c2")[0]["type"] == "joined"
    holders = {i["connectionId"]["S"]: i["holder"]["S"] for i in claim_items(harness)}  # type: ignore[index]
    assert holders["name#lobby#" + name_key("Ana")] == "c2"
    assert "c1" not in holders.values() or how == "room change"  # c1 now holds Ana in music


def test_a_vanished_holder_loses_the_name(harness: Harness) -> None:
    """The server was killed: Ana's connection item is still there, but @connections says it is
    gone (410). The page reconnects under the same name: it gets it, and the room lists one Ana."""
    harness.join("c1", "lobby", "en", user="Ana")
    harness.connections.add_client_error(
        "get_connection",
        service_error_code="GoneException",
        service_message="gone",
        http_status_code=410,
        expected_params={"ConnectionId": "c1"},
    )
    harness.expect_posts("c2", "c2", "c2", "c2")
    harness.send("c2", init("Ana"))
    joined, _history, presence, _topics = harness.frames("c2")
    assert joined["user"] == "Ana"
    assert presence["members"] == [{"user": "Ana", "lang": "es"}]
    assert harness.connection_item("c1") is None
