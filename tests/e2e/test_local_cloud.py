"""End to end: the real Lambda on the local cloud, driven over real WebSockets and boto3."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import websockets
from botocore.config import Config

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

POSITIVE = "Hello everyone, what a lovely sunny day in Paris with friends!"
NEGATIVE = "I hate you all, this is awful, stupid and disgusting."


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def _connection_ids(cloud: RunningCloud, room: str) -> dict[str, str]:
    """user -> connection id of everyone in the room, read from the Connections table."""
    ddb = _client("dynamodb", cloud.dynamodb_url)
    items = ddb.query(
        TableName="ConnectionsTable",
        IndexName="ByRoom",
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": room}},
    )["Items"]
    return {item["user"]["S"]: item["connectionId"]["S"] for item in items}


async def test_two_users_in_different_languages_chat(local_cloud: RunningCloud, room: str) -> None:
    """Two users with different languages each receive the other's message, translated."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana", lang="en")
    bea = await ChatClient.join(local_cloud.ws_url, room, user="Béa", lang="fr")
    try:
        sent = await ana.post(POSITIVE)
        ack = await ana.expect("ack", lambda f: f["id"] == sent)
        assert ack["status"] == "published"
        mine = await ana.expect("message", lambda f: f["messageId"] == ack["messageId"])
        assert mine["translation"] == "original"
        assert mine["text"] == POSITIVE
        theirs = await bea.expect("message", lambda f: f["messageId"] == ack["messageId"])
        assert theirs["user"] == "Ana"
        assert theirs["lang"] == "en"
        assert theirs["content"] == POSITIVE
        # Translated offline (Apertium, through Spanish): real French, not the English original.
        assert theirs["translation"] == "translated"
        assert theirs["text"] != POSITIVE
        assert theirs["clientId"] == sent

        reply = "Bonjour Ana, quelle belle journée ensoleillée à Paris avec des amis !"
        sent_b = await bea.post(reply)
        ack_b = await bea.expect("ack", lambda f: f["id"] == sent_b)
        got = await ana.expect("message", lambda f: f["messageId"] == ack_b["messageId"])
        assert got["user"] == "Béa"
        assert got["lang"] == "fr"
        assert got["content"] == reply
        assert got["translation"] == "translated"
        assert "friends" in got["text"]  # "amis", word for word through Spanish
    finally:
        await ana.close()
        await bea.close()


FIVE_LANGUAGE_POSTS = {
    "en": "Good morning everyone, the weather is beautiful today!",
    "es": "Buenos días a todos, hoy hace un tiempo precioso.",
    "fr": "Bonjour à tous, il fait très beau aujourd'hui !",
    "pt": "Bom dia a todos, o tempo está lindo hoje!",
    "it": "Buongiorno a tutti, oggi il tempo è bellissimo!",
}


async def test_five_languages_each_read_everyone_translated(
    local_cloud: RunningCloud, room: str
) -> None:
    """Readers in en, es, fr, pt, it; each writes once; every other reader gets a translation."""
    users = {
        lang: await ChatClient.join(local_cloud.ws_url, room, user=f"User-{lang}", lang=lang)
        for lang in FIVE_LANGUAGE_POSTS
    }
    try:
        for lang, text in FIVE_LANGUAGE_POSTS.items():
            writer = users[lang]
            sent = await writer.post(text)
            ack = await writer.expect("ack", lambda f, sent=sent: f["id"] == sent)
            assert ack["status"] == "published", (lang, ack)
            for reader_lang, reader in users.items():
                got = await reader.expect(
                    "message", lambda f, ack=ack: f["messageId"] == ack["messageId"]
                )
                assert got["lang"] == lang
                assert got["content"] == text
                if reader_lang == lang:
                    assert got["translation"] == "original"
                    continue
                assert got["translation"] == "translated", (lang, reader_lang, got)
                assert got["text"], (lang, reader_lang)
                assert got["text"] != text, (lang, reader_lang, got["text"])
    finally:
        for client in users.values():
            await client.close()


