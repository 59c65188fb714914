"""Delivery: a visible message to everyone in its room, translated per reader."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from positive_chat.domain.errors import ServiceUnavailableError
from positive_chat.domain.events import Event
from positive_chat.domain.model import Connection, Message
from positive_chat.domain.ports import ConnectionRepository, MetricsSink, Outbox
from positive_chat.domain.presence import RoomPresence
from positive_chat.domain.translation import Translations, reading_for

__all__ = ["Delivery"]

logger = logging.getLogger(__name__)


class Delivery:
    """Fans a stored message out to its room (best effort: history has it for the rest)."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        translations: Translations,
        presence: RoomPresence,
        metrics: MetricsSink,
    ) -> None:
        self._connections = connections
        self._translations = translations
        self._presence = presence
        self._metrics = metrics

    def deliver(self, outbox: Outbox, message: Message) -> None:
        """Send ``message`` to its room, each reader in their language; prune gone readers."""
        # The message is stored (and acked) before this: delivery is best effort from here on.
        # Storage failing now must not tell the sender "nothing was stored"; readers who miss
        # the frame get the message from history when they resume (init with ``after``).
        try:
            readers = self._connections.in_room(message.room)
        except ServiceUnavailableError:
            logger.warning("delivery skipped: readers unknown", extra={"room": message.room})
            self._metrics.count("DeliveriesSkipped")
            return
        fresh = self._translations.missing(message, {r.lang for r in readers})

        def events_for(reader: Connection) -> Sequence[Event]:
            # The room's top topics ride on the message frame (roomTopics): one post per reader.
            return [reading_for(message, reader.lang, fresh)]

        gone = outbox.broadcast(readers, events_for)
        self._presence.prune(outbox, message.room, gone, readers)
