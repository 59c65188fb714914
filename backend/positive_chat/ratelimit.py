"""Per-connection rate limiting: a token bucket kept on the Connections item.

This module owns the policy (docs/reliability.md, "Rate limiting"): every frame a joined
connection sends costs one token; a connection holds at most ``burst`` tokens and earns
``per_second`` back each second. A frame with no token left is refused with RATE_LIMITED and a
``retryAfter`` (whole seconds until the next token). API Gateway's stage throttling
(template.yaml) is the outer wall for the whole API; this is the inner, per-connection one.

The bucket is stored as GCRA's "theoretical arrival time" (``rlTat``, epoch ms) on the
Connections item, so every Lambda execution environment sees the same bucket: a full bucket
(``rlTat <= now``) costs one conditional UpdateItem; a partly used one costs a second, guarded by
the value just read (optimistic concurrency, so two environments can never both spend the last
token). A connection found over its limit is also remembered in memory until its next token is
due, so a flood from it costs no DynamoDB request in that environment. A connection with no item
(it has not joined yet) has no bucket: API Gateway's stage throttle covers those frames.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from .config import RATE_LIMIT_BURST, RATE_LIMIT_PER_SECOND
from .errors import ChatError

__all__ = [
    "RateLimit",
    "RateLimitedError",
    "RateLimiter",
    "TatStore",
    "TatSwap",
]

logger = logging.getLogger(__name__)

_MAX_SWAPS = 4  # optimistic-concurrency attempts before failing closed
_BLOCKED_MEMORY = 4096  # connections remembered as over their limit, per environment


class RateLimitedError(ChatError):
    """Too many frames from this connection; ``retry_after`` says when one more is allowed."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        retry_after = max(1, retry_after)
        super().__init__(f"too many frames; try again in {retry_after} s", retry_after=retry_after)


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


@dataclass(frozen=True)
class TatSwap:
    """The answer to one conditional write of the arrival time."""

    done: bool  # the write happened
    exists: bool = True  # the connection has an item at all
    current: int | None = None  # the stored arrival time when the write did not happen


class TatStore(Protocol):
    """Where the arrival time lives (the Connections item)."""

    def swap_rate_tat(
        self, connection_id: str, *, expected: int | None, now: int, new: int
    ) -> TatSwap:
        """Set ``rlTat`` to ``new`` if it equals ``expected`` (None: if it is absent or <= now)."""


class Clock(Protocol):
    """Epoch milliseconds."""

    def now_ms(self) -> int: ...


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

    def spend(self, connection_id: str) -> None:
        """Take one token for a frame from ``connection_id``, or refuse the frame."""
        now = self._clock.now_ms()
        until = self._blocked.get(connection_id)
        if until is not None:
            if until > now:
                raise RateLimitedError(_seconds(until - now))
            del self._blocked[connection_id]
        step = self._limit.interval_ms
        expected: int | None = None
        new = now + math.ceil(step)
        for _ in range(_MAX_SWAPS):
            swap = self._store.swap_rate_tat(connection_id, expected=expected, now=now, new=new)
            if swap.done or not swap.exists:
                return
            current = swap.current
            if current is None or current <= now:
                expected, new = None, now + math.ceil(step)  # refilled meanwhile: start over
                continue
            new = math.ceil(current + step)
            if new - now > self._limit.window_ms:
                self._refuse(connection_id, now, math.ceil(new - self._limit.window_ms))
            expected = current
        # Others kept winning the race for this bucket: fail closed, briefly.
        logger.warning("rate limit contention", extra={"connection_id": connection_id})
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
