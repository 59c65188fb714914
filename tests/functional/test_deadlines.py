"""Deadlines and circuit breakers of the language calls (docs/reliability.md, "Deadlines...").

The handler runs on the clients ``app.Clients.create`` builds for Lambda (``FaultyAws``, see
test_faults.py). For the slow cases Comprehend or Translate is a real HTTP server on 127.0.0.1
that holds each request for ``delay`` seconds: the real botocore client, its sockets and its read
timeout meet a real slow service, and the Lambda context counts its remaining time down on the
real clock. The breaker tests fake the clock (monotonic seconds) and the backoff sleeps instead.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import FakeLambdaContext, Harness, StepClock, emitted_metrics
from positive_chat import app
from positive_chat.adapters.resilience import CLOSED, HALF_OPEN, OPEN, ResiliencePolicy
from positive_chat.config import Settings
from test_faults import SHORT, FaultyAws, install_faulty_aws, json_error, seed_room

RESERVE = ResiliencePolicy().reserve
COMPREHEND = ResiliencePolicy().comprehend


class SlowService:
    """An HTTP server that answers every request ``delay`` seconds late (or when stopped)."""

    def __init__(self, delay: float, answer: dict[str, Any]) -> None:
        self.delay = delay
        self.answer = answer
        self.requests: list[tuple[float, str]] = []  # (monotonic arrival, X-Amz-Target)
        self._stop = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                service.requests.append((time.monotonic(), self.headers.get("X-Amz-Target", "")))
                service._stop.wait(service.delay)
                body = json.dumps(service.answer).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client timed out and closed the socket: expected
                    pass

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Release held requests and stop."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


@dataclass
class CountdownContext(FakeLambdaContext):
    """A Lambda context whose remaining time counts down on the real clock from ``budget_ms``."""

    budget_ms: int = 25_000
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        """What is left of the function's timeout."""
        return max(0, self.budget_ms - int((time.monotonic() - self.started) * 1000))


@pytest.fixture
def slow_comprehend(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowService]:
    """DetectSentiment that takes 8 s (each attempt)."""
    service = SlowService(8.0, {"Sentiment": "POSITIVE", "SentimentScore": {"Positive": 0.9}})
    monkeypatch.setenv("AWS_ENDPOINT_URL_COMPREHEND", service.url)
    yield service
    service.close()


