#!/usr/bin/env python3
"""Soak: many users chat for minutes with churn; then prove nothing was lost or duplicated.

Usage (against a running local cloud; --pid samples its memory)::

    .venv/bin/chat-soak --url ws://127.0.0.1:8000/ --users 30 --rooms 3 \
        --duration 75 --pid "$(pgrep -of 'python -m localcloud')" --json

Each simulated user lives in a loop until the deadline: connect, join its room (resuming after the
newest message it has, as the chat page does), post a benign message every few seconds with a
client id and wait for its answer, and after a random session length either close the socket,
drop it abruptly (no close frame: the gateway's ``$disconnect`` has to notice). Now and then a
socket is dropped right after a message was sent, before its answer: that message is resent with
the same client id on the next connection (the idempotency path). At the end a checker pages
each room's whole history.

What must hold (the result's ``ok``):

- every accepted message (acked ``published``) is in its room's history exactly once, and the
  history holds nothing else (``lost`` = ``duplicates`` = ``unexpected`` = 0);
- every message got an answer, and a resent client id the messageId of the first answer;
- every session that was joined before a message was sent and still open a grace period after
  its ack received it live (``missed_live`` = 0), and no session received one message twice from
  the live path (``live_duplicates`` = 0);
- the local cloud's memory (RSS of the process tree given by ``--pid``) does not keep growing:
  the last third of the run stays within ``--rss-growth`` of the middle third's peak.

This module owns the soak driver and its verdict; it speaks only the public protocol (v2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

__all__ = ["SoakOptions", "SoakResult", "main", "run_soak", "tree_rss_bytes"]

TEXTS = (
    "Good morning everyone, I hope you are all well today!",
    "Thanks for sharing, that was really helpful.",
    "The weather is lovely here, sunny and warm.",
    "I just finished reading a great book about gardening.",
    "Happy birthday to you, have a wonderful day!",
    "We are planning a picnic in the park on Saturday.",
    "Congratulations on the new job, well done!",
    "What a beautiful sunset over the sea this evening.",
)
LANGS = ("en", "fr", "de", "es")
GRACE_SECONDS = 3.0  # a live delivery may trail its ack by this much
ANSWER_TIMEOUT = 20.0
OPEN_TIMEOUT = 20.0
RESUME_SLACK_MS = 10_000  # resume this far before the newest message seen (ids are time-ordered)
ZERO_ID = "00000000000000-0000000000"


@dataclass(frozen=True)
class SoakOptions:
    """What to run."""

    url: str
    users: int = 30
    rooms: int = 3
    duration: float = 75.0
    message_interval: tuple[float, float] = (2.0, 6.0)  # seconds between a user's messages
    session: tuple[float, float] = (4.0, 20.0)  # seconds a connection lives before churning
    pause: tuple[float, float] = (0.2, 2.0)  # seconds offline between connections
    drop_in_flight: float = 0.05  # chance that a socket dies right after sending a message
    pid: int | None = None
    rss_growth: float = 0.25
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.users < 1 or self.rooms < 1 or self.rooms > self.users:
            raise ValueError("need users >= rooms >= 1")
        if self.duration <= 0:
            raise ValueError("duration must be positive")


@dataclass
class Session:
    """One connection of one user."""

    user: str
    room: str
    opened_at: float
    joined_at: float | None = None
    closed_at: float | None = None
    live: Counter[str] = field(default_factory=Counter)
    resumed: set[str] = field(default_factory=set)


@dataclass
class Sent:
    """One message a user sent (maybe several times, with the same client id)."""

    client_id: str
    user: str
    room: str
    first_sent_at: float
    sends: int = 1
    status: str | None = None
    message_id: str | None = None
    acked_at: float | None = None
    ack_ids: set[str] = field(default_factory=set)  # messageIds seen in answers (must be 1)


@dataclass
class SoakResult:
    """Counts and the verdict."""

    summary: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when every invariant of the module docstring held."""
        return bool(self.summary["ok"])


