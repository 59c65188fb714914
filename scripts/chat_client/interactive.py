"""The ``interactive`` command: a terminal chat. Type a line to send it; lines starting with ``/``
are commands (``/help`` lists them); incoming frames are shown as they arrive.

Commands live in :data:`COMMANDS`, a table other features extend without touching this loop:
the moderation feature registers its sign-in and review commands with ``COMMANDS.add(...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from chat_client.connection import ChatConnection, open_connection
from chat_client.display import Palette, format_frame, member_list, safe_text
from chat_client.errors import ChatClientError
from chat_client.languages import language_codes

__all__ = [
    "COMMANDS", "Command", "CommandTable", "InteractiveOptions", "LiveOrder", "Session",
    "run_interactive",
]

HISTORY_PAGE = 50
EOF_GRACE = 2.0  # seconds to keep showing frames after piped input ends
JOIN_WAIT = 10.0  # seconds a typed message waits for the join in flight
# A connection's frames run concurrently on the server, so live messages can arrive out of id
# order: each waits this long for earlier ones still in flight, then they are shown in id order.
REORDER_WINDOW = 0.3


class LiveOrder:
    """Live ``message`` frames shown in message-id order (the order history has), never in
    arrival order: each is held ``window`` seconds for earlier messages still in flight. One
    that arrives after a later message was shown is shown at once, marked as earlier."""

    def __init__(self, window: float = REORDER_WINDOW) -> None:
        self.window = window
        self._held: list[tuple[str, float, dict[str, Any]]] = []  # (id, arrived, frame), by id
        self._shown: str | None = None  # the newest id shown

    def add(self, frame: dict[str, Any], now: float) -> None:
        """Hold a message frame (sorted in by id)."""
        entry = (str(frame.get("messageId", "")), now, frame)
        index = len(self._held)
        while index > 0 and self._held[index - 1][0] > entry[0]:
            index -= 1
        self._held.insert(index, entry)

    def wait(self, now: float) -> float | None:
        """Seconds until the next frame is due (None: nothing held)."""
        if not self._held:
            return None
        return max(0.0, min(arrived for _, arrived, _ in self._held) + self.window - now)

    def due(self, now: float, *, everything: bool = False) -> list[tuple[dict[str, Any], bool]]:
        """Frames to show now, in id order, each with True if a later id was already shown:
        every held frame up to the last one whose wait is over (or all of them)."""
        ripe = [i for i, (_, arrived, _) in enumerate(self._held) if arrived + self.window <= now]
        upto = len(self._held) if everything else (ripe[-1] + 1 if ripe else 0)
        out = []
        for message_id, _, frame in self._held[:upto]:
            late = self._shown is not None and message_id < self._shown
            if not late:
                self._shown = message_id
            out.append((frame, late))
        del self._held[:upto]
        return out


@dataclass(frozen=True)
class InteractiveOptions:
    """What ``interactive`` was asked to do."""

    url: str
    room: str
    name: str
    lang: str
    colour: bool = False
    open_timeout: float = 10.0
    heartbeat: float | None = 270.0


@dataclass
class Session:
    """The state of one interactive chat: the connection and what the user has seen."""

    conn: ChatConnection
    room: str
    name: str
    lang: str
    out: IO[str]
    palette: Palette = field(default_factory=Palette)
    members: list[dict[str, Any]] = field(default_factory=list)
    member_count: int | None = None  # the room's members in all (the list may be capped)
    oldest_id: str | None = None
    has_more: bool = True
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 1 << 62)))
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    # API Gateway runs a connection's frames concurrently, so a message typed while a join is
    # in flight could overtake it: messages wait until the latest init is answered.
    join_id: str | None = None
    join_answered: asyncio.Event = field(default_factory=asyncio.Event)
    pending: set[str] = field(default_factory=set)  # messages still waiting for their outcome
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    def next_id(self, kind: str) -> str:
        """A fresh client id, e.g. ``m-3f9a1c-12``."""
        return f"{kind}-{self.run}-{next(self._ids)}"

    def say(self, text: str) -> None:
        """Print a line of the client's own (already safe) text."""
        self.out.write(text + "\n")
        self.out.flush()

    async def join(self, room: str, lang: str) -> None:
        """Join (or switch to) ``room`` in ``lang``; the server's frames confirm it."""
        self.join_id = self.next_id("j")
        self.join_answered.clear()
        await self.conn.send({"action": "init", "v": 2, "room": room, "lang": lang,
                              "user": self.name, "id": self.join_id})

    async def send_message(self, text: str, *, wait: float = JOIN_WAIT) -> None:
        """Send a message once the latest join is answered (or ``wait`` seconds have passed)."""
        if self.join_id is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.join_answered.wait(), wait)
        message_id = self.next_id("m")
        self.pending.add(message_id)
        self.settled.clear()
        await self.conn.send({"action": "message", "content": text, "id": message_id})

    def observe(self, frame: Any) -> None:
        """Keep what the commands need (room, members, oldest message) from a frame."""
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        frame_id = frame.get("id")
        if frame_id is not None and frame_id == self.join_id and kind in ("joined", "error"):
            self.join_answered.set()
        if kind in ("ack", "rejected", "held", "error") and frame_id in self.pending:
            self.pending.discard(frame_id)
            if not self.pending:
                self.settled.set()
        if kind == "joined":
            room = frame.get("room", self.room)
            if room != self.room:
                self.oldest_id, self.has_more, self.members = None, True, []
                self.member_count = None
            self.room, self.lang = room, frame.get("lang", self.lang)
            self.name = frame.get("user", self.name)
        elif kind == "presence" and isinstance(frame.get("members"), list):
            self.members = [m for m in frame["members"] if isinstance(m, dict)]
            count = frame.get("count")
            counted = isinstance(count, int) and not isinstance(count, bool) and count >= 0
            self.member_count = count if counted else None
        elif kind == "history" and frame.get("mode") in ("latest", "before"):
            messages = [m for m in frame.get("messages") or [] if isinstance(m, dict)]
            if messages and messages[0].get("messageId"):
                self.oldest_id = str(messages[0]["messageId"])
            self.has_more = bool(frame.get("hasMore"))
        elif kind == "message" and self.oldest_id is None and frame.get("messageId"):
            self.oldest_id = str(frame["messageId"])


