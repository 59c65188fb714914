"""The handler's join flow: $connect, init (v1 and v2), history, presence, topics, $disconnect."""

from __future__ import annotations

from typing import Any

from conftest import Harness


def seed_messages(harness: Harness, room: str, rows: list[dict[str, Any]]) -> None:
    """Write Messages items directly (as earlier invocations would have)."""
    for row in rows:
        item = {
            "room": {"S": room},
            "msgId": {"S": row["msgId"]},
            "user": {"S": row.get("user", "Bo")},
            "lang": {"S": row.get("lang", "en")},
            "content": {"S": row["content"]},
            "createdAt": {"N": row["msgId"][:14].lstrip("0")},
            "status": {"S": row.get("status", "published")},
            "sentiment": {"S": "POSITIVE"},
            "topics": {"M": {}},
            "roomTopics": {"L": []},
            "translations": {"M": {k: {"S": v} for k, v in row.get("translations", {}).items()}},
        }
        harness.dynamodb.put_item(TableName="test-messages", Item=item)


def msg_id(n: int) -> str:
    """A well-formed message id for the n-th seeded message."""
    return f"{1_763_000_000_000 + n:014d}-ABCDEFGHJK"


def test_connect_accepts_and_stores_nothing(harness: Harness) -> None:
    """$connect answers 200 and writes no Connections item until the client joins."""
    assert harness.connect("c1") == {"statusCode": 200}
    assert harness.connection_item("c1") is None
    assert harness.calls == []


def test_join_v2_answers_joined_history_presence_topics(harness: Harness) -> None:
    """A v2 init gets joined, history, presence snapshot and topics frames, in that order."""
    harness.expect_posts("c1", "c1", "c1", "c1")
    result = harness.send(
        "c1",
        {"action": "init", "v": 2, "room": "lobby", "lang": "fr", "user": "  Ana ", "id": "j1"},
    )
    assert result == {"statusCode": 200}
    joined, history, presence, topics = harness.frames("c1")
    assert joined == {
        "type": "joined",
        "id": "j1",
        "room": "lobby",
        "user": "Ana",
        "lang": "fr",
        "limits": {
            "contentChars": 2000,
            "contentBytes": 5000,
            "historyPage": 50,
            "historyMaxPage": 100,
            "nameChars": 32,
            "roomChars": 64,
        },
    }
    assert history == {
        "type": "history",
        "id": "j1",
        "room": "lobby",
        "mode": "latest",
        "messages": [],
        "hasMore": False,
        "final": True,
    }
    assert presence == {
        "type": "presence",
        "room": "lobby",
        "event": "snapshot",
        "user": "Ana",
        "members": [{"user": "Ana", "lang": "fr"}],
        "count": 1,
    }
    assert topics == {"type": "topics", "room": "lobby", "topics": []}
    item = harness.connection_item("c1")
    assert item is not None
    assert item["room"] == {"S": "lobby"}
    assert item["user"] == {"S": "Ana"}
    assert item["lang"] == {"S": "fr"}
    assert item["v"] == {"N": "2"}
    assert item["role"] == {"S": "user"}
    connected_at = int(item["connectedAt"]["N"])
    assert int(item["ttl"]["N"]) == connected_at // 1000 + 2 * 3600 + 15 * 60
    assert harness.endpoints == ["https://abc123.execute-api.us-east-1.amazonaws.com/prod"]


def test_join_v1_sends_history_array_only(harness: Harness) -> None:
    """A v1 init gets only the history as a JSON array (the original client's format)."""
    harness.expect_posts("c1")
    harness.send("c1", {"action": "init", "room": "lobby", "lang": "en"})
    assert harness.raw("c1") == [b"[]"]


def test_join_announces_presence_to_v2_and_notice_to_v1(harness: Harness) -> None:
    """Others learn who joined: a presence frame (v2), a translated notice (v1)."""
    harness.join("old2", "lobby", "en", user="Bo")
    harness.join("old1", "lobby", "ko")  # ko: a notice not written, translated
    harness.expect_posts("new", "new", "new", "new", "old1", "old2")
    harness.expect_translation("joined the room", "en", "ko", "님이 방에 들어왔습니다")
    harness.send("new", {"action": "init", "v": 2, "room": "lobby", "lang": "de", "user": "Ana"})
    snapshot = harness.frames("new")[2]
    assert snapshot["members"] == [{"user": "Ana", "lang": "de"}, {"user": "Bo", "lang": "en"}]
    assert harness.frames("old2") == [
        {
            "type": "presence",
            "room": "lobby",
            "event": "join",
            "user": "Ana",
            "members": [{"user": "Ana", "lang": "de"}, {"user": "Bo", "lang": "en"}],
            "count": 2,
        }
    ]
    [notice] = harness.frames("old1")
    assert notice == [
        {
            "room": "lobby",
            "timestamp": notice[0]["timestamp"],
            "user": "Positive Chat",
            "lang": "ko",
            "content": "Ana 님이 방에 들어왔습니다",
            "topics": {},
            "sentiment": "NEUTRAL",
            "roomTopics": [],
        }
    ]


