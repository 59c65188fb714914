"""Presence: who is in a room ("Here now"), told to the room as people join and leave.

A presence frame lists at most ``PRESENCE_MAX_MEMBERS`` members and always the total (``count``).
Joins and leaves are told to the room only while it has at most ``PRESENCE_BROADCAST_MAX``
readers: above that the room is large, and telling everyone of every join would cost N posts per
join (N² for N joins); a joiner still gets its snapshot (docs/protocol.md, "presence").

A reader found gone while being told (@connections 410) is pruned: its connection is deleted
and, in a room that is not large, the others hear it left (a few rounds at most).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from positive_chat.config import MODERATORS_ROOM, PRESENCE_BROADCAST_MAX, PRESENCE_MAX_MEMBERS
from positive_chat.domain.events import Event, Notice, Presence
from positive_chat.domain.model import Connection
from positive_chat.domain.notices import Notices
from positive_chat.domain.ports import Clock, ConnectionRepository, MetricsSink, Outbox

__all__ = ["RoomPresence", "Roster", "is_large", "roster"]

logger = logging.getLogger(__name__)

_MAX_PRUNE_DEPTH = 2  # each round can find more gone readers; stop the cascade here


@dataclass(frozen=True)
class Roster:
    """What a presence frame says: the members it lists, and how many there are in all."""

    members: tuple[tuple[str, str], ...]  # (user, lang), sorted by name, capped
    count: int  # named connections in the room


def roster(connections: Iterable[Connection], *, first: Connection | None = None) -> Roster:
    """The named connections, sorted by name, at most ``PRESENCE_MAX_MEMBERS`` of them.

    ``first`` (the joiner, one of ``connections``) is always listed, in its place by name: the
    first ``PRESENCE_MAX_MEMBERS - 1`` others by name make room for it when the list is cut.
    """
    named = sorted(
        ((c.connection_id, c.user, c.lang) for c in connections if c.user),
        key=lambda m: m[1].casefold(),
    )
    listed = named[:PRESENCE_MAX_MEMBERS]
    if first is not None and first.user and len(named) > PRESENCE_MAX_MEMBERS:
        me = [m for m in named if m[0] == first.connection_id]
        if me and me[0] not in listed:
            others = [m for m in named if m[0] != first.connection_id]
            listed = sorted(
                [*me[:1], *others[: PRESENCE_MAX_MEMBERS - 1]], key=lambda m: m[1].casefold()
            )
    return Roster(tuple((user, lang) for _, user, lang in listed), len(named))


def is_large(readers: int) -> bool:
    """True for a room of ``readers`` readers that hears no joins and leaves."""
    return readers > PRESENCE_BROADCAST_MAX


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
        """Tell everyone in ``room`` but ``exclude`` that ``user`` joined or left.

        ``exclude`` is the connection that joined or left; a joiner is listed in the frame.
        """
        if room == MODERATORS_ROOM:  # moderator connections are not a chat room: no presence
            return
        everyone = self._connections.in_room(room)
        readers = [c for c in everyone if c.connection_id != exclude]
        joiner = next((c for c in everyone if c.connection_id == exclude), None)
        if event == "join" and joiner is not None:
            present = roster(everyone, first=joiner)
        else:
            present = roster(readers)
        self.broadcast(outbox, room, event, user, readers=readers, present=present)

    def broadcast(
        self,
        outbox: Outbox,
        room: str,
        event: Literal["join", "leave"],
        user: str,
        *,
        readers: Sequence[Connection],
        present: Roster,
        depth: int = 0,
    ) -> None:
        """Send a presence change (with ``present``, the room's members) to ``readers``, the
        whole room but the joiner, unless the room is large (then nobody is told)."""
        if not readers or is_large(len(readers) + (1 if event == "join" else 0)):
            return
        now = self._clock.now_ms()
        phrases = {
            lang: self._notices.get("joined" if event == "join" else "left", lang)
            for lang in {r.lang for r in readers if r.version == 1}
        }

        def events_for(reader: Connection) -> Sequence[Event]:
            phrase = phrases.get(reader.lang)
            notice = Notice(f"{user} {phrase.text}", phrase.lang) if phrase else None
            return [
                Presence(room, event, user, present.members, notice, now, count=present.count)
            ]

        gone = outbox.broadcast(readers, events_for)
        self.prune(outbox, room, gone, readers, depth=depth)

    def prune(
        self,
        outbox: Outbox,
        room: str,
        gone: Sequence[Connection],
        readers: Sequence[Connection],
        *,
        room_readers: int | None = None,
        depth: int = 0,
    ) -> None:
        """Delete connections that are gone (410); in a room that is not large, tell the others
        (``readers``, the whole room) who left.

        ``room_readers``: the room's size when ``readers`` is only a part of it (a delivery
        shard); a part's member list would be wrong, so nobody is told then.
        """
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
        if room_readers is not None and room_readers != len(readers):
            return  # a part of the room: its member list would be wrong
        if is_large(len(remaining)):
            return  # a large room hears no leaves (its readers learn on their next join)
        present = roster(remaining)
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
