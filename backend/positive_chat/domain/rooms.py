"""Rooms: joining (or switching) a room, history, leaving, the heartbeat, a v1 name binding.

A join answers the joiner with its room's history, presence and topics, and tells the room; a
connection's name, once bound, stays (later init frames cannot rename it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from positive_chat.config import (
    CONNECTION_TTL_SECONDS,
    HISTORY_PAGE,
    MODERATORS_ROOM,
    TOP_TOPICS,
    V1_NAME_SETTLE_MS,
)
from positive_chat.domain.commands import (
    HistoryCommand,
    JoinCommand,
    LeaveCommand,
    PingCommand,
    PostCommand,
)
from positive_chat.domain.errors import (
    ConnectionGoneError,
    NotJoinedError,
    ServiceUnavailableError,
)
from positive_chat.domain.events import HistoryPage, Joined, Left, Pong, Presence, RoomTopics
from positive_chat.domain.model import Connection, order_key
from positive_chat.domain.ports import (
    Clock,
    ConnectionRepository,
    MessageRepository,
    MetricsSink,
    Outbox,
    TopicRepository,
)
from positive_chat.domain.posting import order_of
from positive_chat.domain.presence import RoomPresence, roster
from positive_chat.domain.room_names import RoomNames
from positive_chat.domain.translation import Translations

__all__ = ["Rooms"]

logger = logging.getLogger(__name__)

_JOIN_FIRST = "join a room first (send init)"


class Rooms:
    """Who is in which room, under which name (built once per execution environment)."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        messages: MessageRepository,
        topics: TopicRepository,
        translations: Translations,
        presence: RoomPresence,
        metrics: MetricsSink,
        clock: Clock,
        names: RoomNames | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._connections = connections
        self._names = names  # None: names are not kept unique (no claims table)
        self._messages = messages
        self._topics = topics
        self._translations = translations
        self._presence = presence
        self._metrics = metrics
        self._clock = clock
        self._sleep = sleep  # waits for a v1 name binding to settle

    # Connections ---------------------------------------------------------------------------

    def connection(self, connection_id: str) -> Connection | None:
        """The stored state of a connection (None if it never joined)."""
        return self._connections.get(connection_id)

    def joined(self, connection_id: str) -> Connection:
        """The connection, which must have joined a room; else NotJoinedError."""
        connection = self._connections.get(connection_id)
        if connection is None or connection.room is None:
            raise NotJoinedError(_JOIN_FIRST)
        if connection.room == MODERATORS_ROOM:
            raise NotJoinedError("a moderator connection is in no chat room; chat from another")
        return connection

    def disconnect(self, outbox: Outbox, connection_id: str) -> None:
        """Forget a closed connection and tell its room who left."""
        previous = self._connections.delete(connection_id)
        if previous is not None and previous.room is not None and previous.user:
            self._release(previous.room, previous.user, connection_id)
            self._presence.announce(
                outbox, previous.room, "leave", previous.user, exclude=connection_id
            )

    # Use cases -----------------------------------------------------------------------------

    def join(self, outbox: Outbox, connection_id: str, command: JoinCommand) -> None:
        """Join (or switch to) a room: store, answer with history/presence/topics, tell the room."""
        self._claim_name(outbox, connection_id, command)
        now = self._clock.now_ms()
        wanted = Connection(
            connection_id=connection_id,
            room=command.room,
            user=command.user,
            lang=command.lang,
            version=command.version,
            connected_at=now,
        )
        previous = self._connections.join(wanted, ttl=now // 1000 + CONNECTION_TTL_SECONDS)
        me = wanted
        if previous is not None:
            # A name, once bound, stays: later init frames cannot rename the connection.
            me = replace(
                wanted,
                user=previous.user or command.user,
                role=previous.role,
                connected_at=previous.connected_at or now,
            )
            if previous.room is not None and previous.room != command.room and previous.user:
                self._release(previous.room, previous.user, connection_id)
                self._presence.announce(
                    outbox, previous.room, "leave", previous.user, exclude=connection_id
                )
        switching = previous is None or previous.room != command.room
        others = [
            c for c in self._connections.in_room(command.room) if c.connection_id != connection_id
        ]
        if not self._answer_joiner(outbox, me, command, others, now):
            return
        if switching and me.user:
            self._presence.broadcast(
                outbox,
                command.room,
                "join",
                me.user,
                readers=others,
                present=roster([me, *others], first=me),
            )

    def _claim_name(self, outbox: Outbox, connection_id: str, command: JoinCommand) -> None:
        """Hold the joiner's name in the room before anything is stored (NAME_TAKEN if held).

        The name is the one the connection keeps: its bound name, else the init's ``user``.
        A v1 init names no one (its name comes with its first message): nothing to claim.
        """
        if self._names is None or command.user is None or command.room == MODERATORS_ROOM:
            return
        current = self._connections.get(connection_id)
        user = current.user if current is not None and current.user else command.user
        self._names.claim(outbox, command.room, user, connection_id)

    def _release(self, room: str, user: str, connection_id: str) -> None:
        """Best effort: a claim left behind is taken over once its holder is gone."""
        if self._names is None:
            return
        try:
            self._names.release(room, user, connection_id)
        except ServiceUnavailableError:
            logger.warning("name claim not released", extra={"room": room})

    def _answer_joiner(
        self,
        outbox: Outbox,
        me: Connection,
        command: JoinCommand,
        others: list[Connection],
        now: int,
    ) -> bool:
        """Send the joiner its room: joined, history, presence, topics (False: it is gone)."""
        if command.after is not None:
            page = self._messages.after(command.room, command.after, HISTORY_PAGE)
            mode = "after"
        else:
            page = self._messages.latest(command.room, HISTORY_PAGE)
            mode = "latest"
        readings = self._translations.readings(page.messages, me.lang)
        top = self._topics.top(command.room, TOP_TOPICS)
        present = roster([me, *others], first=me)
        try:
            outbox.send(
                me,
                [
                    Joined(command.room, me.user, me.lang, command.client_id),
                    HistoryPage(command.room, mode, readings, page.has_more, command.client_id),  # type: ignore[arg-type]
                    Presence(
                        command.room,
                        "snapshot",
                        me.user,
                        present.members,
                        timestamp=now,
                        count=present.count,
                    ),
                    RoomTopics(command.room, top),
                ],
            )
        except ConnectionGoneError:
            logger.info("joiner gone before its answer", extra={"connection_id": me.connection_id})
            self._connections.delete(me.connection_id)
            self._metrics.count("StaleConnectionsPruned")
            return False
        return True

    def history(self, outbox: Outbox, connection: Connection, command: HistoryCommand) -> None:
        """Send a page of older messages, in the reader's language."""
        if connection.room is None:
            raise NotJoinedError(_JOIN_FIRST)
        page = self._messages.before(connection.room, command.before, command.limit)
        readings = self._translations.readings(page.messages, connection.lang)
        outbox.send(
            connection,
            [HistoryPage(connection.room, "before", readings, page.has_more, command.client_id)],
        )

    def leave(self, outbox: Outbox, connection: Connection, command: LeaveCommand) -> None:
        """Leave the room but keep the socket."""
        previous = self._connections.leave(connection.connection_id)
        room = previous.room if previous is not None else None
        outbox.send(connection, [Left(room, command.client_id)])
        if previous is not None and previous.room is not None and previous.user:
            self._release(previous.room, previous.user, connection.connection_id)
            self._presence.announce(
                outbox, previous.room, "leave", previous.user, exclude=connection.connection_id
            )

    def ping(self, outbox: Outbox, connection: Connection, command: PingCommand) -> None:
        """Answer the heartbeat."""
        outbox.send(connection, [Pong(self._clock.now_ms(), command.client_id)])

    # v1 names --------------------------------------------------------------------------------

    def name_unsettled(self, connection: Connection) -> bool:
        """True while a v1 name binding may still be taken over by an earlier frame."""
        return (
            connection.name_key is not None
            and self._clock.now_ms() - connection.named_at < V1_NAME_SETTLE_MS
        )

    def bind_user(
        self, outbox: Outbox, connection: Connection, user: str | None, command: PostCommand
    ) -> Connection:
        """Bind a v1 connection's name: the name of its first message, by the order the frames
        were sent (gateway time, then frame number), whatever order their invocations run in.

        One conditional write binds ``user`` if no name is bound, or takes the binding over
        from a later frame while it is open (``V1_NAME_SETTLE_MS``); every frame then waits
        until the binding has settled and posts under the name bound then, so all of the
        connection's messages carry one name. The frame whose name won tells the room.
        """
        key = order_key(*order_of(command, self._clock))
        current: Connection | None = connection
        if user is not None:
            now = self._clock.now_ms()
            current = self._connections.bind_user(
                connection.connection_id,
                user,
                key=key,
                now=now,
                open_after=now - V1_NAME_SETTLE_MS,
            )
        current = self._settled(connection.connection_id, current)
        if current is None or current.user is None:
            raise NotJoinedError(_JOIN_FIRST)
        connection = replace(
            connection, user=current.user, name_key=current.name_key, named_at=current.named_at
        )
        if connection.room is not None and current.name_key == key:
            self._presence.announce(
                outbox, connection.room, "join", current.user, exclude=connection.connection_id
            )
        return connection

    def _settled(self, connection_id: str, current: Connection | None) -> Connection | None:
        """Wait out the open binding; a take-over meanwhile reopens it (it needs an earlier
        frame each time, so there are few rounds at most)."""
        waited_for: int | None = None
        while current is not None and current.named_at and current.named_at != waited_for:
            wait_ms = current.named_at + V1_NAME_SETTLE_MS - self._clock.now_ms()
            if wait_ms <= 0:
                break
            waited_for = current.named_at
            self._sleep(wait_ms / 1000)
            current = self._connections.get(connection_id)
        return current
