"""Moderator commands for the interactive client, and how review.* frames are shown.

``/mod-login`` opens a second WebSocket to the same URL and signs it in with ``mod.auth`` (a
moderator connection is in no chat room, so the chat keeps its own connection). The secret is
read from a prompt without echo (``getpass``) or from a file named on the line: never from the
command line of the program, so it stays out of shell history and ``ps``. Review frames from the
moderator connection are shown with the chat's frames. Importing this module registers the
commands in :data:`~chat_client.interactive.COMMANDS` and the formatters in
:data:`~chat_client.display.FORMATTERS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chat_client.connection import ChatConnection, open_connection
from chat_client.display import FORMATTERS, Palette, format_frame, safe_text
from chat_client.errors import ChatClientError
from chat_client.interactive import COMMANDS, Session

__all__ = ["ModeratorState", "read_secret", "state_of"]

SECRET_MAX_CHARS = 1024


@dataclass
class ModeratorState:
    """The moderator connection of one interactive session."""

    url: str
    conn: ChatConnection | None = None
    reader: asyncio.Task[None] | None = None
    rooms: dict[str, str] = field(default_factory=dict)  # messageId -> room, from frames seen

    def remember(self, frame: Any) -> None:
        """Learn which room each message id belongs to (for /approve ID without a room)."""
        if not isinstance(frame, Mapping):
            return
        items: list[Any] = []
        if frame.get("type") == "review.flagged":
            items = [frame.get("item")]
        elif frame.get("type") == "review.queue":
            items = list(frame.get("items") or [])
        elif frame.get("type") in ("message", "history"):
            items = [frame] if frame.get("type") == "message" else list(frame.get("messages") or [])
        for item in items:
            if isinstance(item, Mapping) and item.get("messageId") and item.get("room"):
                self.rooms[str(item["messageId"])] = str(item["room"])

    async def close(self) -> None:
        """Stop showing review frames and close the moderator connection."""
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, ChatClientError):
                await self.reader
        if self.conn is not None:
            await self.conn.close()
        self.conn = self.reader = None


_STATES: dict[int, ModeratorState] = {}


def state_of(session: Session) -> ModeratorState:
    """The moderator state of ``session`` (created on first use)."""
    state = _STATES.get(id(session))
    if state is None:
        state = _STATES[id(session)] = ModeratorState(url=session.conn.url)
    return state


def read_secret(arg: str, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The secret from the file named in ``arg``, else from a prompt that does not echo."""
    path = arg.strip()
    if path:
        try:
            secret = Path(path).expanduser().read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"cannot read the secret file: {err.__class__.__name__}") from err
    else:
        secret = prompt("moderator secret: ")
    if not secret or len(secret) > SECRET_MAX_CHARS:
        raise ValueError(f"the secret must be 1-{SECRET_MAX_CHARS} characters")
    return secret


async def _show_review(session: Session, state: ModeratorState) -> None:
    assert state.conn is not None
    while True:
        frame = await state.conn.recv()
        state.remember(frame)
        if state.conn.is_heartbeat(frame):
            continue
        session.say(format_frame(frame, session.palette))


async def _moderator(session: Session) -> ModeratorState | None:
    state = state_of(session)
    if state.conn is None:
        session.say(session.palette.error("✗ not signed in as a moderator; use /mod-login first"))
        return None
    return state


@COMMANDS.command("mod-login", "/mod-login [FILE]", "sign in as a moderator (asks the secret)")
async def _mod_login(session: Session, arg: str) -> bool:
    try:
        secret = await asyncio.get_running_loop().run_in_executor(None, read_secret, arg)
    except (ValueError, EOFError) as err:
        session.say(session.palette.error(f"✗ {safe_text(str(err) or 'no secret given')}"))
        return True
    state = state_of(session)
    await state.close()
    state.conn = await open_connection(state.url)
    state.reader = asyncio.create_task(_show_review(session, state))
    await state.conn.send(
        {"action": "mod.auth", "secret": secret, "name": session.name, "id": session.next_id("a")}
    )
    return True


@COMMANDS.command("queue", "/queue [ROOM]", "list messages awaiting review (oldest first)")
async def _queue(session: Session, arg: str) -> bool:
    if (state := await _moderator(session)) is None or state.conn is None:
        return True
    frame: dict[str, Any] = {"action": "mod.queue", "id": session.next_id("q")}
    if arg.strip():
        frame["room"] = arg.strip()
    await state.conn.send(frame)
    return True


