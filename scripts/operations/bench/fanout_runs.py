"""The measured runs of ``chat-bench fanout`` (operations.bench.fanout): direct and sharded.

The product's code posts every frame (operations.bench.fanout_rig: Delivery, ConnectionsOutbox
with the real render, the lean PostToConnection, SqsShardQueue and decode_shard) to a null
endpoint in a child process that answers each post after a simulated round trip, each
invocation held to its memory's share of a vCPU (fanout_rig.Governor). A reader's time runs
from "message stored" (Delivery.deliver called) to the completion of its post.

- direct: the chat function posts to the whole room (threshold >= room size);
- sharded: the chat function reads the room, splits it, encodes and hands the shards to the
  queue (SendMessageBatch); each shard is then decoded and delivered by its own "delivery
  function". This machine has two cores, so the shards run one after another and the timeline is
  composed as if they ran in parallel (separate execution environments on AWS): a shard starts
  when its batch was accepted + the queue -> function latency + a cold start (0: warm), or when
  one of ``concurrency`` environments is free, whichever is later; its readers' times are its
  start + their time within the shard (``Run.compose``).

Every run checks with the endpoint's own counts that each reader was posted exactly once.
"""

from __future__ import annotations

import heapq
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

from operations.bench.fanout_rig import Rig, RoomConnections, message, room

__all__ = [
    "Assumptions",
    "Run",
    "ShardRun",
    "handoff_cpu",
    "read_room",
    "run_direct",
    "run_sharded",
]

ARM_GB_S = 0.0000133334  # $ per GB-s, Lambda arm64, us-east-1 (AWS_FACTS.md)
REQUEST = 0.20 / 1e6  # $ per Lambda request


@dataclass(frozen=True)
class Assumptions:
    """What the in-process run cannot measure, and the functions' configuration."""

    rtt_ms: float = 15.0
    sqs_rtt_ms: float = 15.0
    queue_ms: float = 60.0  # SQS FIFO -> Lambda ESM, ~p90 of a published measurement
    cold_ms: float = 0.0
    concurrency: int = 100  # ScalingConfig.MaximumConcurrency in template.yaml
    chat_mb: int = 512
    delivery_mb: int = 1024
    workers: int = 32  # Settings.fanout_workers


@dataclass
class ShardRun:
    """One delivery function's invocation: when its shard was accepted, what it took."""

    accepted: float  # s after "message stored" (for a retry: after its parent's start)
    duration: float
    cpu: float
    offsets: list[float]  # each reader's post completion, s after the invocation started
    parent: int | None = None


@dataclass
class Run:
    """One room delivered one way."""

    path: str
    readers: int
    chat_s: float  # the chat function's invocation (its fan-out part)
    chat_cpu: float
    direct: list[float]  # readers posted by the chat function, s after "message stored"
    shards: list[ShardRun] = field(default_factory=list)
    posted_once: bool = False
    latencies: list[float] = field(default_factory=list)

    def compose(self, a: Assumptions) -> Run:
        """The readers' times with the shards in parallel (see the module's text)."""
        free = [0.0] * max(1, a.concurrency)
        starts: list[float] = []
        latencies = list(self.direct)
        for shard in self.shards:  # in the order they became available
            ready = shard.accepted + (a.queue_ms + a.cold_ms) / 1000
            if shard.parent is not None:
                ready += starts[shard.parent]
            start = max(ready, heapq.heappop(free))
            heapq.heappush(free, start + shard.duration)
            starts.append(start)
            latencies.extend(start + offset for offset in shard.offsets)
        return replace(self, latencies=sorted(latencies))

    def pct(self, q: float) -> float:
        ordered = self.latencies
        return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] if ordered else 0.0

    def gb_seconds(self, a: Assumptions) -> float:
        delivery = sum(s.duration for s in self.shards) * a.delivery_mb
        return (self.chat_s * a.chat_mb + delivery) / 1024

    def cost(self, a: Assumptions) -> float:
        """Lambda $ of the message's fan-out (duration at arm64 + the delivery invocations)."""
        return self.gb_seconds(a) * ARM_GB_S + len(self.shards) * REQUEST

    def cpu_us_per_reader(self) -> float:
        cpu = self.chat_cpu + sum(s.cpu for s in self.shards)
        return cpu / self.readers * 1e6


_TAGS = iter(range(1_000_000))


def _check_once(counts: Any, readers: list[Any], extra: int) -> bool:
    """Every reader posted exactly once, by the endpoint's count and by ours."""
    seen = counts()
    expected = {r.connection_id: 1 for r in readers}
    return bool(seen == expected and extra == len(readers))


def run_direct(rig_: Rig, counts: Any, size: int, a: Assumptions) -> Run:
    """Today's path: the chat function posts to every reader."""
    readers = room(size, f"d{next(_TAGS)}x")
    delivery = rig_.delivery(RoomConnections(readers), threshold=size, size=size)
    rig_.reset()
    governor = rig_.begin(a.chat_mb)
    delivery.deliver(rig_.outbox, message())
    governor.settle()
    cpu, wall = governor.used()
    run = Run("direct", size, wall, cpu, [t - governor.wall0 for _, t in rig_.done])
    run.posted_once = _check_once(counts, readers, len(rig_.done))
    return run.compose(a)


