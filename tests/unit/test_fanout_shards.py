"""Unit tests of large rooms' fan-out: the shard split, the hand-off and the shard's delivery.

The chat runs over the fakes of test_chat; the outbox is the real ConnectionsOutbox over a
recording poster, so rendering, the pool and failure isolation are the product's own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from positive_chat.adapters.outbox import ConnectionsOutbox
from positive_chat.domain.delivery import MAX_SHARD_ATTEMPTS, ShardPlan, split
from positive_chat.domain.errors import ConnectionGoneError, ServiceUnavailableError
from positive_chat.domain.model import Connection, Message, Shard
from positive_chat.protocol.frames_out import render
from test_chat import FakeConnections, FakeTranslator, service

LANGS = ("en", "fr", "de")


def room_of(count: int, room: str = "town-hall") -> list[Connection]:
    """``count`` named v2 readers in three languages."""
    return [
        Connection(f"c{n:05d}", room=room, user=f"U{n}", lang=LANGS[n % 3], version=2)
        for n in range(count)
    ]


class RecordingPoster:
    """Records every frame per connection; some are gone, some fail a number of times."""

    def __init__(self, gone: Sequence[str] = (), failing: dict[str, int] | None = None) -> None:
        self.gone = set(gone)
        self.failing = dict(failing or {})
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> None:
        with self.lock:
            if connection_id in self.gone:
                raise ConnectionGoneError(connection_id)
            if self.failing.get(connection_id, 0) > 0:
                self.failing[connection_id] -= 1
                raise RuntimeError("LimitExceededException (429)")
            self.frames.setdefault(connection_id, []).append(json.loads(data))

    def connected(self, connection_id: str) -> bool:
        return connection_id not in self.gone


class FakeQueue:
    """The ShardQueue port: keeps what it is handed; refuses some shard indexes."""

    def __init__(self, refuse: Sequence[int] = ()) -> None:
        self.refuse = set(refuse)
        self.shards: list[Shard] = []

    def hand_off(self, shards: Sequence[Shard]) -> list[Shard]:
        kept = [s for s in shards if s.index not in self.refuse]
        self.shards.extend(kept)
        return [s for s in shards if s.index in self.refuse]


@pytest.fixture
def pool() -> Any:
    """The translate pool."""
    with ThreadPoolExecutor(4) as executor:
        yield executor


@pytest.fixture
def fanout_pool() -> Any:
    """The outbox's pool."""
    with ThreadPoolExecutor(8) as executor:
        yield executor


def chat_with(pool: Any, readers: list[Connection], queue: FakeQueue | None, **plan: int) -> Any:
    return service(
        pool,
        connections=FakeConnections(*readers),
        shard_queue=queue,
        shard_plan=ShardPlan(**plan) if plan else None,
    )


