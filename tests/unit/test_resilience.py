"""Deadline, CircuitBreaker and ServiceGuard (positive_chat/resilience.py) on a fake clock."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from positive_chat.adapters.resilience import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    REQUEST_TIMEOUTS,
    CallPolicy,
    CallRefused,
    CircuitBreaker,
    Deadline,
    DeadlineSlot,
    ResiliencePolicy,
    ServiceGuard,
    is_transient,
)


class Clock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Context:
    """A Lambda context with ``ms`` left."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "DetectSentiment",
    )


POLICY = CallPolicy(attempts=3, connect_timeout=1.0, read_timeout=3.0, breaker_threshold=2)


def make_guard(
    clock: Clock, seconds_left: float, policy: CallPolicy = POLICY
) -> tuple[ServiceGuard, list[float], list[tuple[str, Any, Any]]]:
    slot = DeadlineSlot()
    slot._current = Deadline(clock() + seconds_left, clock)
    sleeps: list[float] = []
    changes: list[tuple[str, Any, Any]] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    guard = ServiceGuard(
        "comprehend",
        policy,
        slot,
        clock=clock,
        sleep=sleep,
        jitter=lambda: 1.0,  # the longest backoff: the worst case
        listener=lambda service, old, new, _n: changes.append((service, old, new)),
    )
    return guard, sleeps, changes


# --- Deadline -----------------------------------------------------------------------------------


def test_deadline_keeps_the_reserve_and_is_capped_by_the_language_budget() -> None:
    clock = Clock()
    policy = ResiliencePolicy(reserve=2.0, language_budget=10.0)
    assert Deadline.from_context(Context(5_000), policy, clock).left() == pytest.approx(3.0)
    assert Deadline.from_context(Context(29_000), policy, clock).left() == pytest.approx(10.0)
    late = Deadline.from_context(Context(1_000), policy, clock)
    assert late.left() == pytest.approx(-1.0)
    clock.now += 0.5
    assert Deadline.from_context(Context(5_000), policy, clock).left() == pytest.approx(3.0)


def test_deadline_slot_is_unlimited_outside_an_invocation() -> None:
    slot = DeadlineSlot()
    assert slot.current().left() == float("inf")
    with slot.running(Deadline(5.0, lambda: 1.0)) as deadline:
        assert slot.current() is deadline
    assert slot.current().left() == float("inf")


# --- Classification -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("err", "transient"),
    [
        (client_error("ThrottlingException", 400), True),
        (client_error("TooManyRequestsException", 429), True),
        (client_error("InternalServerException", 500), True),
        (client_error("ServiceUnavailableException", 503), True),
        (ReadTimeoutError(endpoint_url="http://x"), True),
        (ConnectTimeoutError(endpoint_url="http://x"), True),
        (client_error("UnsupportedLanguagePairException", 400), False),
        (client_error("TextSizeLimitExceededException", 400), False),
        (client_error("ValidationException", 400), False),
    ],
)
def test_transient_errors_are_the_services_health_only(err: Exception, transient: bool) -> None:
    assert is_transient(err) is transient


# --- Breaker ------------------------------------------------------------------------------------


def test_breaker_opens_at_the_threshold_half_opens_after_the_cool_down_and_closes() -> None:
    clock = Clock()
    changes: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        "translate",
        threshold=3,
        cool_down=30.0,
        clock=clock,
        listener=lambda _s, old, new, _n: changes.append((old, new)),
    )
    for _ in range(2):
        assert breaker.allow()
        breaker.failed()
    assert breaker.state == CLOSED
    assert breaker.allow()
    breaker.succeeded()  # a success in between: the count starts again
    for _ in range(3):
        assert breaker.allow()
        breaker.failed()
    assert breaker.state == OPEN
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()  # the trial
    assert breaker.state == HALF_OPEN
    assert not breaker.allow()  # only one trial at a time
    breaker.succeeded()
    assert breaker.state == CLOSED
    assert breaker.allow()
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_breaker_failed_trial_reopens_and_a_released_trial_lets_another_try() -> None:
    clock = Clock()
    breaker = CircuitBreaker("comprehend", threshold=1, cool_down=10.0, clock=clock)
    breaker.failed()
    clock.now += 10
    assert breaker.allow()
    breaker.failed()
    assert breaker.state == OPEN
    clock.now += 9
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()
    breaker.released()  # the trial had no time to ask: another call may try
    assert breaker.allow()


def test_breaker_listener_failure_never_breaks_a_call() -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("metrics down")

    breaker = CircuitBreaker("comprehend", threshold=1, cool_down=1.0, listener=broken)
    breaker.failed()
    assert breaker.state == OPEN


# --- Guard --------------------------------------------------------------------------------------


def test_guard_retries_transient_errors_with_backoff_then_raises_the_last() -> None:
    clock = Clock()
    guard, sleeps, _ = make_guard(clock, 10.0)
    calls = 0

    def request() -> str:
        nonlocal calls
        calls += 1
        raise client_error("ThrottlingException", 400)

    with pytest.raises(ClientError):
        guard.call("DetectSentiment", request)
    assert calls == 3
    assert sleeps == [0.2, 0.4]  # base 0.2 s, doubling, full jitter at its top


