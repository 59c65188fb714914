"""Deadlines, bounded retries and circuit breakers for the calls to Comprehend and Translate.

This module owns "how long may one outbound call take, how often is it tried, and when is it not
tried at all" (docs/reliability.md, "Deadlines and circuit breakers"):

- ``Deadline``: when the invocation's outbound language calls must be over. It comes from the
  Lambda context's remaining time, less a **reserve** kept to store the outcome and answer the
  sender, and never later than ``language_budget`` seconds after the invocation started. Its
  clock is injectable, so tests fake time.
- ``ServiceGuard``: one service's calls. Each attempt gets a read timeout that fits in what is left
  of the deadline (the client's own read timeout is the ceiling); attempts stop at the policy's
  count, on an error that is not transient, or when the next attempt plus its backoff would not
  fit. The clients it guards are built with botocore retries off (``total_max_attempts: 1``):
  botocore's retry loop cannot see our deadline, this one checks it before every attempt.
- ``CircuitBreaker``: per service and execution environment. After ``threshold`` consecutive
  calls failed for the service's health (throttled, 5xx, timed out, unreachable, after their
  retries) it opens for ``cool_down`` seconds, during which calls are refused at once
  (``CallRefused``) and the caller's fallback answers; then one trial call goes through
  (half-open): success closes it, failure opens it again. An answer that is an error about the
  request (an unsupported language pair, a validation error) proves the service is up: it counts
  as a success.

Nothing here knows the chat: the adapters (language.py) turn ``CallRefused`` and the errors this
re-raises into LanguageServiceError / TranslationError, and the chat's fallbacks do the rest.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from positive_chat.adapters.circuit_breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    StateListener,
)
from positive_chat.domain.errors import PositiveChatError

__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "MIN_ATTEMPT_SECONDS",
    "OPEN",
    "CallPolicy",
    "CallRefused",
    "CircuitBreaker",
    "Deadline",
    "DeadlineExceeded",
    "DeadlineSlot",
    "RemainingTime",
    "ResiliencePolicy",
    "ServiceGuard",
    "bind_to_invocation",
    "is_transient",
    "time_for_attempt",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


# Error codes that mean "the service is overloaded or failing", not "your request is wrong".
_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
    }
)
_TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})

# botocore >= 1.42-ish reads a per-request read timeout from the request context (the
# ``read_timeout`` key, see URLLib3Session._get_request_timeout). Where it does, an attempt's
# read timeout is cut to what is left of the deadline; where it does not, an attempt is made only
# when the client's whole read timeout still fits.
try:
    from botocore.httpsession import URLLib3Session

    REQUEST_TIMEOUTS = hasattr(URLLib3Session, "_get_request_timeout")
except ImportError:  # pragma: no cover - botocore always has it
    REQUEST_TIMEOUTS = False

_request = threading.local()  # the read timeout of the attempt running on this thread


def _apply_request_timeout(context: dict[str, Any], **_: Any) -> None:
    """botocore ``before-call`` hook: the current attempt's read timeout, if one is set."""
    timeout = getattr(_request, "read_timeout", None)
    if timeout is not None:
        context["read_timeout"] = timeout


def is_transient(err: BaseException) -> bool:
    """True for failures of the service's health: throttled, 5xx, timed out, unreachable."""
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in _THROTTLING or code in _TRANSIENT_CODES or status in _TRANSIENT_STATUS
    # Connect/read timeouts, refused, reset or closed connections, DNS.
    return isinstance(err, BotoConnectionError | HTTPClientError)


# --- Policy -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallPolicy:
    """How one service is called: attempts, timeouts, backoff, breaker."""

    attempts: int = 3  # in all, the first included
    connect_timeout: float = 1.0  # seconds
    read_timeout: float = 3.0  # seconds: the ceiling of one attempt's read timeout
    backoff_base: float = 0.2  # seconds: retry n waits random(0, min(cap, base * 2**(n-1)))
    backoff_cap: float = 1.0
    min_read_timeout: float = 0.25  # less than this left: no attempt is started
    breaker_threshold: int = 3  # consecutive failed calls that open the breaker
    breaker_cool_down: float = 30.0  # seconds open before one trial call