async def test_original_v1_reader_gets_real_translations(
    local_cloud: RunningCloud, room: str
) -> None:
    """The 2019 protocol: a French v1 reader's ``translated`` is French, live and in history."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana", lang="en")
    text = "Good morning my friends, the weather is beautiful today!"
    try:
        sent = await ana.post(text)
        ack = await ana.expect("ack", lambda f: f["id"] == sent)
        assert ack["status"] == "published"
        async with websockets.connect(local_cloud.ws_url) as v1:
            await v1.send(json.dumps({"action": "init", "room": room, "lang": "fr"}))
            [history] = json.loads(await asyncio.wait_for(v1.recv(), 15))[-1:]
            assert history["content"] == text
            assert history["destLang"] == "fr"
            assert history["translated"] != text
            assert "amis" in history["translated"]
            live_text = "See you tomorrow, dear friends!"
            await ana.post(live_text)
            while True:
                frame = json.loads(await asyncio.wait_for(v1.recv(), 15))
                live = [m for m in frame if m.get("content") == live_text]
                if live:
                    break
            assert live[0]["destLang"] == "fr"
            assert live[0]["translated"] not in ("", live_text)
    finally:
        await ana.close()


async def test_a_language_offline_services_cannot_translate_gets_a_decision(
    local_cloud: RunningCloud, room: str
) -> None:
    """Hebrew has no offline route to English: it is still judged (published or refused)."""
    noa = await ChatClient.join(local_cloud.ws_url, room, user="Noa", lang="he")
    try:
        sent = await noa.post("שלום לכולם, איזה יום יפה היום!")
        assert await noa.outcome(sent) == "published"
        sent = await noa.post("אני שונא אותך, אתה אידיוט מטומטם")
        assert await noa.outcome(sent) in ("published", "rejected")  # a decision, never "held"
    finally:
        await noa.close()


async def test_ten_users_each_receive_every_message_once(
    local_cloud: RunningCloud, room: str
) -> None:
    """In a room of ten users in three languages, one message reaches all ten exactly once."""
    langs = ["en", "es", "de"]
    users = [
        await ChatClient.join(local_cloud.ws_url, room, user=f"user{i}", lang=langs[i % 3])
        for i in range(10)
    ]
    try:
        sent = await users[0].post("Good morning team, the new release looks great!")
        ack = await users[0].expect("ack", lambda f: f["id"] == sent)
        for user in users:
            await user.expect("message", lambda f: f["messageId"] == ack["messageId"])
        for user in users:
            await user.drain(0.2)
            copies = [f for f in user.seen("message") if f["messageId"] == ack["messageId"]]
            assert len(copies) == 1, user.user
    finally:
        await asyncio.gather(*(user.close() for user in users))


async def test_history_on_join_is_latest_first_to_last(
    local_cloud: RunningCloud, room: str
) -> None:
    """A newcomer gets the room's earlier messages, oldest first, newest last."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    texts = [f"Message number {n}, have a wonderful day everyone!" for n in range(3)]
    for text in texts:
        sent = await ana.post(text)
        await ana.expect("ack", lambda f, s=sent: f["id"] == s)
    await ana.close()

    bo = await ChatClient.connect(local_cloud.ws_url, user="Bo", lang="es")
    try:
        history = await bo.init(room)
        assert [m["content"] for m in history["messages"]] == texts
        assert history["hasMore"] is False
        assert all(m["textLang"] in {"es", "en"} for m in history["messages"])
    finally:
        await bo.close()


async def test_presence_tells_the_room_who_joins_and_leaves(
    local_cloud: RunningCloud, room: str
) -> None:
    """Joiners get a snapshot; the room hears of each join and leave."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    snapshot = await ana.expect("presence", lambda f: f["event"] == "snapshot")
    assert [m["user"] for m in snapshot["members"]] == ["Ana"]

    bo = await ChatClient.join(local_cloud.ws_url, room, user="Bo", lang="de")
    joined = await ana.expect("presence", lambda f: f["event"] == "join")
    assert joined["user"] == "Bo"
    assert sorted(m["user"] for m in joined["members"]) == ["Ana", "Bo"]

    await bo.close()
    left = await ana.expect("presence", lambda f: f["event"] == "leave")
    assert left["user"] == "Bo"
    assert [m["user"] for m in left["members"]] == ["Ana"]
    await ana.close()


async def test_negative_message_reaches_only_its_sender(
    local_cloud: RunningCloud, room: str
) -> None:
    """A negative message is refused with a notice to the sender; the room never sees it."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    bo = await ChatClient.join(local_cloud.ws_url, room, user="Bo")
    try:
        bad = await ana.post(NEGATIVE)
        rejected = await ana.expect("rejected", lambda f: f["id"] == bad)
        assert rejected["reason"] == "NEGATIVE"
        assert rejected["notice"]
        good = await ana.post(POSITIVE)
        ack = await ana.expect("ack", lambda f: f["id"] == good)
        # Bo's next message frame is the positive one: the negative one never came before it.
        first = await bo.expect("message")
        assert first["messageId"] == ack["messageId"]
        assert all(f["content"] != NEGATIVE for f in bo.seen("message"))
        assert all(f["content"] != NEGATIVE for f in ana.seen("message"))
    finally:
        await ana.close()
        await bo.close()