class Soak:
    """One soak run; see the module docstring."""

    def __init__(self, opts: SoakOptions) -> None:
        self.opts = opts
        self.rng = random.Random(opts.seed)  # noqa: S311 - load shaping, not cryptography
        self.run_id = uuid.uuid4().hex[:6]
        self.rooms = [f"soak-{self.run_id}-{n}" for n in range(opts.rooms)]
        self.sessions: list[Session] = []
        self.sent: dict[str, Sent] = {}
        self.connects = 0
        self.graceful = 0
        self.abrupt = 0
        self.dropped_in_flight = 0
        self.refused: Counter[str] = Counter()
        self.errors: list[str] = []
        self.rss: list[tuple[float, int]] = []
        self.start = 0.0

    # Users -----------------------------------------------------------------------------------

    async def user(self, index: int) -> None:
        name = f"soaker-{index}"
        room = self.rooms[index % len(self.rooms)]
        lang = LANGS[(index // len(self.rooms)) % len(LANGS)]
        deadline = self.start + self.opts.duration
        newest: str | None = None
        pending: Sent | None = None  # sent, not answered yet: resend on the next connection
        seq = itertools.count(1)
        final_tries = 3  # after the deadline: reconnect only to resend an unanswered message
        while time.monotonic() < deadline or (
            pending is not None and pending.status is None and final_tries > 0
        ):
            if time.monotonic() >= deadline:
                final_tries -= 1
            session = Session(name, room, time.monotonic())
            self.sessions.append(session)
            self.connects += 1
            try:
                ws = await websockets.connect(
                    self.opts.url, open_timeout=OPEN_TIMEOUT, max_size=None, compression=None
                )
            except (OSError, TimeoutError, websockets.WebSocketException) as err:
                self.errors.append(f"{name}: connect failed: {err!r}")
                session.closed_at = time.monotonic()
                await asyncio.sleep(1.0)
                continue
            session_end = max(
                time.monotonic(),
                min(deadline, time.monotonic() + self.rng.uniform(*self.opts.session)),
            )
            try:
                newest, pending = await self._session(
                    ws,
                    session,
                    lang=lang,
                    newest=newest,
                    pending=pending,
                    seq=seq,
                    session_end=session_end,
                )
            except (websockets.ConnectionClosed, OSError) as err:
                self.errors.append(f"{name}: connection lost: {err!r}")
            finally:
                session.closed_at = time.monotonic()
                if time.monotonic() < deadline and self.rng.random() < 0.4:
                    self.abrupt += 1
                    ws.transport.abort()  # no close frame: the gateway must notice by itself
                else:
                    self.graceful += 1
                    with contextlib.suppress(Exception):
                        await ws.close()
            if time.monotonic() < deadline:
                await asyncio.sleep(self.rng.uniform(*self.opts.pause))
        if pending is not None and pending.status is None:
            self.errors.append(f"{name}: {pending.client_id} never answered")

    async def _session(
        self,
        ws: ClientConnection,
        session: Session,
        *,
        lang: str,
        newest: str | None,
        pending: Sent | None,
        seq: Iterator[int],
        session_end: float,
    ) -> tuple[str | None, Sent | None]:
        init: dict[str, Any] = {
            "action": "init",
            "v": 2,
            "room": session.room,
            "lang": lang,
            "user": session.user,
            "id": "join",
            "after": _resume_point(newest) if newest else ZERO_ID,
        }
        await ws.send(json.dumps(init))
        answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        state: dict[str, str | None] = {"newest": newest}
        reader = asyncio.create_task(self._read(ws, session, answers, state))
        try:
            join_deadline = time.monotonic() + ANSWER_TIMEOUT
            while session.joined_at is None:
                if reader.done() or time.monotonic() > join_deadline:
                    self.errors.append(f"{session.user}: no answer to init")
                    return state["newest"], pending
                await asyncio.sleep(0.02)
            while True:
                if pending is None or pending.status is not None:
                    wait = self.rng.uniform(*self.opts.message_interval)
                    if time.monotonic() + wait > session_end:
                        await asyncio.sleep(max(0.0, session_end - time.monotonic()))
                        return state["newest"], None
                    await asyncio.sleep(wait)
                    client_id = f"{session.user}-{self.run_id}-{next(seq)}"
                    pending = Sent(client_id, session.user, session.room, time.monotonic(), 0)
                    self.sent[client_id] = pending
                pending.sends += 1
                text = TEXTS[hash(pending.client_id) % len(TEXTS)]
                await ws.send(
                    json.dumps({"action": "message", "content": text, "id": pending.client_id})
                )
                in_time = time.monotonic() < self.start + self.opts.duration
                if in_time and self.rng.random() < self.opts.drop_in_flight:
                    # The socket dies with the message in flight: the next connection resends it
                    # with the same client id, and must get the same messageId, stored once.
                    self.dropped_in_flight += 1
                    ws.transport.abort()
                    return state["newest"], pending
                answer = await self._answer(answers, reader, pending.client_id)
                if answer is None:
                    return state["newest"], pending  # socket gone: resend on the next one
                kind = answer["type"]
                if kind == "error":
                    self.refused[answer["code"]] += 1
                    if answer["code"] in ("RATE_LIMITED", "IN_PROGRESS", "SERVICE_UNAVAILABLE"):
                        await asyncio.sleep(float(answer.get("retryAfter") or 1))
                        continue  # same client id again
                    pending.status = f"error:{answer['code']}"
                    continue
                pending.status = answer.get("status") or kind
                pending.message_id = answer["messageId"]
                pending.ack_ids.add(answer["messageId"])
                pending.acked_at = time.monotonic()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def _read(
        self,
        ws: ClientConnection,
        session: Session,
        answers: asyncio.Queue[dict[str, Any]],
        state: dict[str, str | None],
    ) -> None:
        """Sort the frames of one session: deliveries, history, the join, answers."""
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "message":
                session.live[frame["messageId"]] += 1
                state["newest"] = max(state["newest"] or "", frame["messageId"])
            elif kind == "history":
                for message in frame["messages"]:
                    session.resumed.add(message["messageId"])
                    state["newest"] = max(state["newest"] or "", message["messageId"])
            elif kind == "joined":
                session.joined_at = time.monotonic()
            elif kind in ("ack", "rejected", "held", "error") and frame.get("id") != "join":
                await answers.put(frame)
            elif kind == "error":
                self.errors.append(f"{session.user}: join refused: {frame.get('code')}")

    async def _answer(
        self, answers: asyncio.Queue[dict[str, Any]], reader: asyncio.Task[None], client_id: str
    ) -> dict[str, Any] | None:
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            if reader.done():
                return None
            try:
                frame = await asyncio.wait_for(answers.get(), 0.1)
            except TimeoutError:
                continue
            if frame.get("id") == client_id:
                return frame
        self.errors.append(f"{client_id}: no answer in {ANSWER_TIMEOUT:g} s")
        return None

    # Memory ----------------------------------------------------------------------------------

    async def sample_memory(self) -> None:
        if self.opts.pid is None:
            return
        while True:
            with contextlib.suppress(OSError):
                self.rss.append((time.monotonic() - self.start, tree_rss_bytes(self.opts.pid)))
            await asyncio.sleep(2.0)

    # Verdict ---------------------------------------------------------------------------------

    async def room_history(self, room: str) -> list[str]:
        """Every visible message id of ``room``, oldest first (paging with ``history``)."""
        ids: list[str] = []
        async with websockets.connect(
            self.opts.url, open_timeout=OPEN_TIMEOUT, max_size=None
        ) as ws:
            await ws.send(
                json.dumps(
                    {
                        "action": "init",
                        "v": 2,
                        "room": room,
                        "lang": "en",
                        "user": "Soak checker",
                        "id": "check",
                    }
                )
            )
            page = await _history_page(ws)
            ids = [m["messageId"] for m in page["messages"]]
            more = page["hasMore"]
            while more and ids:
                await asyncio.sleep(0.25)  # stay far under the per-connection rate limit
                await ws.send(
                    json.dumps({"action": "history", "before": ids[0], "limit": 100, "id": "page"})
                )
                page = await _history_page(ws)
                ids = [m["messageId"] for m in page["messages"]] + ids
                more = page["hasMore"]
        return ids

    async def verdict(self) -> SoakResult:
        histories = {room: await self.room_history(room) for room in self.rooms}
        accepted = {
            s.message_id: s
            for s in self.sent.values()
            if s.status == "published" and s.message_id is not None
        }
        stored = Counter(mid for ids in histories.values() for mid in ids)
        lost = [mid for mid in accepted if stored[mid] == 0]
        duplicates = sum(n - 1 for n in stored.values() if n > 1)
        unexpected = [mid for mid in stored if mid not in accepted]
        wrong_room = sum(1 for mid, s in accepted.items() if mid not in histories[s.room])
        inconsistent_acks = sum(1 for s in self.sent.values() if len(s.ack_ids) > 1)
        resent = sum(1 for s in self.sent.values() if s.sends > 1)
        unanswered = sum(1 for s in self.sent.values() if s.status is None)
        end = time.monotonic()

        expected_live = missed_live = live_duplicates = overlaps = 0
        for session in self.sessions:
            live_duplicates += sum(n - 1 for n in session.live.values() if n > 1)
            overlaps += len(session.resumed & set(session.live))
            if session.joined_at is None:
                continue
            closed = session.closed_at if session.closed_at is not None else end
            for mid, sent in accepted.items():
                if sent.room != session.room or sent.acked_at is None:
                    continue
                if (
                    session.joined_at < sent.first_sent_at
                    and closed > sent.acked_at + GRACE_SECONDS
                ):
                    expected_live += 1
                    if mid not in session.live:
                        missed_live += 1

        memory = _memory_summary(self.rss)
        rss_ok = memory.get("growth_ratio", 0.0) <= self.opts.rss_growth
        ok = (
            not lost
            and not duplicates
            and not unexpected
            and not wrong_room
            and not inconsistent_acks
            and not missed_live
            and not live_duplicates
            and not unanswered
            and bool(accepted)
            and rss_ok
        )
        statuses = Counter(s.status or "unanswered" for s in self.sent.values())
        return SoakResult(
            {
                "ok": ok,
                "users": self.opts.users,
                "rooms": self.opts.rooms,
                "duration_s": self.opts.duration,
                "connections": self.connects,
                "disconnects_graceful": self.graceful,
                "disconnects_abrupt": self.abrupt,
                "dropped_with_message_in_flight": self.dropped_in_flight,
                "messages_sent": len(self.sent),
                "sends_including_resends": sum(s.sends for s in self.sent.values()),
                "resent_after_reconnect": resent,
                "statuses": dict(statuses),
                "unanswered": unanswered,
                "accepted": len(accepted),
                "in_history": sum(stored.values()),
                "lost": len(lost),
                "duplicates": duplicates,
                "unexpected": len(unexpected),
                "wrong_room": wrong_room,
                "inconsistent_acks": inconsistent_acks,
                "expected_live_deliveries": expected_live,
                "missed_live": missed_live,
                "live_duplicates": live_duplicates,
                "join_overlaps": overlaps,
                "refusals": dict(self.refused),
                "client_errors": len(self.errors),
                "first_errors": self.errors[:5],
                "memory": memory,
            }
        )

    async def run(self) -> SoakResult:
        self.start = time.monotonic()
        sampler = asyncio.create_task(self.sample_memory())
        try:
            await asyncio.gather(*(self._staggered(i) for i in range(self.opts.users)))
            await asyncio.sleep(GRACE_SECONDS)
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        return await self.verdict()

    async def _staggered(self, index: int) -> None:
        await asyncio.sleep(self.rng.uniform(0, min(5.0, self.opts.duration / 4)))
        await self.user(index)


async def _history_page(ws: ClientConnection) -> dict[str, Any]:
    """The (reassembled) history page that answers the last init/history."""
    messages: list[dict[str, Any]] = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT))
        if frame.get("type") == "error":
            raise RuntimeError(f"history refused: {frame.get('code')}")
        if frame.get("type") != "history":
            continue
        messages += frame["messages"]
        if frame.get("final", True):
            return {**frame, "messages": messages}


