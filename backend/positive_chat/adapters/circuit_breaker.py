"""A circuit breaker per service and execution environment (see adapters/resilience.py).

Closed -> open after ``threshold`` consecutive failures -> half-open after ``cool_down`` seconds;
a state change is logged and reported to a listener (app.CircuitMetrics emits it as a metric).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitBreaker", "StateListener"]

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


# (service, old state, new state, consecutive failures)
StateListener = Callable[[str, str, str, int], None]


class CircuitBreaker:
    """Closed -> open after ``threshold`` consecutive failures -> half-open after ``cool_down``."""

    def __init__(
        self,
        service: str,
        *,
        threshold: int,
        cool_down: float,
        clock: Callable[[], float] = time.monotonic,
        listener: StateListener | None = None,
    ) -> None:
        if threshold < 1 or cool_down <= 0:
            raise ValueError("threshold must be at least 1 and cool_down positive")
        self.service = service
        self._threshold = threshold
        self._cool_down = cool_down
        self._clock = clock
        self._listener = listener
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial: int | None = None  # half-open: the thread whose trial call is in flight

    @property
    def state(self) -> str:
        """closed, open or half-open (open turns half-open only when a call asks)."""
        return self._state

    def allow(self) -> bool:
        """May a call go to the service now? (False: answer by the fallback, at once.)"""
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if self._clock() - self._opened_at < self._cool_down:
                    return False
                self._change(HALF_OPEN)
            if self._trial is not None:  # half-open, its trial in flight: the others fall back
                return False
            self._trial = threading.get_ident()
            return True

    def succeeded(self) -> None:
        """The service answered."""
        with self._lock:
            self._failures = 0
            self._trial = None
            if self._state != CLOSED:
                self._change(CLOSED)

    def failed(self) -> None:
        """The service failed a call (after its retries)."""
        with self._lock:
            self._failures += 1
            self._trial = None
            if self._state == HALF_OPEN or (
                self._state == CLOSED and self._failures >= self._threshold
            ):
                self._opened_at = self._clock()
                self._change(OPEN)

    def released(self) -> None:
        """An allowed call ended telling nothing about the service (no time left, killed)."""
        with self._lock:
            if self._trial == threading.get_ident():
                self._trial = None

    def _change(self, state: str) -> None:
        old, self._state = self._state, state
        log = logger.warning if state == OPEN else logger.info
        log(
            "circuit breaker state changed",
            extra={
                "dependency": self.service,
                "from_state": old,
                "to_state": state,
                "consecutive_failures": self._failures,
                "cool_down_seconds": self._cool_down,
            },
        )
        if self._listener is not None:
            try:
                self._listener(self.service, old, state, self._failures)
            except Exception:  # a metric must never break a call
                logger.exception("circuit breaker listener failed")
