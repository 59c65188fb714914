"""The cost report's 10,000-reader room: the fan-out's calls are counted from the real code.

One message goes through the chat function's real handler into a room of 10,000 readers with
the FIFO delivery queue (moto's SQS), and the delivery function's real handler posts the
shards it finds there (operations.costs.rooms); 1% of the readers answer 410 Gone.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import pytest
from operations.costs.prices import PRICES
from operations.costs.rooms import RoomCost, run_room

READERS = 10_000
SHARD_SIZE = 500  # template.yaml's FANOUT_SHARD_SIZE


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """The in-process rig sets fake AWS variables; give the other tests theirs back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def room() -> RoomCost:
    """One message into 10,000 readers, sharded, 1% gone."""
    saved = dict(os.environ)
    try:
        return run_room(READERS, sharded=True, gone_share=0.01)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_thousand_readers_take_twenty_shards_posted_once_each(room: RoomCost) -> None:
    """20 delivery invocations, each reader posted exactly once, gone readers deleted."""
    shards = math.ceil(READERS / SHARD_SIZE)
    assert len(room.delivery_ms) == shards == 20
    # Every reader once, by a delivery invocation; the chat function posts the sender's frame.
    assert room.count("apigatewaymanagementapi:PostToConnection") == READERS + 1
    assert room.count("dynamodb:DeleteItem") == room.gone == 100
    # The event source: one receive and (no record failed) one delete per shard.
    assert room.count("sqs:ReceiveMessage") == shards
    assert room.count("sqs:DeleteMessage") == shards
    # At most ten shards per SendMessageBatch, and never more than 240 KiB of bodies.
    assert room.count("sqs:SendMessageBatch") >= 2
    assert room.units["sqs.fifo.request"] >= 2 * room.count("sqs:ReceiveMessage")
    # Lambda: the chat invocation and the delivery invocations.
    assert room.units["lambda.request"] == 1 + shards


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_thousand_readers_read_their_room_in_1_mb_pages(room: RoomCost) -> None:
    """The room's Query returns ~1.5 MB of items: two pages or more, eventually consistent."""
    # One Query for the top topics besides the room's pages.
    assert room.count("dynamodb:Query") >= 3
    # 10,000 items of ~110 bytes: at least 10,000 x 100 / 4 KB / 2 read units.
    assert room.units["dynamodb.rru"] >= READERS * 100 / 4096 / 2
    # Translated once per language read (4 of 5; the sender's is English), 60 characters each.
    assert room.units["translate.character"] == 4 * 60


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ten_thousand_readers_total_is_the_sum_of_its_line_items(room: RoomCost) -> None:
    """The dollars are the priced units; every line item has a price."""
    assert set(room.units) <= set(PRICES)
    total = sum(PRICES[key].usd * value for key, value in room.units.items())
    assert room.dollars == pytest.approx(total)
    posts = room.units["apigateway.message"] * PRICES["apigateway.message"].usd
    assert posts >= READERS * 1e-6  # 10,000 posts of one 32 KB unit each, at least
    assert room.dollars > posts