def _resume_point(newest: str) -> str:
    """A message id some seconds before ``newest``: live frames may arrive out of id order."""
    millis = max(0, int(newest.split("-", 1)[0]) - RESUME_SLACK_MS)
    return f"{millis:014d}-0000000000"


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack.extend(children.get(current, []))
    return total


def _memory_summary(samples: list[tuple[float, int]]) -> dict[str, Any]:
    """RSS at start/end, the peaks of the middle and last thirds, and their ratio."""
    if len(samples) < 6:
        return {"samples": len(samples)}
    third = len(samples) // 3
    middle = max(rss for _, rss in samples[third : 2 * third])
    last = max(rss for _, rss in samples[2 * third :])
    mib = 1024 * 1024
    return {
        "samples": len(samples),
        "start_mib": round(samples[0][1] / mib, 1),
        "middle_peak_mib": round(middle / mib, 1),
        "last_peak_mib": round(last / mib, 1),
        "end_mib": round(samples[-1][1] / mib, 1),
        "growth_ratio": round(max(0.0, last / middle - 1.0), 3),
    }


def run_soak(opts: SoakOptions) -> SoakResult:
    """Run the soak and return its verdict."""
    return asyncio.run(Soak(opts).run())


def _parse(argv: list[str] | None) -> tuple[SoakOptions, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the chat's WebSocket URL")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--rooms", type=int, default=3)
    parser.add_argument("--duration", type=float, default=75.0, help="seconds of traffic")
    parser.add_argument(
        "--pid", type=int, default=None, help="local cloud process whose tree's RSS is sampled"
    )
    parser.add_argument(
        "--rss-growth",
        type=float,
        default=0.25,
        help="allowed growth of the last third's RSS peak over the middle's",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    try:
        opts = SoakOptions(
            url=args.url,
            users=args.users,
            rooms=args.rooms,
            duration=args.duration,
            pid=args.pid,
            rss_growth=args.rss_growth,
            seed=args.seed,
        )
    except ValueError as err:
        parser.error(str(err))
    return opts, args.json


def main(argv: list[str] | None = None) -> int:
    """Run from the command line: 0 when every invariant held, 1 otherwise."""
    opts, as_json = _parse(argv)
    result = run_soak(opts)
    if as_json:
        print(json.dumps(result.summary))
    else:
        for key, value in result.summary.items():
            print(f"{key:28} {value}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
