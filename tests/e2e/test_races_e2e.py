"""Races of one connection's frames, end to end: the real Lambda on a local cloud with four
execution environments (``--workers 4``), so a connection's frames run concurrently as on AWS
(issue 13, finding 5). The functional twin with controlled timing is
tests/functional/test_races.py; here the timing is the machine's.

Frames are sent back to back. The local gateway gives one connection's frames strictly
increasing receive times (it reads them in order; see scripts/localcloud/gateway.py), so the
order is exact here; on AWS frames stamped with the same millisecond are ordered by the server's
frame numbers, usually but not always the send order (docs/reliability.md, "Ordering").
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import websockets

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

GAP = 0.0  # seconds between frames: back to back


@pytest.fixture(scope="module")
def cloud(start_local_cloud: Callable[..., RunningCloud]) -> RunningCloud:
    """A private local cloud running four Lambda execution environments at once."""
    return start_local_cloud("--workers", "4")


def room() -> str:
    return f"race-{uuid.uuid4().hex[:8]}"


async def test_e2e_ten_rapid_messages_in_send_order(cloud: RunningCloud) -> None:
    """History holds them as sent; a reader's live frames, in id order, read as sent."""
    where = room()
    reader = await ChatClient.join(cloud.ws_url, where, user="Bo")
    sender = await ChatClient.join(cloud.ws_url, where, user="Ana")
    lines = [f"line {n} of a quick burst" for n in range(1, 11)]
    try:
        ids = []
        for line in lines:
            ids.append(await sender.post(line))
            await asyncio.sleep(GAP)
        outcomes = [await sender.outcome(client_id) for client_id in ids]
        assert outcomes == ["published"] * 10
        live: list[dict[str, Any]] = [
            await reader.expect("message", lambda f: f.get("user") == "Ana") for _ in lines
        ]
        ordered = sorted(live, key=lambda f: f["messageId"])
        assert [f["content"] for f in ordered] == lines, [f["messageId"] for f in ordered]
        late = await ChatClient.connect(cloud.ws_url, user="Cy")
        history = await late.init(where)
        assert [m["content"] for m in history["messages"]] == lines
        await late.ws.close()
    finally:
        await reader.ws.close()
        await sender.ws.close()


@pytest.mark.parametrize("burst", [15, 30])
async def test_e2e_burst_on_a_fresh_bucket_is_never_rate_limited(
    cloud: RunningCloud, burst: int
) -> None:
    """15 or 30 frames at once from a connection that just joined: every one is answered."""
    client = await ChatClient.join(cloud.ws_url, room(), user="Ana")
    try:
        # The init spent a token: the bucket holds 29, so the burst is 29 at most.
        frames = min(burst, 29)
        await asyncio.gather(*(client.send({"action": "ping"}) for _ in range(frames)))
        answers = [await client.expect(("pong", "error")) for _ in range(frames)]
        assert [a.get("code") for a in answers if a["type"] == "error"] == []
    finally:
        await client.ws.close()


async def test_e2e_v1_back_to_back_frames_bind_the_first_name(cloud: RunningCloud) -> None:
    """Four v1 first messages, each with another name: all are shown under the first name."""
    where = room()
    reader = await ChatClient.join(cloud.ws_url, where, user="Bo")
    async with websockets.connect(cloud.ws_url) as v1:
        await v1.send(json.dumps({"action": "init", "room": where, "lang": "en"}))
        await asyncio.sleep(0.5)  # v1 init is answered by the history array only
        for n, name in enumerate(["First", "Second", "Third", "Fourth"]):
            await v1.send(json.dumps({"action": "message", "user": name, "content": f"hi {n}"}))
            await asyncio.sleep(GAP)
        live = [await reader.expect("message", lambda f: f["content"].startswith("hi "))
                for _ in range(4)]
        assert {f["user"] for f in live} == {"First"}
        join = await reader.expect("presence", lambda f: f.get("event") == "join")
        assert join["user"] == "First"
    await reader.ws.close()