def test_history_holds_latest_50_visible_newest_last(harness: Harness) -> None:
    """History is the latest 50 published/approved messages, oldest first, skipping others."""
    rows = []
    for n in range(120):
        status = "published" if n % 2 == 0 else ("rejected" if n % 4 == 1 else "held")
        rows.append({"msgId": msg_id(n), "content": f"message {n}", "status": status})
    rows[118]["status"] = "approved"
    seed_messages(harness, "lobby", rows)
    harness.expect_posts("c1", "c1", "c1", "c1")
    harness.send("c1", {"action": "init", "v": 2, "room": "lobby", "lang": "en", "user": "Ana"})
    history = harness.frames("c1")[1]
    contents = [m["content"] for m in history["messages"]]
    assert contents == [f"message {n}" for n in range(20, 120, 2)]
    assert history["hasMore"] is True
    assert all(m["translation"] == "original" for m in history["messages"])
    assert history["messages"][-1]["status"] == "approved"


def test_history_translates_each_message_once_ever(harness: Harness) -> None:
    """Missing translations are fetched on join and saved; the next reader reuses them."""
    seed_messages(
        harness,
        "lobby",
        [
            {"msgId": msg_id(1), "content": "Hola a todos", "lang": "es"},
            {"msgId": msg_id(2), "content": "Hello", "lang": "en"},
            {
                "msgId": msg_id(3),
                "content": "Buenos días",
                "lang": "es",
                "translations": {"en": "Good morning"},
            },
        ],
    )
    harness.expect_translation("Hola a todos", "es", "en", "Hello everyone")
    harness.join("c1", "lobby", "en")
    assert harness.operations("translate") == ["TranslateText"]
    saved = harness.message_items("lobby")[0]["translations"]
    assert saved == {"M": {"en": {"S": "Hello everyone"}}}

    harness.expect_posts("c2")
    harness.send("c2", {"action": "init", "room": "lobby", "lang": "en"})
    [history] = harness.frames("c2")
    assert harness.operations("translate") == ["TranslateText"]  # nothing translated again
    assert [(m["content"], m.get("translated")) for m in history] == [
        ("Hola a todos", "Hello everyone"),
        ("Hello", None),
        ("Buenos días", "Good morning"),
    ]


def test_history_translation_failure_delivers_original(harness: Harness) -> None:
    """When Translate cannot translate, history carries the original marked unavailable."""
    seed_messages(harness, "lobby", [{"msgId": msg_id(1), "content": "Hola", "lang": "es"}])
    harness.expect_translation_error("Hola", "es", "ja")
    harness.expect_posts("c1", "c1", "c1", "c1")
    harness.send("c1", {"action": "init", "v": 2, "room": "lobby", "lang": "ja", "user": "Ana"})
    [message] = harness.frames("c1")[1]["messages"]
    assert (message["text"], message["textLang"], message["translation"]) == (
        "Hola",
        "es",
        "unavailable",
    )
    assert harness.message_items("lobby")[0]["translations"] == {"M": {}}


def test_join_after_resumes_without_gaps_or_duplicates(harness: Harness) -> None:
    """init with ``after`` sends only the messages newer than the client's newest."""
    seed_messages(harness, "lobby", [{"msgId": msg_id(n), "content": f"m{n}"} for n in range(1, 6)])
    harness.expect_posts("c1", "c1", "c1", "c1")
    harness.send(
        "c1",
        {
            "action": "init",
            "v": 2,
            "room": "lobby",
            "lang": "en",
            "user": "Ana",
            "after": msg_id(3),
        },
    )
    history = harness.frames("c1")[1]
    assert history["mode"] == "after"
    assert [m["content"] for m in history["messages"]] == ["m4", "m5"]
    assert history["hasMore"] is False


def test_history_pages_older_messages(harness: Harness) -> None:
    """history(before, limit) returns the page just older than ``before``, oldest first."""
    seed_messages(
        harness, "lobby", [{"msgId": msg_id(n), "content": f"m{n}"} for n in range(1, 11)]
    )
    harness.join("c1", "lobby", "en", user="Ana")
    harness.expect_posts("c1")
    harness.send("c1", {"action": "history", "before": msg_id(6), "limit": 3, "id": "h1"})
    [page] = harness.frames("c1")
    assert page["type"] == "history"
    assert page["id"] == "h1"
    assert page["mode"] == "before"
    assert [m["content"] for m in page["messages"]] == ["m3", "m4", "m5"]
    assert page["hasMore"] is True


def test_switching_rooms_tells_the_old_room(harness: Harness) -> None:
    """An init on a joined connection leaves the old room first (presence leave)."""
    harness.join("bo", "lobby", "en", user="Bo")
    harness.join("ana", "lobby", "en", user="Ana")  # bo is told: not expected here
    harness.frames()
    harness.expect_posts("bo", "ana", "ana", "ana", "ana")
    harness.send("ana", {"action": "init", "v": 2, "room": "garden", "lang": "en", "user": "Ana"})
    assert harness.frames("bo") == [
        {
            "type": "presence",
            "room": "lobby",
            "event": "leave",
            "user": "Ana",
            "members": [{"user": "Bo", "lang": "en"}],
            "count": 1,
        }
    ]
    assert harness.frames("ana")[0]["room"] == "garden"


def test_disconnect_deletes_connection_and_tells_room(harness: Harness) -> None:
    """$disconnect removes the connection and the room hears who left."""
    harness.join("bo", "lobby", "en", user="Bo")
    harness.join("ana", "lobby", "en", user="Ana")
    harness.frames()
    harness.expect_posts("bo")
    assert harness.disconnect("ana") == {"statusCode": 200}
    assert harness.connection_item("ana") is None
    assert harness.frames("bo")[0]["event"] == "leave"


def test_disconnect_of_unknown_connection_is_quiet(harness: Harness) -> None:
    """$disconnect for a connection that never joined does nothing and answers 200."""
    assert harness.disconnect("ghost") == {"statusCode": 200}
    assert harness.posts == []