def test_guard_does_not_retry_an_answer_about_the_request() -> None:
    guard, sleeps, _ = make_guard(Clock(), 10.0)
    calls = 0

    def request() -> str:
        nonlocal calls
        calls += 1
        raise client_error("UnsupportedLanguagePairException", 400)

    for _ in range(5):
        with pytest.raises(ClientError):
            guard.call("TranslateText", request)
    assert (calls, sleeps, guard.breaker.state) == (5, [], CLOSED)


def test_guard_attempts_fit_in_the_deadline_whatever_each_takes() -> None:
    """Each attempt times out after its read timeout; all of them end before the deadline."""
    clock = Clock()
    guard, _sleeps, _ = make_guard(clock, 5.0, CallPolicy(attempts=10, read_timeout=3.0))
    started = clock.now
    timeouts: list[float] = []

    def request() -> str:
        from positive_chat.adapters import resilience

        timeout = resilience._request.read_timeout or guard.policy.read_timeout
        timeouts.append(timeout)
        clock.now += guard.policy.connect_timeout + timeout  # the worst an attempt can take
        raise ReadTimeoutError(endpoint_url="http://x")

    with pytest.raises(ReadTimeoutError):
        guard.call("DetectSentiment", request)
    assert clock.now - started <= 5.0
    assert timeouts == [3.0]  # 4 s spent, 1 s left = the connect timeout: no attempt fits


def test_guard_last_attempt_gets_what_is_left() -> None:
    """7.5 s: 1 + 3, backoff 0.2, then 3.3 s left: a 2.3 s read timeout (or no attempt)."""
    clock = Clock()
    guard, _sleeps, _ = make_guard(clock, 7.5)
    timeouts: list[float | None] = []

    def request() -> str:
        from positive_chat.adapters import resilience

        timeout = resilience._request.read_timeout
        timeouts.append(timeout)
        clock.now += guard.policy.connect_timeout + (timeout or guard.policy.read_timeout)
        raise ReadTimeoutError(endpoint_url="http://x")

    started = clock.now
    with pytest.raises(ReadTimeoutError):
        guard.call("DetectSentiment", request)
    assert clock.now - started <= 7.5
    if REQUEST_TIMEOUTS:
        assert timeouts == [None, pytest.approx(2.3)]  # None: the client's own 3 s
    else:
        assert timeouts == [None]


def test_guard_with_no_time_left_makes_no_call() -> None:
    guard, _, _ = make_guard(Clock(), 1.1)  # connect 1 s + less than the shortest read timeout

    def request() -> str:
        raise AssertionError("no call may be made")

    with pytest.raises(CallRefused) as refused:
        guard.call("DetectSentiment", request)
    assert refused.value.reason == "NoTimeLeft"
    assert guard.breaker.state == CLOSED


def test_guard_open_breaker_refuses_at_once_and_tells_the_listener() -> None:
    clock = Clock()
    guard, _, changes = make_guard(clock, 100.0)

    def failing() -> str:
        raise client_error("InternalServerException", 500)

    for _ in range(POLICY.breaker_threshold):
        with pytest.raises(ClientError):
            guard.call("DetectSentiment", failing)
    assert changes == [("comprehend", CLOSED, OPEN)]
    with pytest.raises(CallRefused) as refused:
        guard.call("DetectSentiment", failing)
    assert refused.value.reason == "CircuitOpen"
    clock.now += POLICY.breaker_cool_down
    assert guard.call("DetectSentiment", lambda: "ok") == "ok"
    assert changes[1:] == [("comprehend", OPEN, HALF_OPEN), ("comprehend", HALF_OPEN, CLOSED)]


class Sent(Exception):
    """Raised at before-send: the request was built and is about to leave."""


def test_guard_sets_the_shortened_read_timeout_on_the_botocore_request() -> None:
    """An attempt with less left than the client's read timeout carries the shorter one."""
    # The installed botocore must honour a per-request read timeout; without it the deadlines
    # fall back to whole attempts (resilience.REQUEST_TIMEOUTS), which this test would not show.
    assert REQUEST_TIMEOUTS, "botocore no longer reads read_timeout from the request context"
    client = boto3.client(
        "comprehend",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    ServiceGuard.attach(client)
    seen: list[Any] = []

    def before_send(request: Any, **_: Any) -> None:
        seen.append(request.context.get("read_timeout"))
        raise Sent

    client.meta.events.register("before-send.comprehend", before_send)
    clock = Clock()
    for left, expected in ((2.5, pytest.approx(1.5)), (10.0, None)):
        guard, _, _ = make_guard(clock, left)
        with pytest.raises(Sent):
            guard.call(
                "DetectSentiment", lambda: client.detect_sentiment(Text="hi", LanguageCode="en")
            )
        assert seen.pop() == expected  # 2.5 s left - 1 s connect; None: the client's 3 s