def _decision(action: str) -> Callable[[Session, str], Any]:
    async def run(session: Session, arg: str) -> bool:
        if (state := await _moderator(session)) is None or state.conn is None:
            return True
        message_id, _, reason = arg.strip().partition(" ")
        if not message_id:
            session.say(session.palette.error(f"✗ usage: /{action} ID [REASON]"))
            return True
        frame: dict[str, Any] = {
            "action": f"mod.{action}",
            "room": state.rooms.get(message_id, session.room),
            "messageId": message_id,
            "id": session.next_id("d"),
        }
        if reason.strip():
            frame["reason"] = reason.strip()
        await state.conn.send(frame)
        return True

    return run


for _action, _help in (
    ("approve", "publish a flagged message to its room"),
    ("reject", "confirm a rejection (the message stays hidden)"),
    ("delete", "delete a published message"),
):
    COMMANDS.command(_action, f"/{_action} ID [REASON]", _help)(_decision(_action))


@COMMANDS.command("mute", "/mute USER MINUTES", "mute USER in this room (0 lifts the mute)")
async def _mute(session: Session, arg: str) -> bool:
    if (state := await _moderator(session)) is None or state.conn is None:
        return True
    user, _, minutes = arg.strip().rpartition(" ")
    if not user.strip() or not minutes.isdigit():
        session.say(session.palette.error("✗ usage: /mute USER MINUTES"))
        return True
    await state.conn.send(
        {
            "action": "mod.mute",
            "room": session.room,
            "user": user.strip(),
            "minutes": int(minutes),
            "id": session.next_id("u"),
        }
    )
    return True


@COMMANDS.command("audit", "/audit", "show the moderation audit log (newest first)")
async def _audit(session: Session, _arg: str) -> bool:
    if (state := await _moderator(session)) is None or state.conn is None:
        return True
    await state.conn.send({"action": "mod.audit", "id": session.next_id("au")})
    return True


# --- formatters ---------------------------------------------------------------------------------


def _mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (frames come from the network)."""
    return value if isinstance(value, Mapping) else {}


def _item_line(item: Mapping[str, Any], palette: Palette) -> str:
    scores = _mapping(item.get("scores"))
    negative = scores.get("Negative") if scores else None
    score = f" {negative:.2f}" if isinstance(negative, int | float) else ""
    return (
        f"  {safe_text(item.get('messageId', '?'))} "
        f"{palette.dim('#' + safe_text(item.get('room', '?')))} "
        f"{palette.author(safe_text(item.get('user', '?')))} "
        f"[{safe_text(item.get('status', '?'))}: {safe_text(item.get('flagReason', '?'))}{score}]"
        f": {safe_text(item.get('content', ''))}"
    )


def _authenticated(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.good(f"* signed in as moderator {safe_text(frame.get('moderator', '?'))}")


def _queue_frame(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    counts = _mapping(frame.get("counts"))
    items = [i for i in frame.get("items") or [] if isinstance(i, Mapping)]
    more = " (more: /queue again after deciding)" if frame.get("hasMore") else ""
    head = palette.notice(
        f"── review queue: {safe_text(counts.get('pending', len(items)))} pending"
        f" ({safe_text(counts.get('rejected', 0))} rejected, {safe_text(counts.get('held', 0))}"
        f" held){more} ──"
    )
    return "\n".join([head, *(_item_line(i, palette) for i in items)])


def _flagged(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    item = _mapping(frame.get("item"))
    return palette.mark("⚑ flagged:") + "\n" + _item_line(item, palette)


def _entry_line(entry: Mapping[str, Any], palette: Palette) -> str:
    target = entry.get("messageId") or entry.get("user") or ""
    reason = f" — {safe_text(entry['reason'])}" if entry.get("reason") else ""
    return (
        f"{safe_text(entry.get('moderator', '?'))} {safe_text(entry.get('action', '?'))}"
        f" {safe_text(target)}"
        f"{' in ' + safe_text(entry['room']) if entry.get('room') else ''}{reason}"
    )


def _resolved(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    entry = _mapping(frame.get("entry"))
    return palette.good(f"✓ {_entry_line(entry, palette)}")


def _audit_frame(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    entries = [e for e in frame.get("entries") or [] if isinstance(e, Mapping)]
    head = palette.dim(f"── audit: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} ──")
    return "\n".join([head, *(f"  {_entry_line(e, palette)}" for e in entries)])


def _decided(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.notice(
        f"* a moderator {safe_text(frame.get('decision', '?'))} your message"
        f" {safe_text(frame.get('messageId', '?'))}"
    )


def _deleted(frame: Mapping[str, Any], palette: Palette, _now: float | None) -> str:
    return palette.dim(f"* message {safe_text(frame.get('messageId', '?'))} was deleted")


FORMATTERS.update(
    {
        "review.authenticated": _authenticated,
        "review.queue": _queue_frame,
        "review.flagged": _flagged,
        "review.resolved": _resolved,
        "review.audit": _audit_frame,
        "review.decided": _decided,
        "deleted": _deleted,
    }
)