CommandHandler = Callable[[Session, str], Awaitable[bool]]


@dataclass(frozen=True)
class Command:
    """A slash command: its handler returns False to end the session."""

    name: str
    usage: str
    help: str
    run: CommandHandler


class CommandTable:
    """Slash commands by name; features add theirs with :meth:`add` or :meth:`command`."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        """Register a command; a name can be registered once."""
        if command.name in self._commands:
            raise ValueError(f"/{command.name} is already a command")
        self._commands[command.name] = command

    def command(
        self, name: str, usage: str, help: str
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Decorator form of :meth:`add`."""
        def register(run: CommandHandler) -> CommandHandler:
            self.add(Command(name, usage, help, run))
            return run

        return register

    def get(self, name: str) -> Command | None:
        """The command called ``name``, if any."""
        return self._commands.get(name)

    def help_text(self) -> str:
        """One line per command, and how to send a line that starts with ``/``."""
        width = max(len(c.usage) for c in self._commands.values())
        lines = [f"  {c.usage:<{width}}  {c.help}" for c in self._commands.values()]
        lines.append(f"  {'//text':<{width}}  send a message that starts with '/'")
        return "commands:\n" + "\n".join(lines)


COMMANDS = CommandTable()


@COMMANDS.command("help", "/help", "show these commands")
async def _help(session: Session, _arg: str) -> bool:
    session.say(COMMANDS.help_text())
    return True


@COMMANDS.command("history", "/history", "load older messages")
async def _history(session: Session, _arg: str) -> bool:
    if session.oldest_id is None:
        session.say(session.palette.dim("* no messages yet"))
        return True
    if not session.has_more:
        session.say(session.palette.dim("* no older messages"))
        return True
    await session.conn.send({"action": "history", "before": session.oldest_id,
                             "limit": HISTORY_PAGE, "id": session.next_id("h")})
    return True


@COMMANDS.command("who", "/who", "who is in the room")
async def _who(session: Session, _arg: str) -> bool:
    room = safe_text(session.room)
    if session.member_count is not None:
        room += f" ({session.member_count:,})"
    names = member_list(session.members, session.member_count) if session.members else ""
    session.say(session.palette.notice(f"* in {room}: {names or 'nobody yet'}"))
    return True


@COMMANDS.command("lang", "/lang CODE", "read the room in another language (e.g. /lang fr)")
async def _lang(session: Session, arg: str) -> bool:
    code = arg.strip()
    if code not in language_codes():
        session.say(session.palette.error(
            f"✗ usage: /lang CODE, one of {', '.join(sorted(language_codes()))}"))
        return True
    await session.join(session.room, code)
    return True


