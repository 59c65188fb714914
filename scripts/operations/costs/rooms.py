"""One message's cost by room size (10 / 100 / 1,000 / 10,000 readers), sharded and direct.

    .venv/bin/chat-cost-rooms                      # the markdown tables, all sizes
    .venv/bin/chat-cost-rooms --sizes 1000,10000 --gone 0.01

Each row runs the real code in process (``operations.inprocess``): the chat function's
``positive_chat.app.lambda_handler`` for one distinct 60-character English message in a room
of readers in en/fr/de/es/it (an equal share each), with the template's fan-out: rooms above
``FANOUT_SHARD_THRESHOLD`` are handed to the FIFO delivery queue (moto's SQS) in shards, and
``Harness.deliver_queued`` plays Lambda's SQS event source (one ReceiveMessage, one invocation of
``positive_chat.delivery_app.lambda_handler`` and one DeleteMessage per shard, BatchSize 1).
"direct" rows run the same message with no queue: one chat invocation posts to every reader,
as every room did before issue 16. A share of the readers (``--gone``) answers 410 Gone and
is pruned (DeleteItem).

Counted, not assumed (operations.costs.callcount.Meter on every client): every DynamoDB call
(the room's Query in 1 MB pages, its read units from the items' sizes), Comprehend, Translate,
SendMessageBatch / ReceiveMessage / DeleteMessage (64 KB chunks), PostToConnection (32 KB
messages), DeleteItem of gone readers. Modelled (``PostModel``): the Lambda duration of posting,
because in process the posts go through boto3 to an instant fake on this machine's cores; the
rest of each invocation's time is measured in process (its wall time outside the outbox).
Not run in the "direct" rows: a gone reader there makes the chat function tell every other
reader who left (a presence frame carrying the room's member list): ~1 million posts in a room
of 10,000 with 1% gone; so the direct rows' gone readers have no name (pruned without a
notice) and ``leave_broadcasts`` prices what named ones add, apart.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from operations.costs.prices import PRICES, Units, apigateway_messages, lambda_gb_seconds

__all__ = ["PostModel", "RoomCost", "idle_poller", "leave_broadcasts", "main", "run_room"]

SIZES = (10, 100, 1_000, 10_000)
LANGS = ("en", "fr", "de", "es", "it")
# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB.
FULL_VCPU_MB = 1769


@dataclass(frozen=True)
class PostModel:
    """Lambda time to post to ``posts`` readers on a pool of ``threads``.

    Defaults: the lean PostToConnection's CPU per post on a full core (BENCHMARKS.md "Lean
    PostToConnection", median of 8 x 2,000 posts, 2026-12-03: 399 µs), the fan-out bench's
    simulated 15 ms round trip, and the outbox's 32 threads. Posting is CPU-bound when
    posts x CPU / share exceeds the threads' waiting, ceil(posts / threads) x (round trip + CPU).
    """

    cpu_ms: float = 0.399
    rtt_ms: float = 15.0
    threads: int = 32

    def duration_ms(self, posts: int, memory_mb: int) -> float:
        """Milliseconds of posting at ``memory_mb``'s CPU share."""
        if posts <= 0:
            return 0.0
        cpu = self.cpu_ms / min(1.0, memory_mb / FULL_VCPU_MB)
        return max(posts * cpu, math.ceil(posts / self.threads) * (self.rtt_ms + cpu))


@dataclass
class RoomCost:
    """One message in a room: what it called, and its Lambda time."""

    readers: int
    path: str  # "sharded" | "direct"
    gone: int
    units: Units  # every line item, Lambda included
    operations: Counter[str]
    chat_ms: float  # billed (modelled posting + measured rest)
    delivery_ms: list[float] = field(default_factory=list)  # billed, one per invocation
    measured_ms: list[float] = field(default_factory=list)  # in process, chat first

    @property
    def dollars(self) -> float:
        """The message's cost."""
        return self.units.dollars()

    def count(self, operation: str) -> int:
        """Calls of ``service:Operation``."""
        return self.operations[operation]


def _connection_id(n: int) -> str:
    """A connection id shaped as API Gateway's (16 characters, base64-like)."""
    return f"Cx{n:013d}="


