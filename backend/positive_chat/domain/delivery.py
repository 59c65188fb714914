"""Delivery: a visible message to everyone in its room, translated per reader.

Small rooms are posted to directly by the invocation that stored the message. A room with more
readers than the shard threshold is split into shards of readers, handed to the delivery
function through a queue (``ShardQueue``) with every translation already on the message, and
each shard is posted by its own invocation (``deliver_shard``). A shard's readers that could not
be reached are queued again as a smaller shard, a few times at most; a reader is never posted the
same message twice by design (docs/architecture.md, "Fan-out").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from positive_chat.domain.errors import ServiceUnavailableError
from positive_chat.domain.events import Event
from positive_chat.domain.model import Connection, Message, Shard
from positive_chat.domain.ports import ConnectionRepository, MetricsSink, Outbox, ShardQueue
from positive_chat.domain.presence import RoomPresence
from positive_chat.domain.translation import Translations, reading_for

__all__ = ["Delivery", "ShardPlan", "split"]

logger = logging.getLogger(__name__)

MAX_SHARD_ATTEMPTS = 3  # a reader unreachable three times reads the message from history


@dataclass(frozen=True)
class ShardPlan:
    """When a room is fanned out in shards, and how many readers a shard holds."""

    threshold: int = 300  # more readers than this: sharded
    size: int = 500

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.size < 1:
            raise ValueError("shard threshold and size must be positive")


def split(readers: Sequence[Connection], size: int) -> list[tuple[Connection, ...]]:
    """``readers`` in consecutive groups of at most ``size``, sizes as even as possible."""
    if not readers:
        return []
    count = -(-len(readers) // size)
    base, extra = divmod(len(readers), count)
    groups, start = [], 0
    for index in range(count):
        end = start + base + (1 if index < extra else 0)
        groups.append(tuple(readers[start:end]))
        start = end
    return groups


class Delivery:
    """Fans a stored message out to its room (best effort: history has it for the rest)."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        translations: Translations,
        presence: RoomPresence,
        metrics: MetricsSink,
        queue: ShardQueue | None = None,
        plan: ShardPlan | None = None,
    ) -> None:
        self._connections = connections
        self._translations = translations
        self._presence = presence
        self._metrics = metrics
        self._queue = queue
        self._plan = plan or ShardPlan()

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
        room_readers = len(readers)
        if self._queue is not None and len(readers) > self._plan.threshold:
            translated = {lang: text for lang, text in fresh.items() if text is not None}
            message = replace(message, translations={**message.translations, **translated})
            readers = self._hand_off(outbox.address, message, readers)
            if not readers:
                return

        def events_for(reader: Connection) -> Sequence[Event]:
            # The room's top topics ride on the message frame (roomTopics): one post per reader.
            return [reading_for(message, reader.lang, fresh)]

        gone = outbox.broadcast(readers, events_for)
        # After a partial hand-off ``readers`` is part of the room: nobody is told who left.
        self._presence.prune(outbox, message.room, gone, readers, room_readers=room_readers)

    def deliver_shard(self, outbox: Outbox, shard: Shard) -> None:
        """Post one shard (in the delivery function); queue again the readers not reached."""
        message = shard.message
        no_fresh: Mapping[str, str | None] = {}

        def events_for(reader: Connection) -> Sequence[Event]:
            return [reading_for(message, reader.lang, no_fresh)]

        posted = outbox.deliver(shard.readers, events_for)
        self._metrics.count("ShardDeliveries", len(shard.readers) - len(posted.failed))
        if posted.failed:
            self._retry(shard, posted.failed)
        # Gone readers are deleted; a large room is not told who left (its readers are spread
        # over shards, so nobody here knows the room's members). Best effort: the posts are
        # made, and a connection left behind expires (TTL) or is found gone again.
        try:
            self._presence.prune(outbox, message.room, posted.gone, [])  # no one to tell
        except ServiceUnavailableError:
            logger.warning("gone readers not pruned", extra={"count": len(posted.gone)})

    def _hand_off(
        self, address: str, message: Message, readers: Sequence[Connection]
    ) -> list[Connection]:
        """Queue the room in shards; return the readers to post to here (shards not queued)."""
        assert self._queue is not None
        groups = split(readers, self._plan.size)
        shards = [
            Shard(address, message, group, index, len(groups)) for index, group in enumerate(groups)
        ]
        left = self._queue.hand_off(shards)
        self._metrics.count("ShardsQueued", len(shards) - len(left))
        if left:
            # The queue refused them after its retries: post them from here (the fallback).
            logger.warning(
                "shards not queued: posting them directly",
                extra={"room": message.room, "shards": len(left), "of": len(shards)},
            )
            self._metrics.count("ShardsPostedDirectly", len(left))
        return [reader for shard in left for reader in shard.readers]

    def _retry(self, shard: Shard, failed: Sequence[Connection]) -> None:
        """Queue the readers not reached as a shard of their own, unless they had their tries."""
        room = shard.message.room
        if shard.attempt >= MAX_SHARD_ATTEMPTS or self._queue is None:
            logger.warning(
                "readers not reached: they read it from history",
                extra={"room": room, "readers": len(failed), "attempt": shard.attempt},
            )
            self._metrics.count("DeliveriesDropped", len(failed))
            return
        again = replace(shard, readers=tuple(failed), attempt=shard.attempt + 1)
        if self._queue.hand_off([again]):
            logger.warning("readers not reached, not queued again", extra={"room": room})
            self._metrics.count("DeliveriesDropped", len(failed))
            return
        self._metrics.count("ShardRetries")