@dataclass(frozen=True)
class ResiliencePolicy:
    """The whole policy: the reserve, the language budget, and each service's CallPolicy."""

    reserve: float = 2.0  # seconds kept, after the language calls, to store and answer
    language_budget: float = 10.0  # seconds from the invocation's start for language calls
    # Seconds before the function times out that no DynamoDB attempt may reach (time to answer
    # the sender after a failed write), and that no @connections attempt may reach.
    storage_reserve: float = 0.75
    answer_reserve: float = 0.2
    comprehend: CallPolicy = field(default_factory=CallPolicy)
    translate: CallPolicy = field(default_factory=lambda: CallPolicy(breaker_threshold=5))

    @classmethod
    def single_attempt(cls) -> ResiliencePolicy:
        """No retries of our own (the Stubber harness answers as if retries were spent)."""
        return cls(
            comprehend=CallPolicy(attempts=1, breaker_threshold=1_000),
            translate=CallPolicy(attempts=1, breaker_threshold=1_000),
        )


# --- Deadline -----------------------------------------------------------------------------------


class RemainingTime(Protocol):
    """What a Lambda context tells about time."""

    def get_remaining_time_in_millis(self) -> int: ...


class Deadline:
    """When this invocation's language calls must be over (``clock`` is monotonic seconds)."""

    def __init__(self, ends_at: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ends_at = ends_at
        self._clock = clock

    @classmethod
    def from_context(
        cls,
        context: RemainingTime,
        policy: ResiliencePolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> Deadline:
        """From the context's remaining time less the reserve, capped at the language budget."""
        now = clock()
        remaining = context.get_remaining_time_in_millis() / 1000.0
        return cls(now + min(remaining - policy.reserve, policy.language_budget), clock)

    @classmethod
    def ending(
        cls, context: RemainingTime, clock: Callable[[], float] = time.monotonic
    ) -> Deadline:
        """When the invocation itself times out (the context's whole remaining time)."""
        return cls(clock() + context.get_remaining_time_in_millis() / 1000.0, clock)

    @classmethod
    def unlimited(cls) -> Deadline:
        """No deadline (outside an invocation: scripts, benchmarks)."""
        return cls(float("inf"))

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self._ends_at - self._clock()


class DeadlineSlot:
    """The deadlines of the invocation running in this execution environment.

    Lambda runs one invocation at a time per environment; the adapters are built once per
    environment and read the current deadlines here (from the fan-out and translate pools'
    threads too, so this is deliberately not thread-local). ``current`` is the language calls'
    deadline; ``ending`` is when the invocation itself ends (the function timeout), which every
    other client (DynamoDB, SSM, @connections) keeps clear of by its own reserve
    (:func:`bind_to_invocation`).
    """

    def __init__(self) -> None:
        self._current = Deadline.unlimited()
        self._ending = Deadline.unlimited()

    def current(self) -> Deadline:
        """The running invocation's language deadline (unlimited between invocations)."""
        return self._current

    def ending(self) -> Deadline:
        """When the running invocation times out (unlimited between invocations)."""
        return self._ending

    @contextmanager
    def running(self, deadline: Deadline, ending: Deadline | None = None) -> Iterator[Deadline]:
        """Use ``deadline`` (and the invocation's ``ending``) for the duration of one invocation."""
        self._current = deadline
        self._ending = ending or Deadline.unlimited()
        try:
            yield deadline
        finally:
            self._current = Deadline.unlimited()
            self._ending = Deadline.unlimited()


class DeadlineExceeded(BotoCoreError):
    """No attempt was started: the invocation would time out before it could finish."""

    fmt = "No time left for {operation}: {seconds_left} s before the invocation's own reserve"


# Less than this left (after the reserve): no attempt is started at all.
MIN_ATTEMPT_SECONDS = 0.05


def time_for_attempt(slot: DeadlineSlot, reserve: float, operation: str) -> float:
    """Seconds an attempt started now may take, keeping ``reserve`` before the invocation ends;
    ``DeadlineExceeded`` when less than a sliver is left (no attempt is started)."""
    left = slot.ending().left() - reserve
    if left < MIN_ATTEMPT_SECONDS:
        raise DeadlineExceeded(operation=operation, seconds_left=round(left + reserve, 3))
    return left


def bind_to_invocation(client: Any, slot: DeadlineSlot, reserve: float) -> Any:
    """Keep every attempt of ``client`` (botocore's retries included) inside the invocation.

    Before each attempt (botocore's ``before-send``): with less than ``reserve`` seconds plus a
    sliver left before the function times out, the attempt is not sent and ``DeadlineExceeded``
    (a BotoCoreError, which botocore does not retry and the adapters treat as the service
    failing) is raised; otherwise the attempt's read timeout is cut to what is left. So a slow
    DynamoDB or @connections ends as the caller's fallback (SERVICE_UNAVAILABLE with the client
    id, a delivery skipped) while there is still time to answer, never as a Lambda timeout.
    Returns ``client``.
    """
    service = client.meta.service_model.service_id.hyphenize()
    configured = client.meta.config.read_timeout

    def before_send(request: Any, **_: Any) -> None:
        operation = getattr(request, "context", {}).get("operation_name") or service
        left = time_for_attempt(slot, reserve, operation)
        context = getattr(request, "context", None)
        if REQUEST_TIMEOUTS and context is not None and left < configured:
            current = context.get("read_timeout")
            context["read_timeout"] = left if current is None else min(current, left)

    client.meta.events.register(
        f"before-send.{service}", before_send, unique_id=f"positive-chat-invocation-{id(slot)}"
    )
    return client


# --- The guard ----------------------------------------------------------------------------------


class CallRefused(PositiveChatError):
    """No call was made: the breaker is open, or the deadline leaves no time for an attempt."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason  # "CircuitOpen" or "NoTimeLeft"


class ServiceGuard:
    """Calls one service within the invocation's deadline, retrying, behind its breaker."""

    def __init__(
        self,
        service: str,
        policy: CallPolicy,
        deadlines: DeadlineSlot,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
        jitter: Callable[[], float] = random.random,
        listener: StateListener | None = None,
    ) -> None:
        self.service = service
        self.policy = policy
        self.breaker = CircuitBreaker(
            service,
            threshold=policy.breaker_threshold,
            cool_down=policy.breaker_cool_down,
            clock=clock,
            listener=listener,
        )
        self._deadlines = deadlines
        self._sleep = sleep
        self._jitter = jitter

    @staticmethod
    def attach(client: Any) -> None:
        """Let this module set each attempt's read timeout on ``client`` (once per client)."""
        event = f"before-call.{client.meta.service_model.service_id.hyphenize()}"
        client.meta.events.register(
            event, _apply_request_timeout, unique_id="positive-chat-request-timeout"
        )

    def call(self, operation: str, request: Callable[[], T]) -> T:
        """``request()`` within the deadline; CallRefused, or the last error, when it fails."""
        if not self.breaker.allow():
            logger.info(
                "call refused: circuit open",
                extra={"dependency": self.service, "operation": operation},
            )
            raise CallRefused(self.service, "CircuitOpen")
        try:
            return self._attempts(operation, request)
        except BaseException:
            self.breaker.released()  # no-op unless the outcome was left unrecorded
            raise

    def _read_timeout(self, left: float) -> float | None:
        """The read timeout of an attempt started now, or None when none fits."""
        policy = self.policy
        budget = left - policy.connect_timeout
        if budget >= policy.read_timeout:
            return policy.read_timeout
        if REQUEST_TIMEOUTS and budget >= policy.min_read_timeout:
            return budget
        return None

    def _attempts(self, operation: str, request: Callable[[], T]) -> T:
        policy, deadline = self.policy, self._deadlines.current()
        last: ClientError | BotoCoreError | None = None
        attempt = 0
        while attempt < policy.attempts:
            read_timeout = self._read_timeout(deadline.left())
            if read_timeout is None:
                break
            attempt += 1
            _request.read_timeout = read_timeout if read_timeout < policy.read_timeout else None
            try:
                result = request()
            except (ClientError, BotoCoreError) as err:
                if not is_transient(err):
                    self.breaker.succeeded()  # it answered: the request was the problem
                    raise
                last = err
                logger.info(
                    "attempt failed",
                    extra={
                        "dependency": self.service,
                        "operation": operation,
                        "attempt": attempt,
                        "error": _code(err),
                        "seconds_left": round(deadline.left(), 3),
                    },
                )
                if attempt >= policy.attempts:
                    break
                delay = self._jitter() * min(
                    policy.backoff_cap, policy.backoff_base * 2 ** (attempt - 1)
                )
                if self._read_timeout(deadline.left() - delay) is None:
                    break
                self._sleep(delay)
                continue
            finally:
                _request.read_timeout = None
            self.breaker.succeeded()
            return result
        if last is None:
            self.breaker.released()
            logger.warning(
                "call skipped: no time left",
                extra={"dependency": self.service, "operation": operation},
            )
            raise CallRefused(self.service, "NoTimeLeft")
        self.breaker.failed()
        logger.warning(
            "call failed",
            extra={
                "dependency": self.service,
                "operation": operation,
                "attempts": attempt,
                "error": _code(last),
            },
        )
        raise last


def _code(err: ClientError | BotoCoreError) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "?"))
    return type(err).__name__
