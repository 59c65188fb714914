"""One connection floods the local cloud: how long do everyone else's messages take?

    .venv/bin/chat-bench-flood                   # this checkout
    .venv/bin/chat-bench-flood --before 6b0bd8e  # and a commit before, same run

For each local cloud (this checkout, and with ``--before REV`` the same benchmark on a
``git worktree`` of that commit, run one after the other in the same invocation, so both see
the same machine), it:

1. starts ``python -m localcloud --port 0 --ephemeral`` (its default workers, the template's
   stage throttling and concurrency);
2. joins ``--calm`` users to one room (and warms the function with one message each, not
   counted); every ``--interval`` seconds each sends a short message, and the delivery
   latency is measured from the send to its arrival at ANOTHER calm user (the readers' clock is
   the writer's: one process);
3. after a quiet phase, one more connection joins another room and sends ``--flood`` pings as
   fast as the socket takes them (the red team's finding: 2,000 in about 5 s), while the calm
   users keep talking;
4. prints, per phase, the calm users' delivery p50/p99/max, how many of their messages were
   answered ``Too Many Requests`` by the stage throttle, refused otherwise, or never delivered,
   and how many of the flood's frames the gateway throttled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 120.0


@dataclass
class Phase:
    """What the calm users saw during one phase."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    throttled: int = 0
    refused: int = 0

    @property
    def lost(self) -> int:
        return self.sent - len(self.latencies_ms) - self.throttled - self.refused

    def line(self) -> str:
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
            timing = (f"{statistics.median(ordered):,.0f} | {p99:,.0f} | {ordered[-1]:,.0f}")
        else:
            timing = "- | - | -"
        return (f"| {self.name} | {self.sent} | {len(self.latencies_ms)} | {timing} | "
                f"{self.throttled} | {self.refused} | {self.lost} |")


@contextlib.contextmanager
def local_cloud(checkout: Path, extra: Sequence[str] = ()) -> Iterator[str]:
    """Start the local cloud of ``checkout`` (``extra``: more of its arguments); yield its
    WebSocket URL; stop it."""
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        ready = Path(tmp) / "ready.json"
        # That checkout's code, not the installed one: --before runs a worktree of another commit.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(checkout / "scripts"), str(checkout / "backend"), env.get("PYTHONPATH", "")]
        )
        log_path = Path(tmp) / "cloud.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "localcloud", "--port", "0", "--ephemeral",
             "--ready-file", str(ready), "--log-level", "WARNING", *extra],
            cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not ready.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"local cloud of {checkout} did not start")
                time.sleep(0.1)
            try:
                yield str(json.loads(ready.read_text())["websocket"])
            except BaseException:
                sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
                raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


async def _join(url: str, room: str, user: str) -> Any:
    ws = await websockets.connect(url, max_size=None)
    await ws.send(json.dumps({"action": "init", "v": 2, "room": room, "lang": "en",
                              "user": user, "id": f"join-{user}"}))  # fmt: skip
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if isinstance(frame, dict) and frame.get("type") == "history":
            return ws


async def _calm(
    url: str, calm: int, phases: list[tuple[str, float]], interval: float, begun: asyncio.Event
) -> list[Phase]:
    """Calm users talk through ``phases`` (name, seconds); returns what each phase saw."""
    room = f"calm-{uuid.uuid4().hex[:8]}"
    sockets = [await _join(url, room, f"calm{i}") for i in range(calm)]
    sent_at: dict[str, tuple[float, Phase]] = {}
    delivered: set[str] = set()
    results = [Phase(name) for name, _ in phases]
    current: list[Phase] = [results[0]]

    async def read(index: int, ws: Any) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if not isinstance(frame, dict):
                    continue
                client_id = str(frame.get("clientId") or frame.get("id") or "")
                kind = frame.get("type")
                other = frame.get("user") != f"calm{index}"
                if kind == "message" and client_id in sent_at and other:
                    if client_id not in delivered:
                        delivered.add(client_id)
                        started, phase = sent_at[client_id]
                        phase.latencies_ms.append((time.perf_counter() - started) * 1000)
                elif frame.get("message") == "Too Many Requests":
                    current[0].throttled += 1
                elif kind == "error" and client_id in sent_at:
                    sent_at[client_id][1].refused += 1

    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
    warm = Phase("warm-up")
    for n, ws in enumerate(sockets):  # cold starts and first translations: not counted
        sent_at[f"w{n}"] = (time.perf_counter(), warm)
        await ws.send(json.dumps({"action": "message", "id": f"w{n}", "content": "hi all"}))
    await asyncio.sleep(3)
    begun.set()
    counter = 0
    for (_, seconds), phase in zip(phases, results, strict=True):
        current[0] = phase
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for ws in sockets:
                counter += 1
                client_id = f"c{counter}"
                sent_at[client_id] = (time.perf_counter(), phase)
                phase.sent += 1
                text = f"hello number {counter}, all good"
                await ws.send(json.dumps({"action": "message", "id": client_id, "content": text}))
            await asyncio.sleep(interval)
    await asyncio.sleep(15)  # late deliveries still count (and show in max)
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    return results