@COMMANDS.command("room", "/room NAME", "switch to another room")
async def _room(session: Session, arg: str) -> bool:
    name = arg.strip()
    if not name:
        session.say(session.palette.error("✗ usage: /room NAME"))
        return True
    await session.join(name, session.lang)
    return True


@COMMANDS.command("quit", "/quit", "leave and exit")
async def _quit(_session: Session, _arg: str) -> bool:
    return False


async def handle_line(session: Session, line: str) -> bool:
    """Act on one typed line; False when the session should end."""
    line = line.rstrip("\r\n")
    if line.startswith("/") and not line.startswith("//"):
        name, _, arg = line[1:].partition(" ")
        command = COMMANDS.get(name.lower())
        if command is None:
            session.say(session.palette.error(f"✗ unknown command /{safe_text(name)}; try /help"))
            return True
        return await command.run(session, arg)
    if line.startswith("//"):
        line = line[1:]
    if line.strip():
        await session.send_message(line)
    return True


def _read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None],
                stream: IO[str]) -> None:
    """Feed stdin lines to the loop from a daemon thread (works for TTYs, pipes and files)."""
    for line in stream:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def _type(session: Session, stream: IO[str]) -> bool:
    """Handle typed lines; True when input ended (EOF), False on /quit."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    threading.Thread(target=_read_lines, args=(loop, queue, stream), daemon=True).start()
    while (line := await queue.get()) is not None:
        if not await handle_line(session, line):
            return False
    return True


async def _show(session: Session) -> None:
    loop = asyncio.get_running_loop()
    order = LiveOrder()

    def show_due(*, everything: bool = False) -> None:
        for held, late in order.due(loop.time(), everything=everything):
            line = format_frame(held, session.palette)
            session.say(line + session.palette.dim("  (sent earlier)") if late else line)

    receive: asyncio.Future[Any] | None = None
    try:
        while True:
            if receive is None:
                receive = asyncio.ensure_future(session.conn.recv())
            done, _ = await asyncio.wait({receive}, timeout=order.wait(loop.time()))
            show_due()
            if not done:
                continue
            frame, receive = receive.result(), None
            session.observe(frame)
            if session.conn.is_heartbeat(frame) or (isinstance(frame, dict)
                                                     and frame.get("type") == "ack"):
                continue  # the heartbeat is invisible; a sent message shows when it is delivered
            if isinstance(frame, dict) and frame.get("type") == "message":
                order.add(frame, loop.time())
                continue
            if isinstance(frame, dict) and frame.get("type") in ("joined", "history"):
                show_due(everything=True)  # a new room or page: the held messages come first
            session.say(format_frame(frame, session.palette))
    finally:
        show_due(everything=True)
        if receive is not None:
            receive.cancel()


async def run_interactive(
    opts: InteractiveOptions, stdin: IO[str] = sys.stdin, out: IO[str] = sys.stdout
) -> int:
    """Run the terminal chat until /quit, end of input, or the connection is lost."""
    conn = await open_connection(opts.url, open_timeout=opts.open_timeout,
                                 heartbeat_interval=opts.heartbeat)
    session = Session(conn, opts.room, opts.name, opts.lang, out, Palette(opts.colour))
    session.say(session.palette.dim(f"* connected to {safe_text(opts.url)} — /help for commands"))
    shower = asyncio.create_task(_show(session))
    typer: asyncio.Task[bool] = asyncio.create_task(_type(session, stdin))
    try:
        await session.join(opts.room, opts.lang)
        await asyncio.wait({shower, typer}, return_when=asyncio.FIRST_COMPLETED)
        if not shower.done():
            if typer.result():
                # Input ended (a pipe or a file): show what answers the last lines.
                await asyncio.wait({shower}, timeout=EOF_GRACE)
            elif session.pending:
                # /quit: show the outcome of messages still in flight (rejected, held...).
                settled = asyncio.create_task(session.settled.wait())
                await asyncio.wait({shower, settled}, timeout=EOF_GRACE,
                                   return_when=asyncio.FIRST_COMPLETED)
                settled.cancel()
        if shower.done() and (error := shower.exception()) is not None:
            raise error
    finally:
        for task in (shower, typer):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ChatClientError):
            await asyncio.gather(shower, typer, return_exceptions=True)
        await conn.close()
        await moderation.state_of(session).close()  # the /mod-login connection, if any
    return 0


# Registers /mod-login, /queue, /approve... and the review.* formatters (imports COMMANDS above).
from chat_client import moderation  # noqa: E402