def run_sharded(
    rig_: Rig, counts: Any, size: int, a: Assumptions, *, threshold: int, shard_size: int
) -> Run:
    """The chat function hands the room off in shards; each shard is its own invocation."""
    from positive_chat.adapters.delivery_queue import decode_shard

    readers = room(size, f"s{next(_TAGS)}x")
    delivery = rig_.delivery(RoomConnections(readers), threshold=threshold, size=shard_size)
    rig_.reset()
    chat = rig_.begin(a.chat_mb)
    delivery.deliver(rig_.outbox, message())
    chat.settle()
    chat_cpu, chat_s = chat.used()
    posted = len(rig_.done)
    run = Run("sharded", size, chat_s, chat_cpu, [t - chat.wall0 for _, t in rig_.done])
    queued: list[tuple[float, str, int | None]] = [
        (t - chat.wall0, body, None) for t, bodies in rig_.batches for body in bodies
    ]
    while queued:
        accepted, body, parent = queued.pop(0)
        seen = len(rig_.batches)
        rig_.done.clear()
        governor = rig_.begin(a.delivery_mb)
        delivery.deliver_shard(rig_.outbox, decode_shard(body))
        governor.settle()
        cpu, wall = governor.used()
        offsets = [t - governor.wall0 for _, t in rig_.done]
        posted += len(offsets)
        index = len(run.shards)
        run.shards.append(ShardRun(accepted, wall, cpu, offsets, parent))
        for t, bodies in rig_.batches[seen:]:  # readers not reached, queued again
            queued.extend((t - governor.wall0, again, index) for again in bodies)
    run.posted_once = _check_once(counts, readers, posted)
    return run.compose(a)


def handoff_cpu(rig_: Rig, shard_readers: int, shards: int, rounds: int) -> dict[str, Any]:
    """Client CPU per shard handed off: SendMessageBatch (SqsShardQueue) vs Invoke (Event)."""
    import time

    from positive_chat.adapters.delivery_queue import SqsShardQueue, encode_shard
    from positive_chat.domain.delivery import split
    from positive_chat.domain.model import Shard

    msg = message()
    groups = split(room(shard_readers * shards, "h"), shard_readers)
    batch = [Shard("bench/local", msg, g, i, len(groups)) for i, g in enumerate(groups)]
    queue = SqsShardQueue(rig_.sqs, rig_.queue_url)
    calls = {"sqs": 0}
    original = rig_.sqs.send_message_batch

    def sqs() -> None:
        if queue.hand_off(batch):
            raise RuntimeError("the null endpoint refused shards")

    def invoke() -> None:
        for shard in batch:
            rig_.lambda_client.invoke(
                FunctionName="bench-delivery", InvocationType="Event",
                Payload=encode_shard(shard).encode(),
            )

    def encode() -> None:
        for shard in batch:
            encode_shard(shard)

    def counting(**params: Any) -> Any:
        calls["sqs"] += 1
        return original(**params)

    rig_.sqs.send_message_batch = counting  # one untimed pass counts the calls
    sqs()
    rig_.sqs.send_message_batch = original
    methods = {"sqs": sqs, "invoke": invoke, "encode": encode}
    for method in methods.values():
        method()
    samples: dict[str, list[float]] = {name: [] for name in methods}
    for n in range(rounds):
        for name in (list(methods) if n % 2 == 0 else list(reversed(methods))):
            started = time.process_time()
            methods[name]()
            samples[name].append((time.process_time() - started) / len(batch) * 1e6)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "shard_readers": shard_readers,
        "shards": len(batch),
        "body_bytes": len(encode_shard(batch[0]).encode()),
        "sqs_calls": calls["sqs"],
        "samples": samples,
        "median_us": medians,
        "ratio": medians["sqs"] / medians["invoke"],
    }


def read_room(rig_: Rig, readers: int) -> dict[str, Any]:
    """The chat function's read of a room's readers: the product's DynamoConnectionStore.in_room
    (Query on ByRoom, every page) against the null endpoint; client CPU at a full core."""
    import time

    from positive_chat.adapters.dynamo_connections import DynamoConnectionStore

    from operations.bench.fanout_server import PAGE_ITEMS

    store = DynamoConnectionStore(rig_.dynamodb, "bench-Connections")
    store.in_room("q100")  # warm: the client's first call
    cpu0, wall0 = time.process_time(), time.perf_counter()
    found = store.in_room(f"q{readers}")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if len(found) != readers or len({c.connection_id for c in found}) != readers:
        raise RuntimeError(f"read {len(found)} readers of {readers}")
    return {
        "readers": readers,
        "pages": -(-readers // PAGE_ITEMS),
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_us_per_item": cpu / readers * 1e6,
    }