@contextlib.contextmanager
def _timing_outbox() -> Iterator[list[float]]:
    """Wall ms of every ConnectionsOutbox.deliver (every broadcast goes through it)."""
    from positive_chat.adapters.outbox import ConnectionsOutbox

    spent: list[float] = []
    original = ConnectionsOutbox.deliver

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent.append((time.perf_counter() - started) * 1000.0)

    ConnectionsOutbox.deliver = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        ConnectionsOutbox.deliver = original  # type: ignore[method-assign]


def _posts(calls: Sequence[Any]) -> int:
    return sum(1 for c in calls if c.operation == "PostToConnection")


def _billed(measured: float, posting: float, posts: int, memory: int, model: PostModel) -> float:
    """Measured time outside the outbox plus the modelled posting."""
    return max(0.0, measured - posting) + model.duration_ms(posts, memory)


def run_room(
    readers: int,
    *,
    sharded: bool = True,
    gone_share: float = 0.0,
    model: PostModel | None = None,
    memory: tuple[int, int] | None = None,
) -> RoomCost:
    """One message into a room of ``readers`` through the real handlers, counted and priced.

    ``memory`` = (chat, delivery) MemorySize in MB; by default read from template.yaml.
    """
    from operations.costs.report import TextMaker
    from operations.inprocess import handler_in_process

    model = model or PostModel()
    chat_mb, delivery_mb = memory or function_memory()
    texts = TextMaker(11)
    text = texts.distinct("en")
    members = [(_connection_id(n), LANGS[n * len(LANGS) // readers]) for n in range(readers)]
    gone_count = round(readers * gone_share)
    # Every hundredth reader or so, spread over languages and shards.
    step = readers // gone_count if gone_count else 0
    gone = frozenset(members[n * step + 1][0] for n in range(gone_count))
    with (
        handler_in_process(texts.language_of, "all", delivery_queue=sharded, gone=gone) as harness,
        _timing_outbox() as posting,
    ):
        # moto answers a 10,000-item index Query in seconds under load (DynamoDB: tens of ms);
        # a long deadline and language budget (10 s from the invocation's start) keep the guards
        # from skipping Translate for a time DynamoDB never takes.
        harness.remaining_ms = 600_000
        runtime = harness.runtime
        runtime.resilience = replace(runtime.resilience, language_budget=600.0)
        sender = members[0][0]
        # A first message warms the handler up (imports, clients) as on a warm container.
        harness.seed_connection(sender, "en")
        harness.invoke(sender, {"action": "message", "content": texts.distinct("en"), "id": "w"})
        for connection_id, lang in members:
            harness.seed_connection(connection_id, lang)
            if connection_id in gone and not sharded:
                _unname(harness, connection_id)
        # Asks whether shards are left, unmetered: not part of the message's cost.
        peek = _unmetered_sqs() if sharded else None
        harness.reset()
        harness.invoke(sender, {"action": "message", "content": text, "id": "c1"})
        chat_calls = harness.meter.snapshot()
        chat_posting = sum(posting)
        posting.clear()
        chat_ms = _billed(harness.durations_ms[0], chat_posting, _posts(chat_calls), chat_mb, model)
        delivery_ms: list[float] = []
        if sharded:
            before = len(chat_calls)
            for measured, spent in _drain(harness, peek, posting):
                calls = harness.meter.snapshot()[before:]
                before += len(calls)
                delivery_ms.append(_billed(measured, spent, _posts(calls), delivery_mb, model))
        units = harness.meter.units()
        units["lambda.request"] += 1 + len(delivery_ms)
        units["lambda.gb_second.arm64"] += lambda_gb_seconds(chat_ms, chat_mb) + sum(
            lambda_gb_seconds(ms, delivery_mb) for ms in delivery_ms
        )
        return RoomCost(
            readers=readers,
            path="sharded" if sharded else "direct",
            gone=len(gone),
            units=units,
            operations=harness.meter.operations(),
            chat_ms=chat_ms,
            delivery_ms=delivery_ms,
            measured_ms=[harness.durations_ms[0], *harness.delivery_ms],
        )


def _unname(harness: Any, connection_id: str) -> None:
    """A reader without a name: a direct delivery prunes it without telling the room (see
    ``leave_broadcasts``, which prices what a named one adds)."""
    harness.dynamodb.update_item(
        TableName=harness.names["ConnectionsTable"],
        Key={"connectionId": {"S": connection_id}},
        UpdateExpression="REMOVE #u",
        ExpressionAttributeNames={"#u": "user"},
    )


def _drain(harness: Any, peek: Any, posting: list[float]) -> Iterator[tuple[float, float]]:
    """(measured ms, ms in the outbox) of each delivery invocation, the queue drained."""
    while harness.deliver_queued(peek, limit=1):
        yield harness.delivery_ms[-1], sum(posting)
        posting.clear()


def _unmetered_sqs() -> Any:
    import boto3

    from operations.inprocess import REGION

    return boto3.client("sqs", region_name=REGION)


def function_memory() -> tuple[int, int]:
    """MemorySize of the chat function and of the DeliveryFunction, from template.yaml."""
    from localcloud.template import function_spec, load_template

    from operations.inprocess import memory_mb

    return memory_mb(), function_spec(load_template(), "DeliveryFunction").memory_mb


def leave_broadcasts(readers: int, gone: int) -> tuple[int, int, int]:
    """What a direct delivery's gone readers add: (posts, API Gateway messages, frame bytes).

    Each gone reader with a name makes the chat function tell every remaining reader who left,
    in a presence frame carrying the room's member list (domain/presence.py); the frame is
    rendered here with the real renderer. A frame above 128 KB is refused by API Gateway: the
    posts are still made (and counted here as billed, which AWS_FACTS does not settle).
    """
    from positive_chat.domain.events import Presence
    from positive_chat.protocol.frames_out import render

    remaining = readers - gone
    present = sorted((f"u{_connection_id(n)}", LANGS[n % len(LANGS)]) for n in range(remaining))
    frame = render(Presence("lobby", "leave", "ugone", present, None, 1_763_900_000_000), 2)
    size = sum(len(f) for f in frame)
    return gone * remaining, gone * remaining * apigateway_messages(size), size


def idle_poller(pollers: int = 5, wait_seconds: int = 20, days: int = 30) -> tuple[int, float]:
    """(requests, dollars) a month of Lambda's pollers long-polling an empty FIFO queue.

    Lambda polls with ``pollers`` concurrent long polls of ``wait_seconds`` each (5 while the
    event source has a MaximumConcurrency; without one Lambda may go down to 2), and each empty
    ReceiveMessage is a billed request.
    """
    requests = pollers * (86_400 // wait_seconds) * days
    return requests, requests * PRICES["sqs.fifo.request"].usd


# -- the report ---------------------------------------------------------------------------------

LINES = (
    ("apigateway.message", "API Gateway messages (posts + the frame in)"),
    ("translate.character", "Translate characters"),
    ("comprehend.unit", "Comprehend units"),
    ("dynamodb.rru", "DynamoDB read units"),
    ("dynamodb.wru", "DynamoDB write units"),
    ("sqs.fifo.request", "SQS FIFO requests (64 KB chunks)"),
    ("lambda.request", "Lambda requests"),
    ("lambda.gb_second.arm64", "Lambda GB-s (arm64)"),
)


def _row(cost: RoomCost) -> str:
    sends = cost.count("sqs:SendMessageBatch")
    delivered = len(cost.delivery_ms)
    path = cost.path if delivered or cost.path == "direct" else "direct (below threshold)"
    sqs = (
        f"{sends} / {cost.count('sqs:ReceiveMessage')} / {cost.count('sqs:DeleteMessage')} "
        f"({cost.units['sqs.fifo.request']:.0f})"
    )
    gb_s = cost.units["lambda.gb_second.arm64"]
    return (
        f"| {cost.readers:,} | {path} | {delivered} | {cost.count('dynamodb:Query')} | "
        f"{cost.units['dynamodb.rru']:.1f} | {cost.units['translate.character']:.0f} | {sqs} | "
        f"{cost.count('apigatewaymanagementapi:PostToConnection'):,} | "
        f"{cost.count('dynamodb:DeleteItem')} | {gb_s:.3f} | {cost.dollars:.6f} | "
        f"{cost.dollars * 1000:.2f} |"
    )


def render_sizes(costs: Sequence[RoomCost]) -> str:
    """The table of rooms: one message each."""
    lines = [
        "| readers | path | delivery invocations | Query calls | read units | Translate chars |"
        " SendMessageBatch / Receive / Delete (billed requests) | posts | DeleteItem |"
        " Lambda GB-s | $ per message | $ per 1k messages |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(cost) for cost in costs]
    return "\n".join(lines)


def render_lines(sharded: RoomCost, direct: RoomCost) -> str:
    """Line items of the same room, sharded beside direct."""
    lines = [
        f"| line item ({sharded.readers:,} readers, one message) | sharded units | sharded $ |"
        " direct units | direct $ |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in LINES:
        a, b = sharded.units[key], direct.units[key]
        price = PRICES[key].usd
        lines.append(f"| {label} | {a:,.3f} | {a * price:.6f} | {b:,.3f} | {b * price:.6f} |")
    lines.append(f"| **total** | | **{sharded.dollars:.6f}** | | **{direct.dollars:.6f}** |")
    return "\n".join(lines)


def _notes(sharded: RoomCost | None, direct: RoomCost | None, model: PostModel) -> list[str]:
    chat_mb, delivery_mb = function_memory()
    notes = []
    if sharded is not None and sharded.delivery_ms:
        ms = sorted(sharded.delivery_ms)
        notes.append(
            f"sharded, {sharded.readers:,} readers: chat function {sharded.chat_ms:.0f} ms at "
            f"{chat_mb} MB; {len(ms)} delivery invocations of {ms[0]:.0f}-{ms[-1]:.0f} ms at "
            f"{delivery_mb} MB (billed: measured outside the outbox + modelled posting)"
        )
    if direct is not None:
        boto3 = PostModel(cpu_ms=1.268, rtt_ms=model.rtt_ms, threads=model.threads)
        posts = direct.count("apigatewaymanagementapi:PostToConnection")
        notes.append(
            f"direct, {direct.readers:,} readers: one chat invocation of "
            f"{direct.chat_ms / 1000:.1f} s at {chat_mb} MB with the lean post; "
            f"{boto3.duration_ms(posts, chat_mb) / 1000:.1f} s of posting alone with boto3's "
            "(LEAN_POST_TO_CONNECTION=off, 1,268 µs per post); "
            "API Gateway's integration timeout and the function's Timeout are 29 s"
        )
        gone = round(direct.readers * 0.01)
        posts, messages, size = leave_broadcasts(direct.readers, gone)
        refused = " (over API Gateway's 128 KB: refused)" if size > 128 * 1024 else ""
        notes.append(
            f"direct, {direct.readers:,} readers, {gone} gone: each named gone reader's leave "
            f"notice goes to every other reader, a {size / 1024:.0f} KB frame{refused}: "
            f"+{posts:,} posts, {messages:,} API Gateway messages if billed "
            f"(+${messages * PRICES['apigateway.message'].usd:.4f} per message sent); not in "
            "the tables (the direct run's gone readers have no name; the sharded path prunes "
            "without telling the room)"
        )
    requests, dollars = idle_poller()
    notes.append(
        f"idle poller, per month whatever the traffic: 5 long polls of 20 s at a time = "
        f"{requests:,} empty ReceiveMessage = ${dollars:.2f}/month (FIFO price; before the "
        "1M-request monthly free tier)"
    )
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the rooms and print the tables."""
    parser = argparse.ArgumentParser(prog="chat-cost-rooms", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--gone", type=float, default=0.01, help="share of readers gone (410)")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct comparison")
    args = parser.parse_args(argv)
    try:
        sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers, e.g. 10,100,1000,10000")
    if not sizes or min(sizes) < 1 or not 0.0 <= args.gone < 1.0:
        parser.error("--sizes must be positive and --gone in [0, 1)")
    model = PostModel()
    started = time.perf_counter()
    print(
        f"cost of one message by room size, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"load average {os.getloadavg()[0]:.2f}, {args.gone:.0%} of readers gone",
        flush=True,
    )
    costs = [run_room(n, sharded=True, gone_share=args.gone, model=model) for n in sizes]
    largest = costs[-1] if costs[-1].delivery_ms else None
    direct = None
    if not args.no_direct and largest is not None:
        direct = run_room(largest.readers, sharded=False, gone_share=args.gone, model=model)
        costs.append(direct)
    print(render_sizes(costs))
    if largest is not None and direct is not None:
        print()
        print(render_lines(largest, direct))
    print()
    for note in _notes(largest, direct, model):
        print(f"- {note}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
