"""The ``send`` command: join, send messages, wait for their outcomes and deliveries, print every
frame that arrives as one JSON line, then check the ``--expect`` assertions.

Messages are sent one at a time, each after the previous one's outcome arrived, so the output is
in a stable order and a script never trips the server's rate limit by accident. With no messages
the command listens: it waits until every expectation holds (or the timeout passes).
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from chat_client.connection import ChatConnection, open_connection
from chat_client.errors import AnswerTimeoutError, ChatClientError
from chat_client.expect import Expectation, Verdict, check_all

__all__ = ["FrameInbox", "SendOptions", "run_send"]

OUTCOME_TYPES = frozenset({"ack", "rejected", "held", "error"})
ANSWER_TYPES = OUTCOME_TYPES | {"joined", "left", "history", "pong"}


@dataclass(frozen=True)
class SendOptions:
    """What ``send`` was asked to do."""

    url: str
    room: str
    name: str
    lang: str
    messages: Sequence[str] = ()
    expectations: Sequence[Expectation] = ()
    timeout: float = 10.0
    linger: float = 0.0
    join: bool = True
    raw: bool = False
    open_timeout: float = 10.0
    heartbeat: float | None = 270.0


@dataclass
class FrameInbox:
    """Every frame that arrived, in order, with a way to wait for one that matches."""

    frames: list[Any] = field(default_factory=list)
    failure: ChatClientError | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, frame: Any) -> None:
        """Store a frame and wake the waiters."""
        self.frames.append(frame)
        self._changed.set()

    def fail(self, error: ChatClientError) -> None:
        """The connection is gone: waiters raise ``error``."""
        self.failure = error
        self._changed.set()

    async def wait_until(
        self, predicate: Callable[[list[Any]], bool], timeout: float, what: str
    ) -> None:
        """Return once ``predicate(frames)`` holds; raise on timeout or a lost connection."""
        deadline = time.monotonic() + timeout
        while not predicate(self.frames):
            if self.failure is not None:
                raise self.failure
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AnswerTimeoutError(f"timed out after {timeout:g} s waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    def find(self, start: int, match: Callable[[Any], bool]) -> Any | None:
        """The first frame from index ``start`` on that matches, or None."""
        for frame in self.frames[start:]:
            if match(frame):
                return frame
        return None


def _with_id(frame_id: str, types: frozenset[str]) -> Callable[[Any], bool]:
    def match(frame: Any) -> bool:
        return (isinstance(frame, dict) and frame.get("id") == frame_id
                and frame.get("type") in types)

    return match


def _any_of(*matches: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def match(frame: Any) -> bool:
        return any(one(frame) for one in matches)

    return match


def _v1_error(frame: Any) -> bool:
    """A v1 error notice: what a connection that has not joined with ``"v": 2`` gets."""
    return isinstance(frame, list) and any(
        isinstance(item, dict) and "error" in item for item in frame
    )


def _history_done(frame: Any) -> bool:
    """The last frame of the history sent on joining (a long history may span frames)."""
    return (isinstance(frame, dict) and frame.get("type") == "history"
            and frame.get("mode") in ("latest", "after") and frame.get("final", True) is not False)


def _anonymous_answer(frame: Any) -> bool:
    return isinstance(frame, dict) and frame.get("type") in ANSWER_TYPES and "id" not in frame


def _raw_frame_id(text: str) -> str | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    value = frame.get("id") if isinstance(frame, dict) else None
    return value if isinstance(value, str) else None


async def _pump(conn: ChatConnection, inbox: FrameInbox, out: IO[str]) -> None:
    try:
        while True:
            frame = await conn.recv()
            out.write(json.dumps(frame, ensure_ascii=False) + "\n")
            out.flush()
            inbox.add(frame)
    except ChatClientError as err:
        inbox.fail(err)


async def _send_one(
    conn: ChatConnection, inbox: FrameInbox, opts: SendOptions, text: str, client_id: str
) -> tuple[str, Any]:
    """Send one message (or raw frame); return its client id and the frame that answered it."""
    start = len(inbox.frames)
    if opts.raw:
        raw_id = _raw_frame_id(text)
        await conn.send_text(text)
        by_raw_id = _with_id(raw_id, ANSWER_TYPES) if raw_id else _anonymous_answer
        match = _any_of(by_raw_id, _v1_error)
        what = f"an answer to raw frame {text[:40]!r}"
    else:
        await conn.send({"action": "message", "content": text, "id": client_id})
        # A socket that has not joined with v2 (--no-join, or its init was refused) is answered
        # in v1's shape, which has no ids; messages go one at a time, so it answers this one.
        match = _any_of(_with_id(client_id, OUTCOME_TYPES), _v1_error)
        what = f"the outcome of message {client_id}"
    await inbox.wait_until(lambda frames: inbox.find(start, match) is not None, opts.timeout, what)
    return client_id, inbox.find(start, match)


def _own_delivery_missing(acked: set[str]) -> Callable[[list[Any]], bool]:
    def all_delivered(frames: list[Any]) -> bool:
        seen = {f.get("clientId") for f in frames
                if isinstance(f, dict) and f.get("type") == "message"}
        return acked <= seen

    return all_delivered


async def run_send(opts: SendOptions, out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> int:
    """Run the ``send`` command; return the exit status (0 ok, 1 an expectation failed)."""
    conn = await open_connection(
        opts.url, open_timeout=opts.open_timeout, heartbeat_interval=opts.heartbeat
    )
    inbox = FrameInbox()
    pump = asyncio.create_task(_pump(conn, inbox, out))
    run = uuid.uuid4().hex[:8]
    try:
        if opts.join:
            join_id = f"join-{run}"
            await conn.send({"action": "init", "v": 2, "room": opts.room, "lang": opts.lang,
                             "user": opts.name, "id": join_id})
            answer = _with_id(join_id, frozenset({"joined", "error"}))
            await inbox.wait_until(lambda frames: inbox.find(0, answer) is not None,
                                   opts.timeout, "the answer to init")
            if (inbox.find(0, answer) or {}).get("type") == "joined":
                # The room's history follows `joined`; wait for it so output order is stable.
                await inbox.wait_until(lambda frames: inbox.find(0, _history_done) is not None,
                                       opts.timeout, "the room's history after joining")
        acked: set[str] = set()
        for number, text in enumerate(opts.messages, 1):
            client_id, outcome = await _send_one(conn, inbox, opts, text, f"cli-{run}-{number}")
            if not opts.raw and isinstance(outcome, dict) and outcome.get("type") == "ack":
                acked.add(client_id)
        if acked:
            await inbox.wait_until(_own_delivery_missing(acked), opts.timeout,
                                   f"the delivery of {len(acked)} accepted message(s)")
        if not opts.messages:
            await _listen(inbox, opts)
        if opts.linger > 0:
            await asyncio.sleep(opts.linger)
        if inbox.failure is not None and not opts.expectations:
            raise inbox.failure
    finally:
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)
        await conn.close()
    return report_verdicts(check_all(opts.expectations, inbox.frames), inbox.frames, err)


async def _listen(inbox: FrameInbox, opts: SendOptions) -> None:
    """No messages: wait until the expectations hold, or just listen for ``timeout`` seconds."""
    if not opts.expectations:
        await asyncio.sleep(opts.timeout)
        return

    def all_hold(frames: list[Any]) -> bool:
        return all(verdict.ok for verdict in check_all(opts.expectations, frames))

    try:
        await inbox.wait_until(all_hold, opts.timeout, "the expectations")
    except AnswerTimeoutError:
        return  # the verdicts below say which expectation failed


def report_verdicts(verdicts: list[Verdict], frames: list[Any], err: IO[str]) -> int:
    """Print failed expectations on ``err``; 1 if any failed, else 0."""
    failed = [verdict for verdict in verdicts if not verdict.ok]
    for verdict in failed:
        err.write(f"chat-client: {verdict.message()}\n")
    if failed:
        seen = collections.Counter(
            str(frame.get("type", "?")) if isinstance(frame, dict) else "non-object"
            for frame in frames
        )
        summary = ", ".join(f"{kind} {n}" for kind, n in seen.items()) or "none"
        err.write(f"chat-client: {len(failed)} of {len(verdicts)} expectation(s) failed"
                  f" (frames that arrived: {summary})\n")
    return 1 if failed else 0
