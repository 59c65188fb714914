"""Per-connection rate limiting: a token bucket kept on the Connections item.

This module owns the policy (docs/reliability.md, "Rate limiting"): every frame a joined
connection sends costs one token; a connection holds at most ``burst`` tokens and earns
``per_second`` back each second. A frame with no token left is refused with RATE_LIMITED and a
``retryAfter`` (whole seconds until the next token). API Gateway's stage throttling
(template.yaml) is the outer wall for the whole API; this is the inner, per-connection one.

The bucket is stored as GCRA's "theoretical arrival time" (``rlTat``, epoch ms) on the
Connections item, so every Lambda execution environment sees the same bucket. A token is taken
with one conditional UpdateItem that computes the new arrival time in DynamoDB, never from a value
read before (no read-then-write, so no race to lose): a full bucket (``rlTat`` absent or
``<= now``) is set to ``now + step``; a partly used one is advanced by ``step`` on condition that
it still has a token (``rlTat <= now + window - step``). The first write tells which case holds
when it fails, so a frame costs at most two requests and concurrent frames never refuse each
other below the limit: DynamoDB applies them one after the other. The same write numbers the
frame (``ADD seq 1``): the number orders a sender's messages (docs/reliability.md, "Ordering").
A connection found over its limit is remembered in memory until its next token is due, so a
flood from it costs no DynamoDB request in that environment. A connection with no item (it has
not joined yet) has no bucket: API Gateway's stage throttle covers those frames.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass

from positive_chat.config import RATE_LIMIT_BURST, RATE_LIMIT_PER_SECOND
from positive_chat.domain.errors import RateLimitedError
from positive_chat.domain.ports import Clock, TatStore

__all__ = [
    "RateLimit",
    "RateLimitedError",
    "RateLimiter",
]

logger = logging.getLogger(__name__)

_MAX_WRITES = 8  # only environments whose clocks disagree can need more than two
_BLOCKED_MEMORY = 4096  # connections remembered as over their limit, per environment


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``burst`` tokens, refilled at ``per_second`` tokens per second."""

    per_second: float = RATE_LIMIT_PER_SECOND
    burst: int = RATE_LIMIT_BURST

    def __post_init__(self) -> None:
        if not self.per_second > 0 or math.isinf(self.per_second):
            raise ValueError(f"per_second must be a positive number, got {self.per_second!r}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst!r}")

    @property
    def interval_ms(self) -> float:
        """Milliseconds to earn one token back."""
        return 1000.0 / self.per_second

    @property
    def window_ms(self) -> float:
        """How far ahead of now the arrival time may run: the whole bucket."""
        return self.burst * self.interval_ms


class RateLimiter:
    """Spends a token per frame; raises RateLimitedError when the bucket is empty."""

    def __init__(self, store: TatStore, clock: Clock, limit: RateLimit) -> None:
        self._store = store
        self._clock = clock
        self._limit = limit
        # connection id -> epoch ms of its next token; lives as long as the environment.
        self._blocked: OrderedDict[str, int] = OrderedDict()

    @property
    def limit(self) -> RateLimit:
        """The bucket's size and refill rate."""
        return self._limit

    def spend(self, connection_id: str) -> int | None:
        """Take one token for a frame from ``connection_id``, or refuse the frame; return the
        frame's number on its connection (None when the connection has no item yet)."""
        now = self._clock.now_ms()
        until = self._blocked.get(connection_id)
        if until is not None:
            if until > now:
                raise RateLimitedError(_seconds(until - now))
            del self._blocked[connection_id]
        step = math.ceil(self._limit.interval_ms)
        # The latest arrival time that still leaves a token: taking one adds ``step``.
        latest = math.floor(now + self._limit.window_ms) - step
        fresh = True
        for _ in range(_MAX_WRITES):
            take = self._store.take_rate_token(
                connection_id, now=now, step=step, latest=latest, fresh=fresh
            )
            if take.done:
                return take.seq
            if not take.exists:
                return None
            current = take.current
            if current is None or current <= now:
                fresh = True  # refilled (another environment's clock is behind ours)
                continue
            if current > latest:
                self._refuse(connection_id, now, current + step - math.floor(self._limit.window_ms))
            fresh = False
        # Only environments whose clocks disagree can flip the bucket between full and partly
        # used this often; refuse briefly rather than loop.
        logger.warning("rate limit clock disagreement", extra={"connection_id": connection_id})
        raise RateLimitedError(1)

    def _refuse(self, connection_id: str, now: int, next_token_at: int) -> None:
        self._blocked[connection_id] = next_token_at
        self._blocked.move_to_end(connection_id)
        while len(self._blocked) > _BLOCKED_MEMORY:
            self._blocked.popitem(last=False)
        logger.info("rate limited", extra={"connection_id": connection_id})
        raise RateLimitedError(_seconds(next_token_at - now))


def _seconds(milliseconds: float) -> int:
    """Whole seconds, rounded up (at least 1)."""
    return max(1, math.ceil(milliseconds / 1000))