def message(**changes: Any) -> Message:
    base = Message(
        room="town-hall",
        message_id="01KB0000000000AAAA",
        user="U0",
        lang="en",
        content="Welcome everyone",
        created_at=1_763_900_000_000,
        status="published",
        room_topics=("welcome",),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(("count", "size"), [(1, 500), (500, 500), (501, 500), (1000, 300), (7, 2)])
def test_split_keeps_every_reader_once_in_order_with_even_sizes(count: int, size: int) -> None:
    readers = room_of(count)
    groups = split(readers, size)
    assert [r for group in groups for r in group] == readers
    assert len(groups) == -(-count // size)
    sizes = {len(group) for group in groups}
    assert max(sizes) <= size
    assert max(sizes) - min(sizes) <= 1


def test_split_of_nobody_is_empty_and_plan_refuses_zero() -> None:
    assert split([], 10) == []
    with pytest.raises(ValueError, match="positive"):
        ShardPlan(threshold=0)


def test_a_room_above_the_threshold_is_queued_in_shards_with_its_translations(
    pool: Any, fanout_pool: Any
) -> None:
    """Nothing is posted from the chat function; each shard carries every language's text."""
    readers = room_of(25)
    queue = FakeQueue()
    chat, parts = chat_with(pool, readers, queue, threshold=20, size=10)
    poster = RecordingPoster()
    outbox = ConnectionsOutbox(poster, fanout_pool, render, address="api1/prod")
    chat.delivery.deliver(outbox, message())
    assert poster.frames == {}
    assert [(s.index, s.count, len(s.readers), s.attempt) for s in queue.shards] == [
        (0, 3, 9, 1),
        (1, 3, 8, 1),
        (2, 3, 8, 1),
    ]
    assert {s.address for s in queue.shards} == {"api1/prod"}
    assert [r for s in queue.shards for r in s.readers] == readers
    assert dict(queue.shards[0].message.translations) == {
        "fr": "[fr] Welcome everyone",
        "de": "[de] Welcome everyone",
    }
    # Translated once, in the chat function, and saved for history.
    assert sorted(parts["translator"].calls) == [("en", "de"), ("en", "fr")]
    assert parts["metrics"].values["ShardsQueued"] == 3


def test_a_room_at_the_threshold_is_posted_directly(pool: Any, fanout_pool: Any) -> None:
    readers = room_of(20)
    queue = FakeQueue()
    chat, _ = chat_with(pool, readers, queue, threshold=20, size=10)
    poster = RecordingPoster()
    chat.delivery.deliver(ConnectionsOutbox(poster, fanout_pool, render), message())
    assert queue.shards == []
    assert sorted(poster.frames) == [r.connection_id for r in readers]


def test_shards_the_queue_refuses_are_posted_directly_and_only_them(
    pool: Any, fanout_pool: Any
) -> None:
    readers = room_of(30)
    queue = FakeQueue(refuse=[1])
    chat, parts = chat_with(pool, readers, queue, threshold=10, size=10)
    poster = RecordingPoster()
    chat.delivery.deliver(ConnectionsOutbox(poster, fanout_pool, render), message())
    assert [s.index for s in queue.shards] == [0, 2]
    assert sorted(poster.frames) == [r.connection_id for r in readers[10:20]]
    assert parts["metrics"].values["ShardsPostedDirectly"] == 1


def test_a_shard_posts_each_reader_in_their_language_without_translating(
    pool: Any, fanout_pool: Any
) -> None:
    readers = room_of(6)
    chat, parts = chat_with(pool, readers, FakeQueue())
    shard = Shard(
        "api1/prod",
        message(translations={"fr": "Bienvenue à tous"}),
        tuple(readers),
        0,
        1,
    )
    poster = RecordingPoster()
    chat.delivery.deliver_shard(ConnectionsOutbox(poster, fanout_pool, render), shard)
    texts = {cid: frames[0]["text"] for cid, frames in poster.frames.items()}
    assert texts["c00000"] == "Welcome everyone"  # en: the original
    assert texts["c00001"] == "Bienvenue à tous"  # fr: the text on the message
    assert poster.frames["c00002"][0]["translation"] == "unavailable"  # de: none on it
    assert all(len(frames) == 1 for frames in poster.frames.values())
    assert parts["translator"].calls == []
    assert parts["metrics"].values["ShardDeliveries"] == 6


def test_a_shard_prunes_gone_readers_without_telling_the_room(pool: Any, fanout_pool: Any) -> None:
    readers = room_of(5)
    chat, parts = chat_with(pool, readers, FakeQueue())
    poster = RecordingPoster(gone=["c00002"])
    outbox = ConnectionsOutbox(poster, fanout_pool, render)
    chat.delivery.deliver_shard(outbox, Shard("a/s", message(), tuple(readers), 0, 1))
    assert "c00002" not in parts["connections"].items
    # Each live reader got the message and nothing else (no "left" presence frame).
    assert {cid: [f["type"] for f in frames] for cid, frames in poster.frames.items()} == {
        r.connection_id: ["message"] for r in readers if r.connection_id != "c00002"
    }


def test_readers_not_reached_are_queued_again_alone_and_get_the_message_once(
    pool: Any, fanout_pool: Any
) -> None:
    """A failing reader is retried in a shard of its own; nobody is posted twice."""
    readers = room_of(8)
    queue = FakeQueue()
    chat, parts = chat_with(pool, readers, queue)
    poster = RecordingPoster(failing={"c00003": 1, "c00006": 1})
    outbox = ConnectionsOutbox(poster, fanout_pool, render)
    first = Shard("a/s", message(), tuple(readers), 2, 4)
    chat.delivery.deliver_shard(outbox, first)
    [again] = queue.shards
    assert [r.connection_id for r in again.readers] == ["c00003", "c00006"]
    assert (again.index, again.count, again.attempt, again.address) == (2, 4, 2, "a/s")
    chat.delivery.deliver_shard(outbox, again)
    assert sorted(poster.frames) == [r.connection_id for r in readers]
    assert all(len(frames) == 1 for frames in poster.frames.values())
    assert parts["metrics"].values["ShardRetries"] == 1


def test_a_reader_failing_every_attempt_is_dropped_to_history(pool: Any, fanout_pool: Any) -> None:
    readers = room_of(3)
    queue = FakeQueue()
    chat, parts = chat_with(pool, readers, queue)
    poster = RecordingPoster(failing={"c00001": 99})
    outbox = ConnectionsOutbox(poster, fanout_pool, render)
    shard = Shard("a/s", message(), tuple(readers), 0, 1)
    while True:
        before = len(queue.shards)
        chat.delivery.deliver_shard(outbox, shard)
        if len(queue.shards) == before:
            break
        shard = queue.shards[-1]
    assert shard.attempt == MAX_SHARD_ATTEMPTS
    assert parts["metrics"].values["DeliveriesDropped"] == 1
    assert sorted(poster.frames) == ["c00000", "c00002"]


def test_a_prune_that_fails_does_not_fail_the_posted_shard(pool: Any, fanout_pool: Any) -> None:
    readers = room_of(3)

    class Unavailable(FakeConnections):
        def delete(self, connection_id: str) -> Connection | None:
            raise ServiceUnavailableError("DynamoDB down")

    chat, _ = service(pool, connections=Unavailable(*readers), shard_queue=FakeQueue())
    poster = RecordingPoster(gone=["c00000"])
    outbox = ConnectionsOutbox(poster, fanout_pool, render)
    chat.delivery.deliver_shard(outbox, Shard("a/s", message(), tuple(readers), 0, 1))
    assert sorted(poster.frames) == ["c00001", "c00002"]


def test_without_a_queue_every_room_is_posted_directly(pool: Any, fanout_pool: Any) -> None:
    readers = room_of(40)
    chat, _ = chat_with(pool, readers, None, threshold=5, size=5)
    poster = RecordingPoster()
    chat.delivery.deliver(ConnectionsOutbox(poster, fanout_pool, render), message())
    assert len(poster.frames) == 40


def test_translator_failures_reach_the_shard_as_unavailable(pool: Any, fanout_pool: Any) -> None:
    readers = room_of(12)
    queue = FakeQueue()
    chat, _ = service(
        pool,
        connections=FakeConnections(*readers),
        translator=FakeTranslator(failing={"de"}),
        shard_queue=queue,
        shard_plan=ShardPlan(threshold=10, size=6),
    )
    chat.delivery.deliver(ConnectionsOutbox(RecordingPoster(), fanout_pool, render), message())
    assert dict(queue.shards[0].message.translations) == {"fr": "[fr] Welcome everyone"}


def test_readers_posted_directly_after_a_partial_hand_off_hear_no_leave(
    pool: Any, fanout_pool: Any
) -> None:
    """They are part of the room: a leave listing only them would be a wrong member list."""
    readers = room_of(30)
    chat, parts = chat_with(pool, readers, FakeQueue(refuse=[2]), threshold=10, size=10)
    poster = RecordingPoster(gone=["c00021"])
    chat.delivery.deliver(ConnectionsOutbox(poster, fanout_pool, render), message())
    assert "c00021" not in parts["connections"].items
    assert {f["type"] for frames in poster.frames.values() for f in frames} == {"message"}
    assert len(poster.frames) == 9