@pytest.fixture
def slow_translate(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowService]:
    """TranslateText that takes 8 s (each attempt)."""
    service = SlowService(
        8.0,
        {"TranslatedText": "trop tard", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"},
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSLATE", service.url)
    yield service
    service.close()


def real_network(fake: FaultyAws, service: str) -> None:
    """Let ``service``'s requests reach the network (its endpoint is a SlowService)."""
    client = getattr(fake.clients, service)
    handler = fake.on_comprehend if service == "comprehend" else fake.on_translate
    client.meta.events.unregister(f"before-send.{service}", handler)


def invoke(harness: Harness, frame: dict[str, Any], context: Any) -> dict[str, Any]:
    """Ana sends ``frame`` in an invocation with ``context``."""
    event = harness.event("message", "a-ana", body=json.dumps(frame))
    return app.lambda_handler(event, context)


# --- Deadlines --------------------------------------------------------------------------------


def test_deadline_slow_sentiment_is_held_with_its_client_id_before_the_time_runs_out(
    harness: Harness,
    slow_comprehend: SlowService,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DetectSentiment takes 8 s, the function has 5 s: held, stored, answered with time left."""
    fake = install_faulty_aws(settings, monkeypatch)
    real_network(fake, "comprehend")
    seed_room(harness, ("b-bo", "en"))
    context = CountdownContext(budget_ms=5_000)
    started = time.monotonic()
    try:
        result = invoke(harness, {"action": "message", "content": SHORT, "id": "m-slow"}, context)
    finally:
        fake.runtime.fanout_pool.shutdown(wait=True)
        fake.runtime.translate_pool.shutdown(wait=True)
    elapsed = time.monotonic() - started
    assert result == {"statusCode": 200}
    # Language calls had 5 - 2 (reserve) = 3 s: one attempt, its read timeout cut to 3 - 1
    # (connect) = 2 s; then no attempt fits. The reserve is still there at the end.
    assert len(slow_comprehend.requests) == 1
    assert elapsed < 5.0 - RESERVE + 0.5
    assert context.get_remaining_time_in_millis() > RESERVE * 1000 * 0.5
    [held] = fake.frames("a-ana")
    assert (held["type"], held["id"], held["reason"]) == ("held", "m-slow", "SERVICE_UNAVAILABLE")
    assert fake.frames("b-bo") == []
    [item] = harness.message_items("lobby")
    assert (item["status"]["S"], item["flagReason"]["S"]) == ("held", "SERVICE_UNAVAILABLE")
    assert item["msgId"]["S"] == held["messageId"]


def test_deadline_slow_sentiment_with_a_full_function_timeout_is_held_in_the_language_budget(
    harness: Harness,
    slow_comprehend: SlowService,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With 29 s to go, the language calls still end within the 10 s budget: retried, held."""
    fake = install_faulty_aws(settings, monkeypatch)
    real_network(fake, "comprehend")
    seed_room(harness)
    context = CountdownContext(budget_ms=29_000)
    started = time.monotonic()
    try:
        invoke(harness, {"action": "message", "content": SHORT, "id": "m-slow"}, context)
    finally:
        fake.runtime.fanout_pool.shutdown(wait=True)
    elapsed = time.monotonic() - started
    assert len(slow_comprehend.requests) == COMPREHEND.attempts  # 3 s, 3 s, then what is left
    assert elapsed < ResiliencePolicy().language_budget + RESERVE  # 29 s were left
    [held] = fake.frames("a-ana")
    assert (held["type"], held["id"]) == ("held", "m-slow")


def test_deadline_slow_translate_delivers_the_original_marked_in_time(
    harness: Harness,
    slow_translate: SlowService,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TranslateText takes 8 s, the function has 5 s: the French reader gets the original."""
    fake = install_faulty_aws(settings, monkeypatch)
    real_network(fake, "translate")
    seed_room(harness, ("b-bea", "fr"), ("c-cy", "en"))
    context = CountdownContext(budget_ms=5_000)
    started = time.monotonic()
    try:
        invoke(harness, {"action": "message", "content": SHORT, "id": "m-tr"}, context)
    finally:
        fake.runtime.fanout_pool.shutdown(wait=True)
        fake.runtime.translate_pool.shutdown(wait=True)
    elapsed = time.monotonic() - started
    assert len(slow_translate.requests) == 1
    assert elapsed < 5.0 - RESERVE + 0.5
    ack, _own = fake.frames("a-ana")
    assert (ack["type"], ack["id"]) == ("ack", "m-tr")
    [bea] = fake.frames("b-bea")
    assert (bea["text"], bea["translation"]) == (SHORT, "unavailable")
    [cy] = fake.frames("c-cy")
    assert cy["translation"] == "original"
    [item] = harness.message_items("lobby")
    assert "translations" not in item or "fr" not in item["translations"]["M"]


def test_deadline_no_time_left_makes_no_call_at_all(
    harness: Harness,
    slow_comprehend: SlowService,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Less than the reserve left: no attempt is started; held at once."""
    fake = install_faulty_aws(settings, monkeypatch)
    real_network(fake, "comprehend")
    seed_room(harness)
    started = time.monotonic()
    try:
        invoke(
            harness,
            {"action": "message", "content": SHORT, "id": "m-late"},
            CountdownContext(budget_ms=int(RESERVE * 1000)),
        )
    finally:
        fake.runtime.fanout_pool.shutdown(wait=True)
    assert slow_comprehend.requests == []
    assert time.monotonic() - started < 1.0
    assert fake.frames("a-ana")[0]["type"] == "held"


# --- Circuit breakers -------------------------------------------------------------------------


class FakeMonotonic:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def breaker_aws(
    harness: Harness, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FaultyAws, FakeMonotonic]]:
    """FaultyAws whose runtime runs on a fake monotonic clock (backoff sleeps recorded)."""
    del harness
    fake = install_faulty_aws(settings, monkeypatch)
    fake.runtime.fanout_pool.shutdown()
    fake.runtime.translate_pool.shutdown()
    clock = FakeMonotonic()
    fake.runtime = app.Runtime(
        settings=settings,
        clients=fake.clients,
        clock=StepClock(),
        monotonic=clock,
        sleep=fake.sleeps.append,
    )
    app.install_runtime(fake.runtime)
    yield fake, clock
    fake.runtime.fanout_pool.shutdown(wait=True)
    fake.runtime.translate_pool.shutdown(wait=True)


def post_as_ana(harness: Harness, client_id: str) -> None:
    """Ana posts SHORT with ``client_id``."""
    harness.send("a-ana", {"action": "message", "content": SHORT, "id": client_id})


def test_breaker_opens_after_the_threshold_then_holds_without_calling_then_closes(
    harness: Harness,
    breaker_aws: tuple[FaultyAws, FakeMonotonic],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """3 failed calls open Comprehend's breaker; held at once for 30 s; a trial closes it."""
    fake, clock = breaker_aws
    guard = fake.runtime.comprehend_guard
    seed_room(harness, ("b-bo", "en"))
    threshold = COMPREHEND.breaker_threshold
    erroring = json_error("InternalServerException", 500)
    fake.fail("DetectSentiment", "en", erroring, times=threshold * COMPREHEND.attempts)
    caplog.set_level(logging.INFO, logger="positive_chat.adapters.resilience")
    caplog.set_level(logging.INFO, logger="positive_chat.adapters.circuit_breaker")

    for n in range(threshold):
        post_as_ana(harness, f"m{n}")
        assert fake.frames("a-ana")[0]["type"] == "held"
    assert fake.count("DetectSentiment") == threshold * COMPREHEND.attempts
    assert guard.breaker.state == OPEN
    opened = [r for r in caplog.records if r.getMessage() == "circuit breaker state changed"]
    assert [(r.from_state, r.to_state, r.dependency) for r in opened] == [  # type: ignore[attr-defined]
        (CLOSED, OPEN, "comprehend")
    ]
    assert emitted_metrics(capsys.readouterr().out).get("CircuitOpened") == 1

    # Open: held at once, no request to Comprehend, and nobody in the room hears of it.
    clock.now += COMPREHEND.breaker_cool_down - 1
    calls = fake.count("DetectSentiment")
    post_as_ana(harness, "m-open")
    [held] = fake.frames("a-ana")
    assert (held["type"], held["id"], held["reason"]) == ("held", "m-open", "SERVICE_UNAVAILABLE")
    assert fake.count("DetectSentiment") == calls
    assert fake.frames("b-bo") == []

    # After the cool-down one trial goes through; it succeeds: closed, published.
    clock.now += 1
    post_as_ana(harness, "m-trial")
    ack, _own = fake.frames("a-ana")
    assert (ack["type"], ack["status"]) == ("ack", "published")
    assert fake.count("DetectSentiment") == calls + 1
    assert guard.breaker.state == CLOSED
    changes = [
        (r.from_state, r.to_state)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.getMessage() == "circuit breaker state changed"
    ]
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]
    assert emitted_metrics(capsys.readouterr().out).get("CircuitClosed") == 1


def test_breaker_failed_trial_opens_it_again_for_a_new_cool_down(
    harness: Harness, breaker_aws: tuple[FaultyAws, FakeMonotonic]
) -> None:
    """Half-open, the trial fails: open again; the next cool-down counts from then."""
    fake, clock = breaker_aws
    guard = fake.runtime.comprehend_guard
    seed_room(harness)
    erroring = json_error("ServiceUnavailableException", 503)
    fake.fail("DetectSentiment", "en", erroring, times=(COMPREHEND.breaker_threshold + 1) * 3)
    for n in range(COMPREHEND.breaker_threshold):
        post_as_ana(harness, f"m{n}")
    assert guard.breaker.state == OPEN
    clock.now += COMPREHEND.breaker_cool_down
    calls = fake.count("DetectSentiment")
    post_as_ana(harness, "m-trial")
    assert fake.count("DetectSentiment") == calls + COMPREHEND.attempts  # the trial, retried
    assert guard.breaker.state == OPEN
    clock.now += COMPREHEND.breaker_cool_down - 1
    post_as_ana(harness, "m-still-open")
    assert fake.count("DetectSentiment") == calls + COMPREHEND.attempts
    [*_, last] = fake.frames("a-ana")
    assert (last["type"], last["id"]) == ("held", "m-still-open")


def test_breaker_translate_open_delivers_untranslated_without_calling(
    harness: Harness, breaker_aws: tuple[FaultyAws, FakeMonotonic]
) -> None:
    """Translate's breaker open: readers get the original, marked; no TranslateText is sent."""
    fake, _clock = breaker_aws
    guard = fake.runtime.translate_guard
    seed_room(harness, ("b-bea", "fr"))
    threshold = ResiliencePolicy().translate.breaker_threshold
    throttled = json_error("TooManyRequestsException", 429)
    fake.fail("TranslateText", "fr", throttled, times=threshold * 3)
    for n in range(threshold):
        post_as_ana(harness, f"m{n}")
    assert guard.breaker.state == OPEN
    fake.frames("b-bea")
    calls = fake.count("TranslateText")
    post_as_ana(harness, "m-open")
    [bea] = fake.frames("b-bea")
    assert (bea["text"], bea["translation"]) == (SHORT, "unavailable")
    assert fake.count("TranslateText") == calls


def test_breaker_is_not_opened_by_answers_about_the_request(
    harness: Harness, breaker_aws: tuple[FaultyAws, FakeMonotonic]
) -> None:
    """An unsupported language pair is an answer, not an outage: the breaker stays closed."""
    fake, _clock = breaker_aws
    seed_room(harness, ("b-bea", "fr"))
    unsupported = json_error("UnsupportedLanguagePairException", 400)
    fake.fail("TranslateText", "fr", unsupported, times=10)
    for n in range(10):
        post_as_ana(harness, f"m{n}")
    assert fake.count("TranslateText") == 10  # one attempt each: no retry of a 400
    assert fake.runtime.translate_guard.breaker.state == CLOSED


# ------------------------------------------------- DynamoDB and @connections: the invocation's end


def _bound_client(service: str, url: str, slot: Any, reserve: float) -> Any:
    import boto3
    from botocore.config import Config
    from positive_chat.adapters.resilience import bind_to_invocation

    client = boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=10,
                      connect_timeout=1),
    )
    return bind_to_invocation(client, slot, reserve)


@pytest.mark.parametrize("service", ["dynamodb", "apigatewaymanagementapi"])
def test_deadline_slow_dynamodb_or_connections_ends_before_the_invocation(service: str) -> None:
    """A DynamoDB (or @connections) endpoint that hangs: botocore's attempts are cut to the time
    left before the function's timeout less the reserve, and none starts after it."""
    from botocore.exceptions import BotoCoreError
    from positive_chat.adapters.resilience import Deadline, DeadlineSlot

    slow = SlowService(8.0, {})
    try:
        slot = DeadlineSlot()
        client = _bound_client(service, slow.url, slot, reserve=0.75)
        started = time.monotonic()
        call = (
            (lambda: client.get_item(TableName="t", Key={"pk": {"S": "x"}}))
            if service == "dynamodb"
            else (lambda: client.post_to_connection(ConnectionId="abc=", Data=b"{}"))
        )
        with (
            slot.running(Deadline.unlimited(), Deadline(started + 1.5)),
            pytest.raises(BotoCoreError),
        ):
            call()
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert elapsed < 1.5 - 0.75 + 0.3  # inside the invocation, with its reserve to answer
    assert 1 <= len(slow.requests) <= 2  # botocore's retries stop at the deadline too


def test_deadline_no_time_left_sends_no_dynamodb_request() -> None:
    """Already inside the reserve: no attempt is sent; DeadlineExceeded says so at once."""
    from positive_chat.adapters.resilience import Deadline, DeadlineExceeded, DeadlineSlot

    slow = SlowService(8.0, {})
    try:
        slot = DeadlineSlot()
        client = _bound_client("dynamodb", slow.url, slot, reserve=0.75)
        with (
            slot.running(Deadline.unlimited(), Deadline(time.monotonic() + 0.5)),
            pytest.raises(DeadlineExceeded),
        ):
            client.get_item(TableName="t", Key={"pk": {"S": "x"}})
        # Between invocations there is no deadline: the same client sends again.
        assert slot.ending().left() == float("inf")
    finally:
        slow.close()
    assert slow.requests == []
