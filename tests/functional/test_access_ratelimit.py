"""Rate limiting: the per-connection token bucket in the handler and the stage throttle outside it.

The bucket is shrunk here (3 frames, 2 per second) so the tests stay short; the defaults and
their environment variables are checked separately.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from conftest import Backend, FakeLambdaContext, Harness, StepClock
from localcloud.template import load_template
from positive_chat import app
from positive_chat.config import (
    RATE_LIMIT_BURST,
    RATE_LIMIT_PER_SECOND,
    ConfigurationError,
    Settings,
)
from positive_chat.domain.errors import RateLimitedError
from positive_chat.domain.ports import TokenTake
from positive_chat.domain.ratelimit import (
    RateLimit,
    RateLimiter,
)

BURST = 3
PER_SECOND = 2.0
ENV = {
    "CONNECTIONS_TABLE": "c",
    "MESSAGES_TABLE": "m",
    "TOPICS_TABLE": "t",
    "IDEMPOTENCY_TABLE": "i",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small bucket: 3 frames at once, 2 more per second."""
    return replace(settings, rate_limit_per_second=PER_SECOND, rate_limit_burst=BURST)


def ping(harness: Harness, connection_id: str, client_id: str) -> dict[str, Any]:
    """Send a ping and return the one frame it got back."""
    harness.expect_posts(connection_id)
    harness.send(connection_id, {"action": "ping", "id": client_id})
    [frame] = harness.frames(connection_id)
    return frame  # type: ignore[no-any-return]


def dynamodb_calls(harness: Harness) -> list[str]:
    """Start recording DynamoDB operations; the list fills as calls are made."""
    seen: list[str] = []
    harness.dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: seen.append(model.name), unique_id="rl-rec"
    )
    return seen


def test_ratelimit_burst_then_rate_limited_with_retry_after(harness: Harness) -> None:
    """A joined connection gets BURST frames through, then RATE_LIMITED with retryAfter."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    for n in range(BURST):
        assert ping(harness, "a-ana", f"p{n}")["type"] == "pong"
    refused = ping(harness, "a-ana", "p-over")
    assert refused == {
        "type": "error",
        "id": "p-over",
        "action": "ping",
        "code": "RATE_LIMITED",
        "field": None,
        "message": "too many frames; try again in 1 s",
        "retryAfter": 1,
    }


def test_ratelimit_refills_at_the_configured_rate(harness: Harness) -> None:
    """After 1/rate seconds one more frame is allowed, and only one."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    for n in range(BURST):
        ping(harness, "a-ana", f"p{n}")
    assert ping(harness, "a-ana", "over")["code"] == "RATE_LIMITED"
    clock = harness.runtime.clock
    assert isinstance(clock, StepClock)
    clock.now += int(1000 / PER_SECOND)
    assert ping(harness, "a-ana", "again")["type"] == "pong"
    assert ping(harness, "a-ana", "over-again")["code"] == "RATE_LIMITED"
    clock.now += 60_000  # a long pause fills the bucket, never beyond its size
    assert [ping(harness, "a-ana", f"q{n}")["type"] for n in range(BURST + 1)] == [
        "pong",
        "pong",
        "pong",
        "error",
    ]


def test_ratelimit_refused_message_stores_and_analyses_nothing(harness: Harness) -> None:
    """A rate-limited message reaches neither Comprehend nor the Messages table."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    for n in range(BURST):
        ping(harness, "a-ana", f"p{n}")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": "hello there", "id": "m1"})
    [error] = harness.frames("a-ana")
    assert (error["code"], error["id"], error["action"]) == ("RATE_LIMITED", "m1", "message")
    assert harness.message_items("lobby") == []
    assert harness.operations("comprehend") == []


def test_ratelimit_counts_frames_that_are_not_json(harness: Harness) -> None:
    """Garbage frames spend tokens too: a flood of them is limited like any other."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    codes = []
    for _ in range(BURST + 1):
        harness.expect_posts("a-ana")
        harness.send("a-ana", "{not json")
        codes.append(harness.frames("a-ana")[0]["code"])
    assert codes == ["INVALID_JSON"] * BURST + ["RATE_LIMITED"]


def test_ratelimit_bucket_is_shared_by_every_execution_environment(
    harness: Harness, backend: Backend, settings: Settings
) -> None:
    """Two Lambda environments spend from the same bucket (it lives on the Connections item)."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    second = app.Runtime(settings=settings, clients=harness.runtime.clients, clock=StepClock())
    ping(harness, "a-ana", "env1-a")
    ping(harness, "a-ana", "env1-b")
    second.clock.now = harness.runtime.clock.now  # the second environment's clock agrees
    app.install_runtime(second)
    try:
        assert ping(harness, "a-ana", "env2-a")["type"] == "pong"
        assert ping(harness, "a-ana", "env2-b")["code"] == "RATE_LIMITED"
    finally:
        app.install_runtime(harness.runtime)
        second.fanout_pool.shutdown()
        second.translate_pool.shutdown()
    item = harness.connection_item("a-ana")
    assert item is not None
    assert "rlTat" in item


def test_ratelimit_known_flood_costs_no_dynamodb_request(harness: Harness) -> None:
    """Once a connection is over its limit, its next frames are refused from memory."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    for n in range(BURST + 1):
        ping(harness, "a-ana", f"p{n}")
    seen = dynamodb_calls(harness)
    try:
        for n in range(5):
            assert ping(harness, "a-ana", f"flood{n}")["code"] == "RATE_LIMITED"
        # Only the error path's own read of the connection (to address the error frame).
        assert "UpdateItem" not in seen
    finally:
        harness.dynamodb.meta.events.unregister("before-call.dynamodb", unique_id="rl-rec")


