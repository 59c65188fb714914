"""Names are unique in a room: compared by ``names.name_key`` (case, width, confusables).

A join claims its name in the room with one conditional write (``NameClaims``), so of two joins
with the same name at once exactly one wins; the other gets NAME_TAKEN and nothing changes for
the first. Claims are released on leave, room change and $disconnect. A claim whose holder is
gone without a $disconnect (the server was killed) must not lock the name: it is taken over
when @connections says the holder is gone (410), or when the holder's connection is no longer
in the room under that name and the claim is older than ``NAME_CLAIM_GRACE_MS`` (a younger one
may belong to a join still under way).
"""

from __future__ import annotations

import logging

from positive_chat.config import CONNECTION_TTL_SECONDS, NAME_CLAIM_GRACE_MS
from positive_chat.domain.errors import NameTakenError
from positive_chat.domain.names import name_key
from positive_chat.domain.ports import (
    Clock,
    ConnectionRepository,
    MetricsSink,
    NameClaim,
    NameClaims,
    Outbox,
)

__all__ = ["RoomNames"]

logger = logging.getLogger(__name__)


class RoomNames:
    """Claims, releases and takes over names in rooms."""

    def __init__(
        self,
        *,
        claims: NameClaims,
        connections: ConnectionRepository,
        metrics: MetricsSink,
        clock: Clock,
    ) -> None:
        self._claims = claims
        self._connections = connections
        self._metrics = metrics
        self._clock = clock

    def claim(self, outbox: Outbox, room: str, user: str, connection_id: str) -> None:
        """Hold ``user`` in ``room`` for the connection; NameTakenError if someone else does."""
        key = name_key(user)
        now = self._clock.now_ms()
        ttl = now // 1000 + CONNECTION_TTL_SECONDS
        other = self._claims.claim(room, key, holder=connection_id, user=user, now=now, ttl=ttl)
        if other is None:
            return
        if self._stale(outbox, other, room, key, now) and self._claims.take_over(
            room, key, holder=connection_id, previous=other.holder, user=user, now=now, ttl=ttl
        ):
            logger.info("stale name claim taken over", extra={"room": room})
            self._metrics.count("NameClaimsTakenOver")
            return
        self._metrics.count("NamesRefused")
        raise NameTakenError(
            f"someone in this room is already called {other.user or user!r}; pick another name"
        )

    def release(self, room: str, user: str, connection_id: str) -> None:
        """Let the name go (only the connection's own claim)."""
        self._claims.release(room, name_key(user), holder=connection_id)

    def _stale(self, outbox: Outbox, claim: NameClaim, room: str, key: str, now: int) -> bool:
        """True when the claim's holder no longer holds the name in fact."""
        holder = self._connections.get(claim.holder)
        present = (
            holder is not None
            and holder.room == room
            and holder.user is not None
            and name_key(holder.user) == key
        )
        if not present and now - claim.claimed_at > NAME_CLAIM_GRACE_MS:
            return True
        if outbox.connected(claim.holder):
            return False
        # Gone without a $disconnect (e.g. the server was killed): forget its connection too,
        # so presence no longer lists it.
        if holder is not None:
            self._connections.delete(claim.holder)
            self._metrics.count("StaleConnectionsPruned")
        return True
