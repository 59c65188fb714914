"""Presence: who is in a room ("Here now"), told to the room as people join and leave.

A reader found gone while being told (@connections 410) is pruned: its connection is deleted
and the others hear it left (a few rounds at most).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Literal

from positive_chat.config import MODERATORS_ROOM
from positive_chat.domain.events import Event, Notice, Presence
from positive_chat.domain.model import Connection
from positive_chat.domain.notices import Notices
from positive_chat.domain.ports import Clock, ConnectionRepository, MetricsSink, Outbox

__all__ = ["RoomPresence", "members"]

logger = logging.getLogger(__name__)

_MAX_PRUNE_DEPTH = 2  # each round can find more gone readers; stop the cascade here


def members(connections: Iterable[Connection]) -> list[tuple[str, str]]:
    """(user, lang) of the named connections, sorted by name (one entry per connection)."""
    return sorted(((c.user, c.lang) for c in connections if c.user), key=lambda m: m[0].casefold())


class RoomPresence:
    """Tells rooms who joined and who left; prunes readers that are gone."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        notices: Notices,
        metrics: MetricsSink,
        clock: Clock,
    ) -> None:
        self._connections = connections
        self._notices = notices
        self._metrics = metrics
        self._clock = clock

    def announce(
        self,
        outbox: Outbox,
        room: str,
        event: Literal["join", "leave"],
        user: str,
        *,
        exclude: str,
    ) -> None:
        """Tell everyone in ``room`` but ``exclude`` that ``user`` joined or left."""
        if room == MODERATORS_ROOM:  # moderator connections are not a chat room: no presence
            return
        readers = [c for c in self._connections.in_room(room) if c.connection_id != exclude]
        self.broadcast(outbox, room, event, user, readers=readers, present=members(readers))

    def broadcast(
        self,
        outbox: Outbox,
        room: str,
        event: Literal["join", "leave"],
        user: str,
        *,
        readers: Sequence[Connection],
        present: Sequence[tuple[str, str]],
        depth: int = 0,
    ) -> None:
        """Send a presence change (with ``present``, the room's members) to ``readers``."""
        if not readers:
            return
        now = self._clock.now_ms()
        phrases = {
            lang: self._notices.get("joined" if event == "join" else "left", lang)
            for lang in {r.lang for r in readers if r.version == 1}
        }

        def events_for(reader: Connection) -> Sequence[Event]:
            phrase = phrases.get(reader.lang)
            notice = Notice(f"{user} {phrase.text}", phrase.lang) if phrase else None
            return [Presence(room, event, user, present, notice, now)]

        gone = outbox.broadcast(readers, events_for)
        self.prune(outbox, room, gone, readers, depth=depth)

    def prune(
        self,
        outbox: Outbox,
        room: str,
        gone: Sequence[Connection],
        readers: Sequence[Connection],
        *,
        depth: int = 0,
    ) -> None:
        """Delete connections that are gone (410) and tell the others who left."""
        if not gone:
            return
        for connection in gone:
            self._connections.delete(connection.connection_id)
        self._metrics.count("StaleConnectionsPruned", len(gone))
        logger.info("pruned stale connections", extra={"room": room, "count": len(gone)})
        if depth >= _MAX_PRUNE_DEPTH:
            return
        gone_ids = {c.connection_id for c in gone}
        remaining = [r for r in readers if r.connection_id not in gone_ids]
        present = members(remaining)
        for connection in gone:
            if connection.user and remaining:
                self.broadcast(
                    outbox,
                    room,
                    "leave",
                    connection.user,
                    readers=remaining,
                    present=present,
                    depth=depth + 1,
                )
