"""A large room on the local cloud: real WebSocket readers, one writer, every delivery counted.

    .venv/bin/chat-bench-large-room                          # 2,000 readers, 1 msg/s, 30 s
    .venv/bin/chat-bench-large-room --readers 200 --seconds 5
    .venv/bin/chat-bench-large-room --url ws://127.0.0.1:8000   # a local cloud already running

It starts ``python -m localcloud --port 0 --ephemeral`` (the template's functions, queue and
thresholds: a room above FANOUT_SHARD_THRESHOLD readers goes through the delivery function),
opens ``--readers`` sockets that join one room (paced under the stage's throttle, answered
``Too Many Requests`` joins are tried again), and one writer posts ``--rate`` messages per second
for ``--seconds`` (a comma list of rates: one phase each, same readers). Each reader notes when
each message id arrives; latency is from the writer's send to the arrival (one process, one
clock). It prints the deliveries expected, received, missing and duplicated, the latency
p50/p99/max and the throughput, and exits 1 when a delivery is missing or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from operations.bench.flood import local_cloud

ROOT = Path(__file__).resolve().parents[3]
JOIN_TIMEOUT = 60.0
ACK_TIMEOUT = 120.0


@dataclass
class Tally:
    """What the readers saw."""

    readers: int
    sent: dict[str, float] = field(default_factory=dict)  # message id -> send time
    by_client: dict[str, float] = field(default_factory=dict)  # client id -> send time
    arrivals: list[tuple[int, str, float]] = field(default_factory=list)  # reader, id, time
    unacked: int = 0  # messages whose ack never came (ACK_TIMEOUT)

    def latencies_ms(self) -> list[float]:
        return sorted(
            (at - self.sent[mid]) * 1000 for _, mid, at in self.arrivals if mid in self.sent
        )

    def report(self) -> tuple[str, bool]:
        counts = Counter((reader, mid) for reader, mid, _ in self.arrivals if mid in self.sent)
        expected = self.readers * len(self.sent)
        duplicated = sum(n - 1 for n in counts.values() if n > 1)
        missing = expected - len(counts)
        lat = self.latencies_ms()

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")

        text = (
            f"readers {self.readers}, messages {len(self.sent)} (not acked: {self.unacked}): "
            f"deliveries expected {expected:,}, "
            f"received {len(counts):,}, missing {missing:,}, duplicated {duplicated:,}\n"
            f"latency ms: p50 {pct(0.50):.0f}  p99 {pct(0.99):.0f}  "
            f"max {lat[-1] if lat else float('nan'):.0f}"
        )
        mine = [at for _, mid, at in self.arrivals if mid in self.sent]
        if mine:
            span = max(mine) - min(self.sent.values())
            text += f"\nthroughput: {len(counts) / span:,.0f} deliveries/s over {span:.1f} s"
        return text, missing == 0 and duplicated == 0 and self.unacked == 0


async def _join(url: str, room: str, user: str, lang: str) -> Any:
    """A socket in ``room`` once its history has come (joins refused by the throttle retried)."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    while True:
        ws = await websockets.connect(url, max_size=None, open_timeout=30)
        await ws.send(json.dumps({"action": "init", "v": 2, "room": room, "lang": lang,
                                  "user": user, "id": f"join-{user}"}))  # fmt: skip
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), JOIN_TIMEOUT))
            if isinstance(frame, dict) and frame.get("type") == "history" and frame.get("final"):
                return ws
            if isinstance(frame, dict) and frame.get("type") == "error":
                break
            if isinstance(frame, dict) and frame.get("message") == "Too Many Requests":
                break
        await ws.close()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{user} could not join")
        await asyncio.sleep(0.5)


async def _read(index: int, ws: Any, tally: Tally) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for raw in ws:
            frame = json.loads(raw)
            if isinstance(frame, dict) and frame.get("type") == "message":
                tally.arrivals.append((index, str(frame.get("messageId")), time.monotonic()))


