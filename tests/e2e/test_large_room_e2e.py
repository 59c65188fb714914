"""A room above the shard threshold, end to end: the chat function queues the message, the local
cloud's event source runs the delivery function from template.yaml, and every real reader gets
it once, in their language.

The local cloud runs with a threshold of 3 readers and shards of 2 (``--env``, as an operator
would tune FANOUT_SHARD_THRESHOLD / FANOUT_SHARD_SIZE), so seven readers make four shards.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

READERS = [("Ana", "en"), ("Bea", "es"), ("Cai", "en"), ("Dan", "es"), ("Eve", "en"),
           ("Fay", "es"), ("Gus", "en")]  # fmt: skip


async def test_a_large_room_is_delivered_by_the_delivery_function_once_to_everyone(
    start_local_cloud: Callable[..., RunningCloud], room: str
) -> None:
    cloud: RunningCloud = await asyncio.to_thread(
        start_local_cloud, "--env", "FANOUT_SHARD_THRESHOLD=3", "--env", "FANOUT_SHARD_SIZE=2"
    )
    clients: list[ChatClient] = []
    try:
        for user, lang in READERS:
            clients.append(await ChatClient.join(cloud.ws_url, room, user=user, lang=lang))
        assert cloud.log_path is not None
        log_start = cloud.log_path.stat().st_size  # the log file is appended to across runs
        writer = clients[0]
        text = "Good morning everyone, welcome to the town hall!"
        sent = await writer.post(text)
        assert await writer.outcome(sent) == "published"
        frames: list[dict[str, Any]] = []
        for client in clients:
            frame = await client.expect("message", lambda f: f.get("content") == text)
            frames.append(frame)
            assert frame["user"] == "Ana"
            if client.lang == "es":
                assert (frame["translation"], frame["textLang"]) == ("translated", "es")
                assert frame["text"] != text
            else:
                assert (frame["translation"], frame["text"]) == ("original", text)
        assert len({f["messageId"] for f in frames}) == 1
        # Nobody gets it twice, however long we listen.
        await asyncio.gather(*(client.drain(quiet=1.5) for client in clients))
        for client in clients:
            assert len([f for f in client.seen("message") if f.get("content") == text]) == 1
        # Four shards, each delivered by its own invocation of the delivery function.
        with cloud.log_path.open("rb") as file:
            file.seek(log_start)
            log = file.read().decode(errors="replace")
        shards = re.findall(r"sqs +DeliveryFunction \S+ +1 message .* ok", log)
        assert len(shards) == 4, log[-3000:]
    finally:
        for client in clients:
            await client.close()