async def _flood(url: str, count: int, begun: asyncio.Event, after: float) -> dict[str, int]:
    await begun.wait()
    await asyncio.sleep(after)
    ws = await _join(url, f"flood-{uuid.uuid4().hex[:8]}", "flooder")
    seen = {"throttled": 0, "rate_limited": 0, "pong": 0}

    async def read() -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if isinstance(frame, dict):
                    if frame.get("message") == "Too Many Requests":
                        seen["throttled"] += 1
                    elif frame.get("code") == "RATE_LIMITED":
                        seen["rate_limited"] += 1
                    elif frame.get("type") == "pong":
                        seen["pong"] += 1

    reader = asyncio.create_task(read())
    started = time.perf_counter()
    for n in range(count):
        await ws.send(json.dumps({"action": "ping", "v": 2, "id": f"p{n}"}))
        if n % 100 == 99:
            await asyncio.sleep(0.25)  # about 2,000 in 5 s
    seen["seconds"] = round(time.perf_counter() - started, 1)  # type: ignore[assignment]
    await asyncio.sleep(20)
    await ws.close()
    reader.cancel()
    return seen


async def _run(url: str, args: argparse.Namespace) -> tuple[list[Phase], dict[str, int]]:
    phases = [("quiet", args.quiet), ("during the flood", args.during), ("after", args.after)]
    begun = asyncio.Event()
    calm_task = asyncio.create_task(_calm(url, args.calm, phases, args.interval, begun))
    flood_task = asyncio.create_task(_flood(url, args.flood, begun, args.quiet))
    return await calm_task, await flood_task


def _report(label: str, url_checkout: Path, args: argparse.Namespace) -> None:
    with local_cloud(url_checkout) as url:
        phases, flood = asyncio.run(_run(url, args))
    print(f"\n**{label}** (flood: {args.flood} pings from one connection in "
          f"{flood.get('seconds')} s; stage-throttled {flood['throttled']}, RATE_LIMITED "
          f"{flood['rate_limited']}, pongs {flood['pong']})\n")
    print("| phase | calm messages sent | delivered | p50 ms | p99 ms | max ms | "
          "throttled (429) | refused | lost |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for phase in phases:
        print(phase.line())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calm", type=int, default=5, help="calm users in one room")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between messages")
    parser.add_argument("--flood", type=int, default=2000, help="pings from the flooding user")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds before the flood")
    parser.add_argument("--during", type=float, default=6.0, help="seconds of the flood phase")
    parser.add_argument("--after", type=float, default=5.0, help="seconds after it")
    parser.add_argument("--before", metavar="REV", help="also run a git worktree of REV first")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    if args.before:
        worktree = Path(tempfile.mkdtemp(prefix="bench-flood-before-"))
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree),
                        args.before], check=True, capture_output=True)  # fmt: skip
        try:
            _report(f"before ({args.before})", worktree, args)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(worktree)], check=False, capture_output=True)  # fmt: skip
            shutil.rmtree(worktree, ignore_errors=True)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    _report(f"now ({head or 'this checkout'})", ROOT, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