def test_ratelimit_connection_without_item_is_not_stored(harness: Harness) -> None:
    """Frames before init write nothing: the limiter never creates a Connections item."""
    for n in range(BURST + 2):
        assert ping(harness, "c-new", f"p{n}")["type"] == "pong"
    assert harness.connection_item("c-new") is None


def test_ratelimit_join_then_limited_in_the_joined_room(harness: Harness) -> None:
    """The first init is free of a bucket; from then on every frame counts."""
    harness.join("c1", "lobby", "en", user="Ana")
    for n in range(BURST):
        assert ping(harness, "c1", f"p{n}")["type"] == "pong"
    assert ping(harness, "c1", "over")["code"] == "RATE_LIMITED"
    assert harness.connection_item("c1")["room"] == {"S": "lobby"}  # type: ignore[index]


def test_ratelimit_settings_come_from_the_environment() -> None:
    """RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST override the documented defaults."""
    defaults = Settings.from_env(ENV)
    assert (defaults.rate_limit_per_second, defaults.rate_limit_burst) == (
        RATE_LIMIT_PER_SECOND,
        RATE_LIMIT_BURST,
    )
    tuned = Settings.from_env({**ENV, "RATE_LIMIT_PER_SECOND": "0.5", "RATE_LIMIT_BURST": "4"})
    assert (tuned.rate_limit_per_second, tuned.rate_limit_burst) == (0.5, 4)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_PER_SECOND", "0"),
        ("RATE_LIMIT_PER_SECOND", "-1"),
        ("RATE_LIMIT_PER_SECOND", "inf"),
        ("RATE_LIMIT_PER_SECOND", "nan"),
        ("RATE_LIMIT_PER_SECOND", "fast"),
        ("RATE_LIMIT_BURST", "0"),
        ("RATE_LIMIT_BURST", "1.5"),
    ],
    ids=["zero", "negative", "inf", "nan", "word", "burst-zero", "burst-float"],
)
def test_ratelimit_bad_settings_fail_clearly(name: str, value: str) -> None:
    """A malformed limit is a ConfigurationError naming the variable, not a silent default."""
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**ENV, name: value})


def test_ratelimit_bucket_rejects_nonsense() -> None:
    """A bucket needs a positive finite rate and at least one token."""
    with pytest.raises(ValueError, match="per_second"):
        RateLimit(per_second=0)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(burst=0)


def test_stage_throttling_is_the_outer_wall() -> None:
    """template.yaml throttles the whole stage (rate and burst), below any per-connection limit."""
    template = load_template()
    stage = template["Resources"]["Stage"]["Properties"]
    route_settings = stage["DefaultRouteSettings"]
    assert route_settings["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert route_settings["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    params = template["Parameters"]
    assert params["ThrottlingRateLimit"]["Default"] > 0
    assert params["ThrottlingBurstLimit"]["Default"] >= params["ThrottlingRateLimit"]["Default"]


def test_raw_event_with_lambda_context_is_limited(harness: Harness) -> None:
    """The limit holds through the real entry point with a plain event dict (no helpers)."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    results = []
    for n in range(BURST + 1):
        harness.expect_posts("a-ana")
        event = harness.event(
            "message", "a-ana", body=json.dumps({"action": "ping", "id": f"r{n}"})
        )
        results.append(app.lambda_handler(event, FakeLambdaContext()))  # type: ignore[arg-type]
    assert results == [{"statusCode": 200}] * (BURST + 1)
    frames = harness.frames("a-ana")
    assert [f["type"] for f in frames] == ["pong"] * BURST + ["error"]


class FlippingStore:
    """A bucket whose environments disagree about the time: each write finds the other case."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.writes = 0

    def take_rate_token(
        self, connection_id: str, *, now: int, step: int, latest: int, fresh: bool
    ) -> TokenTake:
        """Fail every condition: a full-bucket write finds it partly used, and the reverse."""
        del connection_id, step, latest
        self.writes += 1
        return TokenTake(done=False, current=now + 10 if fresh else now - 10)


def test_ratelimit_clock_disagreement_fails_closed_without_looping() -> None:
    """Only clocks that disagree can make the two writes miss each other; after 8 writes the
    frame is refused (retryAfter 1) rather than looping. Racing frames never get here: see
    tests/functional/test_races.py."""
    clock = StepClock()
    store = FlippingStore(clock.now)
    limiter = RateLimiter(store, clock, RateLimit(per_second=5, burst=30))
    with pytest.raises(RateLimitedError) as refused:
        limiter.spend("c1")
    assert refused.value.retry_after == 1
    assert store.writes == 8


def test_ratelimit_retry_after_is_the_wait_for_the_next_token(harness: Harness) -> None:
    """At 0.25 frames per second an empty bucket says: retry in 4 s (rounded up, never 0)."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    clock = StepClock()
    limiter = RateLimiter(harness.runtime.connections, clock, RateLimit(per_second=0.25, burst=1))
    limiter.spend("a-ana")
    with pytest.raises(RateLimitedError) as refused:
        limiter.spend("a-ana")
    assert refused.value.retry_after == 4
    clock.now += 4000
    limiter.spend("a-ana")
