"""What moderators see live, and the audit trail every moderator action writes.

``ModeratorNotifier`` pushes review frames to every moderator connection (new flags, decisions
of other moderators) and never fails its caller; ``AuditTrail`` writes audit entries, and when
that fails the log line is the record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from positive_chat.config import (
    MODERATORS_ROOM,
)
from positive_chat.domain.errors import (
    ChatError,
    ConnectionGoneError,
)
from positive_chat.domain.events import (
    Event,
    Flagged,
    Resolved,
)
from positive_chat.domain.model import (
    AuditEntry,
    Connection,
    Message,
)
from positive_chat.domain.ports import (
    ConnectionRepository,
    ModerationLedger,
    Outbox,
)

__all__ = ["AuditTrail", "ModeratorNotifier", "answer_moderator"]

logger = logging.getLogger(__name__)


def answer_moderator(
    outbox: Outbox, connections: ConnectionRepository, connection_id: str, event: Event
) -> None:
    """Answer a moderator connection (v2 only); forget it if it is gone."""
    try:
        outbox.send(Connection(connection_id, version=2), [event])
    except ConnectionGoneError:
        logger.info("moderator gone before the answer", extra={"connection_id": connection_id})
        connections.delete(connection_id)


class ModeratorNotifier:
    """Pushes review frames to every moderator connection; never fails its caller."""

    def __init__(self, connections: ConnectionRepository) -> None:
        self._connections = connections

    def flagged(self, outbox: Outbox, message: Message) -> None:
        """A message was rejected or held: show it in every console."""
        self._push(outbox, [Flagged(message)])

    def resolved(self, outbox: Outbox, entry: AuditEntry, *, exclude: str) -> None:
        """A moderator decided: every other console drops the item (or shows the mute)."""
        self._push(outbox, [Resolved(entry)], exclude=exclude)

    def _push(self, outbox: Outbox, events: Sequence[Event], *, exclude: str | None = None) -> None:
        try:
            moderators = [
                c
                for c in self._connections.in_room(MODERATORS_ROOM)
                if c.connection_id != exclude and c.role == "moderator"
            ]
            if not moderators:
                return
            gone = outbox.broadcast(moderators, lambda _reader: events)
            for connection in gone:
                self._connections.delete(connection.connection_id)
        except ChatError as err:  # the flag is stored; consoles still see it in mod.queue
            logger.warning("could not notify moderators", extra={"code": err.code})


class AuditTrail:
    """Writes audit entries, kept ``retention_days`` (DynamoDB TTL removes older ones)."""

    def __init__(self, ledger: ModerationLedger, retention_days: int) -> None:
        self._ledger = ledger
        self._retention_seconds = retention_days * 86_400

    def add(self, entry: AuditEntry) -> None:
        """Write the audit entry; if that fails, the log line is the record (and we go on: the
        decision itself is already stored)."""
        try:
            self._ledger.add_audit(entry, ttl=entry.at // 1000 + self._retention_seconds)
        except ChatError:
            logger.error(
                "audit entry not stored",
                extra={
                    "entry_id": entry.entry_id,
                    "action": entry.action,
                    "moderator": entry.moderator,
                    "room": entry.room,
                    "message_id": entry.message_id,
                },
            )