async def test_vanished_reader_is_pruned_on_410(local_cloud: RunningCloud, room: str) -> None:
    """A stored connection whose socket is gone answers 410; it is deleted and delivery goes on."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    bo = await ChatClient.join(local_cloud.ws_url, room, user="Bo")
    ghost_id = "R1kmxc2VNjMCFIA="
    ddb = _client("dynamodb", local_cloud.dynamodb_url)
    ddb.put_item(
        TableName="ConnectionsTable",
        Item={
            "connectionId": {"S": ghost_id},
            "room": {"S": room},
            "user": {"S": "Ghost"},
            "lang": {"S": "en"},
            "role": {"S": "user"},
            "v": {"N": "2"},
            "connectedAt": {"N": "1700000000000"},
            "ttl": {"N": "4102444800"},
        },
    )
    try:
        sent = await ana.post(POSITIVE)
        ack = await ana.expect("ack", lambda f: f["id"] == sent)
        await bo.expect("message", lambda f: f["messageId"] == ack["messageId"])
        left = await bo.expect("presence", lambda f: f["event"] == "leave")
        assert left["user"] == "Ghost"
        assert "Ghost" not in _connection_ids(local_cloud, room)
    finally:
        await ana.close()
        await bo.close()


async def test_frame_over_128_kb_closes_with_1009(local_cloud: RunningCloud, room: str) -> None:
    """A frame over API Gateway's 128 KB limit closes the connection with 1009."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    big = json.dumps({"action": "message", "content": "a" * (128 * 1024)})
    await ana.send(big)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await ana.expect("ack", timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


async def test_connect_with_unknown_protocol_version_is_refused(local_cloud: RunningCloud) -> None:
    """$connect refuses an unknown protocol version: the handshake fails with HTTP 400."""
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(local_cloud.ws_url + "?v=9")
    assert refused.value.response.status_code == 400


async def test_connections_api_with_boto3(local_cloud: RunningCloud, room: str) -> None:
    """boto3's @connections client can get, post to and delete a live connection; then 410."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    api = _client("apigatewaymanagementapi", local_cloud.connections_url)
    connection_id = _connection_ids(local_cloud, room)["Ana"]

    info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert info["ConnectedAt"] <= info["LastActiveAt"]

    await asyncio.to_thread(
        api.post_to_connection, ConnectionId=connection_id, Data=b'{"type":"hello"}'
    )
    assert await ana.expect("hello")

    await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
    with pytest.raises(websockets.ConnectionClosed):
        await ana.expect("never", timeout=5)
    with pytest.raises(api.exceptions.GoneException):
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b"x")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["clean-stop", "killed"])
async def test_rooms_history_and_topics_survive_a_restart(
    start_local_cloud: Any, room: str, how: signal.Signals
) -> None:
    """Stop the local cloud (cleanly or by SIGKILL) and start it again: nothing is lost."""
    cloud: RunningCloud = await asyncio.to_thread(start_local_cloud)
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana")
    texts = ["Paris is beautiful in the spring!", "I love the museums in Paris, so wonderful!"]
    for text in texts:
        sent = await ana.post(text)
        await ana.expect("ack", lambda f, s=sent: f["id"] == s)
    await ana.close()
    topics_before = _room_topics(cloud, room)
    assert topics_before, "the messages should have produced topics"

    await asyncio.to_thread(cloud.restart, how)

    assert _room_topics(cloud, room) == topics_before
    bo = await ChatClient.connect(cloud.ws_url, user="Bo")
    try:
        history = await bo.init(room)
        assert [m["content"] for m in history["messages"]] == texts
        top = await bo.expect("topics")
        assert top["topics"]
        for entry in top["topics"]:
            assert topics_before[entry["topic"]] == entry["count"]
    finally:
        await bo.close()


def _room_topics(cloud: RunningCloud, room: str) -> dict[str, int]:
    ddb = _client("dynamodb", cloud.dynamodb_url)
    items = ddb.query(
        TableName="TopicsTable",
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": room}},
    )["Items"]
    return {item["topic"]["S"]: int(item["num"]["N"]) for item in items}
