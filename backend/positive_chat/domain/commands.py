"""Commands: parsed and validated frames (protocol/frames_in.py makes them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from positive_chat.domain.model import Decision

__all__ = [
    "AuditCommand",
    "DecideCommand",
    "HistoryCommand",
    "JoinCommand",
    "LeaveCommand",
    "ModAuthCommand",
    "MuteCommand",
    "PingCommand",
    "PostCommand",
    "QueueCommand",
]


# --- Commands (parsed and validated frames) ---------------------------------------------------


@dataclass(frozen=True)
class JoinCommand:
    """``init``: join (or switch to) a room."""

    room: str
    lang: str
    version: int = 1
    user: str | None = None
    after: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class PostCommand:
    """``message``: post text to the joined room (``user`` only matters for v1's first post).

    ``received_at`` (the gateway's request time, epoch ms) and ``seq`` (the connection's frame
    number) come from the event and the rate limiter, never from the frame; they order the
    sender's messages as sent (docs/reliability.md, "Ordering")."""

    content: str
    user: str | None = None
    client_id: str | None = None
    received_at: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class HistoryCommand:
    """``history``: page older messages."""

    before: str
    limit: int
    client_id: str | None = None


@dataclass(frozen=True)
class LeaveCommand:
    """``leave``: leave the room, keep the socket."""

    client_id: str | None = None


@dataclass(frozen=True)
class PingCommand:
    """``ping``: app-level heartbeat."""

    client_id: str | None = None


@dataclass(frozen=True)
class ModAuthCommand:
    """``mod.auth``: sign in as a moderator (``source_ip`` comes from the event, not the frame)."""

    secret: str = field(repr=False)  # never in a repr, so never in a log line
    name: str
    source_ip: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class QueueCommand:
    """``mod.queue``: a page of the review queue, oldest first."""

    room: str | None
    after: str | None
    limit: int
    client_id: str | None = None


@dataclass(frozen=True)
class DecideCommand:
    """``mod.approve`` / ``mod.reject`` / ``mod.delete``."""

    decision: Decision
    room: str
    message_id: str
    reason: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class MuteCommand:
    """``mod.mute``: refuse ``user``'s posts in ``room`` for ``minutes`` (0 lifts the mute)."""

    room: str
    user: str
    minutes: int
    reason: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class AuditCommand:
    """``mod.audit``: a page of the audit trail, newest first."""

    after: str | None
    limit: int
    client_id: str | None = None
