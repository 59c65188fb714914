"""The ``load`` command: N simulated users over R rooms and L languages send benign messages at a
total rate, and every delivery is verified (nothing lost, nothing duplicated, order kept per
sender) while latency is measured from send to delivery at each reader on one process clock.

Each user has at most one message in flight (a person waits for their message to appear before
typing the next): the sender loop takes the next free user in turn, so per-sender order is a
property the server must keep, and the server's per-connection rate limit is not hit by a burst.
If every user is busy the loop waits, and the achieved rate shows it: a run that sent below
``MIN_RATE_SHARE`` (90 %) of the asked rate fails, unless ``accept_low_rate``
(``--accept-low-rate``) says a slower run is fine. The rate is measured over the sending window:
messages sent / seconds from the first send to the end of the schedule.

Per-message overhead is kept small because the local cloud benchmark drives this loop: one
``json.dumps`` per send, one ``json.loads`` per frame, dictionary bookkeeping in between.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from chat_client.connection import ChatConnection, open_connection, parse_frame
from chat_client.errors import AnswerTimeoutError, ChatClientError, ConnectionLostError
from chat_client.ledger import DeliveryLedger, DeliveryReport

__all__ = ["BENIGN_TEXTS", "MIN_RATE_SHARE", "LoadOptions", "LoadResult", "Progress", "run_load"]

# Friendly, clearly non-negative English sentences, long enough (>= 20 characters) for language
# detection to be confident, so every one should be published.
BENIGN_TEXTS = (
    "Good morning everyone, I hope you are all well today!",
    "Thanks for sharing, that was really helpful.",
    "The weather is lovely here, sunny and warm.",
    "I just finished reading a great book about gardening.",
    "Does anyone have a favourite recipe for pancakes?",
    "Happy birthday to you, have a wonderful day!",
    "We are planning a picnic in the park on Saturday.",
    "Congratulations on the new job, well done!",
    "The concert last night was absolutely fantastic.",
    "I love how friendly and welcoming this room is.",
    "Let us meet at the library tomorrow afternoon.",
    "What a beautiful sunset over the sea this evening.",
)

MIN_RATE_SHARE = 0.9  # a run that sent below this share of --rate fails (unless accepted)
CONNECT_CONCURRENCY = 20  # handshakes in flight at once (API Gateway: 500 new connections/s)
DRAIN_POLL = 0.05


@dataclass(frozen=True)
class LoadOptions:
    """What ``load`` was asked to do."""

    url: str
    users: int
    rooms: int
    langs: Sequence[str]
    rate: float
    duration: float | None = None
    count: int | None = None
    timeout: float = 10.0  # for joins, and to drain outcomes/deliveries after the last send
    open_timeout: float = 10.0
    texts: Sequence[str] = BENIGN_TEXTS
    room_prefix: str = "load"
    progress: bool = True
    heartbeat: float | None = 270.0
    accept_low_rate: bool = False  # a run below MIN_RATE_SHARE of ``rate`` still passes

    def __post_init__(self) -> None:
        if self.users < 1 or self.rooms < 1:
            raise ValueError("--users and --rooms must be at least 1")
        if self.rooms > self.users:
            raise ValueError(f"{self.rooms} rooms need at least as many users (got {self.users})")
        if not self.langs:
            raise ValueError("at least one language is needed")
        if self.rate <= 0:
            raise ValueError("--rate must be positive")
        if (self.duration is None) == (self.count is None):
            raise ValueError("give exactly one of --duration and --count")
        if self.duration is not None and self.duration <= 0:
            raise ValueError("--duration must be positive")
        if self.count is not None and self.count < 1:
            raise ValueError("--count must be at least 1")
        if not self.texts:
            raise ValueError("no texts to send")


@dataclass
class SimUser:
    """One simulated user and its connection."""

    index: int
    name: str
    room: str
    lang: str
    conn: ChatConnection | None = None
    seq: int = 0
    joined: asyncio.Event = field(default_factory=asyncio.Event)
    join_error: str | None = None
    lost: ChatClientError | None = None


@dataclass(frozen=True)
class LoadResult:
    """The verified outcome of a load run."""

    options: LoadOptions
    report: DeliveryReport
    send_seconds: float
    delivery_seconds: float
    translations: Mapping[str, int] = field(default_factory=dict)  # deliveries by `translation`

    @property
    def achieved_rate(self) -> float | None:
        """Messages sent per second over the sending window (None when it took no time)."""
        return self.report.sent / self.send_seconds if self.send_seconds > 0 else None

    @property
    def rate_reached(self) -> bool:
        """True when the run sent at least ``MIN_RATE_SHARE`` of the asked rate."""
        achieved = self.achieved_rate
        return achieved is None or achieved >= MIN_RATE_SHARE * self.options.rate

    def rate_shortfall(self) -> str | None:
        """How far below the asked rate the run stayed, said plainly; None when it was reached."""
        if self.rate_reached:
            return None
        asked = self.options.rate
        achieved = round(self.achieved_rate or 0.0, 2)  # as the summary's "msg/s" rounds it
        return (f"sent {achieved:.1f} msg/s, below {MIN_RATE_SHARE:.0%} of the {asked:g} msg/s"
                f" asked (at least {MIN_RATE_SHARE * asked:.1f}): the server or this machine"
                " could not keep up")

    @property
    def ok(self) -> bool:
        """Every delivery checked out, and the rate was reached or a lower one accepted."""
        return self.report.ok and (self.rate_reached or self.options.accept_low_rate)

    def problems(self) -> list[str]:
        """One phrase per reason the run failed (empty when ``ok``)."""
        shortfall = None if self.options.accept_low_rate else self.rate_shortfall()
        reason = f"{shortfall} (--accept-low-rate accepts a slower run)" if shortfall else None
        return [*self.report.problems(), *([reason] if reason else [])]

    def as_dict(self) -> dict[str, Any]:
        """One JSON-ready object with the settings, counts, throughput and latencies."""
        rep = self.report
        return {
            "ok": self.ok,
            "problems": self.problems(),
            "users": self.options.users,
            "rooms": self.options.rooms,
            "langs": list(self.options.langs),
            "target_rate": self.options.rate,
            "min_rate": round(MIN_RATE_SHARE * self.options.rate, 3),
            "rate_reached": self.rate_reached,
            "accept_low_rate": self.options.accept_low_rate,
            "sent": rep.sent,
            "acked": rep.acked,
            "rejected": rep.rejected,
            "held": rep.held,
            "errors": rep.errors,
            "unanswered": rep.unanswered,
            "expected_deliveries": rep.expected_deliveries,
            "delivered": rep.delivered,
            "lost": rep.lost,
            "duplicates": rep.duplicates,
            "out_of_order": rep.out_of_order,
            "unexpected": rep.unexpected,
            "send_seconds": round(self.send_seconds, 3),
            "sent_per_s": round(rep.sent / self.send_seconds, 2) if self.send_seconds else 0.0,
            "deliveries_per_s": (round(rep.delivered / self.delivery_seconds, 2)
                                 if self.delivery_seconds else 0.0),
            "translations": dict(sorted(self.translations.items())),
            "latency_ms": rep.delivery_latency.as_dict(),
            "ack_latency_ms": rep.ack_latency.as_dict(),
        }

    def text(self) -> str:
        """The human summary."""
        d = self.as_dict()
        errors = sum(self.report.errors.values())
        lines = [
            f"load: {d['users']} users, {d['rooms']} rooms, languages {', '.join(d['langs'])},"
            f" target {d['target_rate']:g} msg/s",
            f"sent {d['sent']} in {d['send_seconds']:.2f} s ({d['sent_per_s']:.1f} msg/s):"
            f" acked={d['acked']} rejected={d['rejected']} held={d['held']} errors={errors}"
            f" unanswered={d['unanswered']}",
            f"deliveries {d['delivered']} of {d['expected_deliveries']} expected"
            f" ({d['deliveries_per_s']:.1f}/s): lost={d['lost']} duplicates={d['duplicates']}"
            f" out_of_order={d['out_of_order']}",
            "translations: " + (", ".join(f"{k}={n}" for k, n in d["translations"].items())
                                or "none"),
            f"delivery latency: {self.report.delivery_latency.line()}",
            f"ack latency:      {self.report.ack_latency.line()}",
        ]
        if self.ok and not self.rate_reached:
            lines.append(f"note: {self.rate_shortfall()}; accepted by --accept-low-rate")
        lines.append("result: OK" if self.ok else f"result: FAILED: {'; '.join(d['problems'])}")
        return "\n".join(lines)


class Progress:
    """A one-line progress bar on a TTY (redrawn in place), a line every few seconds otherwise."""

    WIDTH = 24

    def __init__(self, stream: IO[str], enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_line = 0.0

    @staticmethod
    def bar(done: float, width: int = WIDTH) -> str:
        """``[#####-----]`` for a fraction ``done`` in 0..1 (clamped)."""
        filled = round(max(0.0, min(1.0, done)) * width)
        return "[" + "#" * filled + "-" * (width - filled) + "]"

    def show(self, done: float, text: str) -> None:
        """Draw the bar (TTY) or print a plain line at most every 5 s."""
        if not self.enabled:
            return
        line = f"{self.bar(done)} {done * 100:5.1f}%  {text}"
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
            self.stream.flush()
            return
        now = time.monotonic()
        if now - self._last_line >= 5.0:
            self._last_line = now
            self.stream.write(line + "\n")
            self.stream.flush()

    def finish(self) -> None:
        """End the in-place line."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def plan_users(opts: LoadOptions, run: str) -> list[SimUser]:
    """Spread users round-robin over rooms, and over languages within each room."""
    users = []
    for index in range(opts.users):
        room = index % opts.rooms
        lang = opts.langs[(index // opts.rooms) % len(opts.langs)]
        users.append(SimUser(index, f"user-{index}", f"{opts.room_prefix}-{run}-{room}", lang))
    return users


class LoadRun:
    """One run: connect, join, send on schedule, drain, verify."""

    def __init__(self, opts: LoadOptions, progress: Progress, clock: Callable[[], float]) -> None:
        self.opts = opts
        self.progress = progress
        self.clock = clock
        self.run_id = uuid.uuid4().hex[:8]
        self.users = plan_users(opts, self.run_id)
        self.ledger = DeliveryLedger()
        self.free: collections.deque[SimUser] = collections.deque(self.users)
        self.freed = asyncio.Event()
        self.in_flight: dict[str, SimUser] = {}
        self.readers: list[asyncio.Task[None]] = []
        self.last_delivery_at = 0.0
        self.sent = 0
        self.translations: collections.Counter[str] = collections.Counter()

    async def _connect(self, user: SimUser, gate: asyncio.Semaphore) -> None:
        async with gate:
            user.conn = await open_connection(
                self.opts.url, open_timeout=self.opts.open_timeout, compression=False,
                heartbeat_interval=self.opts.heartbeat,
            )

    async def _read(self, user: SimUser) -> None:
        assert user.conn is not None
        ledger, clock = self.ledger, self.clock
        try:
            while True:
                text = await user.conn.recv_text()
                now = clock()  # before parsing: latency is the network's, not our JSON's
                frame = parse_frame(text)
                user.conn.note(frame)
                if not isinstance(frame, dict):
                    continue
                kind = frame.get("type")
                if kind == "message":
                    ledger.delivery(user.name, frame.get("clientId"), now)
                    self.last_delivery_at = now
                    self.translations[str(frame.get("translation"))] += 1
                elif kind in ("ack", "rejected", "held", "error"):
                    self._outcome(user, frame, kind, now)
                elif kind == "joined":
                    user.joined.set()
        except ChatClientError as err:
            user.lost = err
            user.joined.set()
            self.freed.set()

    def _outcome(self, user: SimUser, frame: dict[str, Any], kind: Any, now: float) -> None:
        frame_id = frame.get("id")
        if kind == "error" and frame_id == f"join-{user.index}":
            user.join_error = f"{frame.get('code')}: {frame.get('message')}"
            user.joined.set()
            return
        if self.ledger.outcome(frame_id, kind, now, frame.get("code")):
            owner = self.in_flight.pop(str(frame_id), None)
            if owner is not None:
                self.free.append(owner)
                self.freed.set()

    async def setup(self) -> None:
        """Open every connection, then join every user to its room and language."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        results = await asyncio.gather(
            *(self._connect(user, gate) for user in self.users), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        self.readers = [asyncio.create_task(self._read(user)) for user in self.users]
        for user in self.users:
            assert user.conn is not None
            await user.conn.send({"action": "init", "v": 2, "room": user.room, "lang": user.lang,
                                  "user": user.name, "id": f"join-{user.index}"})
        try:
            await asyncio.wait_for(
                asyncio.gather(*(user.joined.wait() for user in self.users)), self.opts.timeout
            )
        except TimeoutError as err:
            waiting = sum(1 for user in self.users if not user.joined.is_set())
            raise AnswerTimeoutError(
                f"{waiting} of {len(self.users)} users had no answer to init within"
                f" {self.opts.timeout:g} s"
            ) from err
        for user in self.users:
            if user.lost is not None:
                raise user.lost
            if user.join_error is not None:
                raise ChatClientError(f"{user.name} could not join {user.room}: {user.join_error}")

    def _members(self) -> dict[str, frozenset[str]]:
        rooms: dict[str, set[str]] = collections.defaultdict(set)
        for user in self.users:
            if user.lost is None:
                rooms[user.room].add(user.name)
        return {room: frozenset(names) for room, names in rooms.items()}

    def _status(self) -> str:
        return (f"sent {self.sent}  delivered {self.ledger.delivered}"
                f"  duplicates {self.ledger.duplicates}")

    async def send_all(self) -> float:
        """Send on schedule until the count or duration is reached; return the seconds it took."""
        opts, clock, ledger = self.opts, self.clock, self.ledger
        members = self._members()
        interval = 1.0 / opts.rate
        texts = opts.texts
        start = clock()
        next_draw = start
        while True:
            now = clock()
            if opts.count is not None:
                if self.sent >= opts.count:
                    break
                done = self.sent / opts.count
            else:
                assert opts.duration is not None
                if now - start >= opts.duration:
                    break
                done = (now - start) / opts.duration
            if now >= next_draw:
                self.progress.show(done, self._status())
                next_draw = now + 0.2
            delay = start + self.sent * interval - now
            if delay > 0:
                await asyncio.sleep(delay)
            while not self.free:
                self.freed.clear()
                if all(user.lost is not None for user in self.users):
                    raise ConnectionLostError(None, "", detail="every simulated user was cut off")
                await self.freed.wait()
            user = self.free.popleft()
            if user.lost is not None or user.conn is None:
                continue
            user.seq += 1
            client_id = f"{self.run_id}-{user.index}-{user.seq}"
            self.in_flight[client_id] = user
            ledger.sent(client_id, sender=user.name, room=user.room, seq=user.seq, at=clock(),
                        readers=members[user.room])
            await user.conn.send({"action": "message", "content": texts[self.sent % len(texts)],
                                  "id": client_id})
            self.sent += 1
        elapsed = clock() - start
        self.progress.show(1.0, self._status())
        return elapsed

    async def drain(self) -> None:
        """Wait for every outcome and expected delivery, at most ``timeout`` seconds."""
        deadline = self.clock() + self.opts.timeout
        while self.clock() < deadline:
            if self.ledger.pending_outcomes() == 0 and self.ledger.pending_deliveries() == 0:
                return
            await asyncio.sleep(DRAIN_POLL)

    async def close(self) -> None:
        """Stop the readers and close every connection."""
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await asyncio.gather(
            *(user.conn.close() for user in self.users if user.conn is not None),
            return_exceptions=True,
        )


async def run_load(
    opts: LoadOptions,
    out: IO[str] = sys.stdout,
    err: IO[str] = sys.stderr,
    *,
    as_json: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """Run the ``load`` command; print the result; 0 when every delivery checked out and the
    rate was reached (or a lower one accepted), else 1."""
    progress = Progress(err, enabled=opts.progress)
    run = LoadRun(opts, progress, clock)
    try:
        await run.setup()
        first_send = clock()
        send_seconds = await run.send_all()
        await run.drain()
    finally:
        progress.finish()
        with contextlib.suppress(Exception):
            await run.close()
    delivery_seconds = max(0.0, run.last_delivery_at - first_send)
    result = LoadResult(opts, run.ledger.report(), send_seconds, delivery_seconds,
                        dict(run.translations))
    if as_json:
        out.write(json.dumps(result.as_dict()) + "\n")
    else:
        out.write(result.text() + "\n")
    out.flush()
    lost = [user for user in run.users if user.lost is not None]
    if lost:
        err.write(f"chat-client: {len(lost)} simulated user(s) lost their connection"
                  f" (first: {lost[0].name}: {lost[0].lost})\n")
    return 0 if result.ok and not lost else 1
