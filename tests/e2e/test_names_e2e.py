"""Names are unique in a room, end to end: real clients over the local cloud's sockets."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Any

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

FULLWIDTH_ANA = "\uff41\uff4e\uff41"  # "ana" in fullwidth letters


async def test_a_second_ana_is_refused_and_the_first_sees_nothing(
    local_cloud: RunningCloud, room: str
) -> None:
    """Two real clients: the second "Ana" (fullwidth) gets NAME_TAKEN; the first hears nothing;
    the second then joins as Béa and presence lists each person once; after Ana leaves, her
    name is free again."""
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana", lang="en")
    twin = await ChatClient.connect(local_cloud.ws_url, user=FULLWIDTH_ANA, lang="es")
    third: ChatClient | None = None
    try:
        await ana.drain()
        sent = await twin.send(
            {"action": "init", "v": 2, "room": room, "lang": "es", "user": FULLWIDTH_ANA}
        )
        error = await twin.expect("error", lambda f: f.get("id") == sent)
        assert (error["code"], error["field"]) == ("NAME_TAKEN", "user")
        assert await ana.drain(quiet=1.0) == []

        twin.user = "Béa"
        await twin.init(room)
        snapshot = await twin.expect("presence", lambda f: f["event"] == "snapshot")
        assert [m["user"] for m in snapshot["members"]] == ["Ana", "Béa"]
        joined = await ana.expect("presence", lambda f: f["event"] == "join")
        assert [m["user"] for m in joined["members"]] == ["Ana", "Béa"]

        await ana.send({"action": "leave"})
        await ana.expect("left")
        third = await ChatClient.join(local_cloud.ws_url, room, user="ANA", lang="fr")
        snapshot = await third.expect("presence", lambda f: f["event"] == "snapshot")
        assert sorted(m["user"] for m in snapshot["members"]) == ["ANA", "Béa"]
    finally:
        for client in (ana, twin, third):
            if client is not None:
                await client.close()


async def test_the_name_comes_back_after_the_cloud_is_killed(
    start_local_cloud: Any, room: str
) -> None:
    """SIGKILL (no $disconnect): after the restart the page reconnects with the same name and
    gets it (the old holder's connection is gone), and presence lists one Ana."""
    cloud: RunningCloud = await asyncio.to_thread(start_local_cloud)
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana")
    await asyncio.to_thread(cloud.restart, signal.SIGKILL)
    await ana.close()
    again = await ChatClient.join(cloud.ws_url, room, user="Ana")
    try:
        snapshot = await again.expect("presence", lambda f: f["event"] == "snapshot")
        assert snapshot["members"] == [{"user": "Ana", "lang": "en"}]
    finally:
        await again.close()