async def _write(ws: Any, tally: Tally, rate: float, seconds: float) -> None:
    """Post ``rate`` messages a second; note each message id's send time from its ack."""
    count = max(1, round(rate * seconds))
    acks: dict[str, asyncio.Future[str]] = {}

    async def answers() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if isinstance(frame, dict) and frame.get("type") == "ack":
                    future = acks.get(str(frame.get("id")))
                    if future is not None and not future.done():
                        future.set_result(str(frame["messageId"]))

    reader = asyncio.create_task(answers())
    start = time.monotonic()
    pending = []
    for n in range(count):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        client_id = f"m{n}-{uuid.uuid4().hex[:6]}"
        acks[client_id] = asyncio.get_running_loop().create_future()
        sent_at = time.monotonic()
        await ws.send(json.dumps({"action": "message", "id": client_id,
                                  "content": f"Good morning everyone, number {n}!"}))  # fmt: skip
        pending.append((client_id, sent_at))
    for client_id, sent_at in pending:
        try:
            message_id = await asyncio.wait_for(acks[client_id], ACK_TIMEOUT)
        except TimeoutError:
            tally.unacked += 1  # reported; its deliveries cannot be told apart
            continue
        tally.sent[message_id] = sent_at
    reader.cancel()


async def run(url: str, args: argparse.Namespace) -> list[tuple[float, Tally]]:
    """Join the readers, then one phase per rate (each waits ``--settle`` for its deliveries)."""
    room = f"town-hall-{uuid.uuid4().hex[:6]}"
    langs = args.langs.split(",")
    arrivals: list[tuple[int, str, float]] = []
    sink = Tally(args.readers, arrivals=arrivals)
    sockets: list[Any] = []
    readers: list[asyncio.Task[None]] = []
    began = time.monotonic()
    for start in range(0, args.readers, args.join_batch):
        batch = range(start, min(args.readers, start + args.join_batch))
        joined = await asyncio.gather(
            *(_join(url, room, f"reader{i}", langs[i % len(langs)]) for i in batch)
        )
        # Read each socket from its join on, as a page does: a client that stops reading fills
        # its buffer, and the gateway refuses posts to it (429), then the chat drops it.
        for index, ws in zip(batch, joined, strict=True):
            readers.append(asyncio.create_task(_read(index, ws, sink)))
        sockets += joined
        await asyncio.sleep(args.join_batch / args.join_rate)
    print(f"{len(sockets)} readers joined in {time.monotonic() - began:.0f} s", flush=True)
    writer = await _join(url, room, "writer", "en")
    phases = []
    for rate in args.rates:
        tally = Tally(args.readers, arrivals=arrivals)
        await _write(writer, tally, rate, args.seconds)
        await asyncio.sleep(args.settle)
        phases.append((rate, tally))
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in [*sockets, writer]), return_exceptions=True)
    return phases


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print what the readers saw."""
    parser = argparse.ArgumentParser(prog="chat-bench-large-room", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--rate", default="1", help="messages per second; a comma list runs "
                        "one phase per rate with the same readers")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--langs", default="en,es", help="readers' languages, in turn")
    parser.add_argument("--join-rate", type=float, default=80.0,
                        help="joins per second (the template's stage throttle is 100 rps)")
    parser.add_argument("--join-batch", type=int, default=40)
    parser.add_argument("--settle", type=float, default=60.0,
                        help="seconds to wait for the last deliveries after the last send")
    parser.add_argument("--url", help="a running local cloud's WebSocket URL")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="passed to the local cloud's functions (localcloud --env)")
    args = parser.parse_args(argv)
    try:
        args.rates = [float(rate) for rate in args.rate.split(",")]
    except ValueError:
        parser.error(f"--rate: not a number list: {args.rate!r}")
    if args.readers < 1 or min(args.rates) <= 0 or args.seconds <= 0:
        parser.error("--readers, --rate and --seconds must be positive")
    extra = [arg for pair in args.env for arg in ("--env", pair)]
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(local_cloud(ROOT, extra))
        phases = asyncio.run(run(url, args))
    whole = True
    for rate, tally in phases:
        text, complete = tally.report()
        print(f"-- {rate:g} message(s)/s for {args.seconds:g} s\n{text}")
        whole = whole and complete
    return 0 if whole else 1


if __name__ == "__main__":
    raise SystemExit(main())
