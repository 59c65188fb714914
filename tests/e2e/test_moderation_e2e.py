"""End to end: moderation on the local cloud, over real WebSockets, the secret in local SSM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

SECRET = "e2e moderator secret, not for production"
NEGATIVE = "I hate you all, this is awful, stupid and disgusting."


@pytest.fixture(scope="module")
def cloud(
    start_local_cloud: Callable[..., RunningCloud], tmp_path_factory: pytest.TempPathFactory
) -> RunningCloud:
    """A local cloud whose moderator secret comes from a file."""
    secret_file: Path = tmp_path_factory.mktemp("secret") / "moderator-secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    return start_local_cloud("--moderator-secret-file", str(secret_file))


async def moderator(cloud: RunningCloud, name: str = "Mia") -> ChatClient:
    """A console connection signed in as a moderator."""
    client = await ChatClient.connect(cloud.ws_url, user=name)
    await client.send({"action": "mod.auth", "secret": SECRET, "name": name})
    signed_in = await client.expect("review.authenticated")
    assert signed_in["moderator"] == name
    return client


async def test_negative_message_flagged_live_approved_and_delivered(
    cloud: RunningCloud, room: str
) -> None:
    """A rejected post reaches the console live; approving it delivers it to another language."""
    mia = await moderator(cloud)
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana", lang="en")
    bea = await ChatClient.join(cloud.ws_url, room, user="Béa", lang="fr")
    try:
        sent = await ana.post(NEGATIVE)
        refused = await ana.expect("rejected", lambda f: f["id"] == sent)
        flag = await mia.expect(
            "review.flagged", lambda f: f["item"]["messageId"] == refused["messageId"]
        )
        assert (flag["item"]["room"], flag["item"]["user"], flag["item"]["content"]) == (
            room,
            "Ana",
            NEGATIVE,
        )
        assert flag["item"]["sentiment"] == "NEGATIVE"

        await mia.send(
            {"action": "mod.approve", "room": room, "messageId": refused["messageId"], "id": "d1"}
        )
        resolved = await mia.expect("review.resolved", lambda f: f.get("id") == "d1")
        assert resolved["entry"]["action"] == "approve"

        decided = await ana.expect("review.decided")
        assert (decided["messageId"], decided["decision"]) == (refused["messageId"], "approved")
        got = await bea.expect("message", lambda f: f["messageId"] == refused["messageId"])
        assert (got["status"], got["content"], got["lang"]) == ("approved", NEGATIVE, "en")
        # Translated for the French reader (offline, Apertium), as any published message.
        assert got["translation"] == "translated"
        assert got["text"] != NEGATIVE
    finally:
        for client in (mia, ana, bea):
            await client.close()


async def test_rejection_keeps_the_message_hidden(cloud: RunningCloud, room: str) -> None:
    """A confirmed rejection tells the author and never reaches the room."""
    mia = await moderator(cloud)
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana", lang="en")
    bo = await ChatClient.join(cloud.ws_url, room, user="Bo", lang="en")
    try:
        sent = await ana.post(NEGATIVE)
        refused = await ana.expect("rejected", lambda f: f["id"] == sent)
        await mia.expect("review.flagged", lambda f: f["item"]["messageId"] == refused["messageId"])
        await mia.send({"action": "mod.reject", "room": room, "messageId": refused["messageId"]})
        await mia.expect("review.resolved")
        decided = await ana.expect("review.decided")
        assert decided["decision"] == "rejected"

        await mia.send({"action": "mod.queue", "room": room, "id": "q1"})
        queue = await mia.expect("review.queue", lambda f: f.get("id") == "q1")
        assert queue["items"] == []
        await bo.drain()
        assert [m for m in bo.seen("message") if m["messageId"] == refused["messageId"]] == []
    finally:
        for client in (mia, ana, bo):
            await client.close()


async def test_muted_user_is_refused_until_unmuted(cloud: RunningCloud, room: str) -> None:
    """A muted user's posts are refused with MUTED and retryAfter; others still post."""
    mia = await moderator(cloud)
    bo = await ChatClient.join(cloud.ws_url, room, user="Bo", lang="en")
    try:
        await mia.send({"action": "mod.mute", "room": room, "user": "Bo", "minutes": 10})
        muted = await mia.expect("review.resolved")
        assert (muted["entry"]["action"], muted["entry"]["user"]) == ("mute", "Bo")

        sent = await bo.post("Hello again, what a lovely sunny day in Paris!")
        refusal = await bo.expect("error", lambda f: f.get("id") == sent)
        assert refusal["code"] == "MUTED"
        assert 590 <= refusal["retryAfter"] <= 600

        await mia.send({"action": "mod.mute", "room": room, "user": "Bo", "minutes": 0})
        await mia.expect("review.resolved", lambda f: f["entry"]["action"] == "unmute")
        sent = await bo.post("Hello again, what a lovely sunny day in Paris!")
        ack = await bo.expect("ack", lambda f: f["id"] == sent)
        assert ack["status"] == "published"
    finally:
        await mia.close()
        await bo.close()


async def test_wrong_secret_is_refused(cloud: RunningCloud) -> None:
    """A wrong secret gets AUTH_FAILED and the connection stays unprivileged."""
    eve = await ChatClient.connect(cloud.ws_url, user="Eve")
    try:
        await eve.send({"action": "mod.auth", "secret": "not the secret at all"})
        refusal = await eve.expect("error")
        assert refusal["code"] == "AUTH_FAILED"
        await eve.send({"action": "mod.queue"})
        assert (await eve.expect("error"))["code"] == "NOT_MODERATOR"
    finally:
        await eve.close()
