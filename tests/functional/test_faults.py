"""Faults of the services the chat depends on, and the policy for each (docs/reliability.md).

The fault-injecting AWS used here runs the handler on production-configured boto3 clients.

The Stubber harness answers calls before any retry logic runs, so it cannot show that we retry.
Here the handler gets the clients ``app.Clients.create`` builds for Lambda (DynamoDB and
@connections: botocore's standard retry mode; Comprehend and Translate: botocore's retries off,
retried by their ServiceGuard within the invocation's deadline, resilience.py) and each request
is answered at ``before-send``, the last step before the network: DynamoDB by moto (unless a
fault is queued for it), Comprehend, Translate and @connections by small fakes with the real
wire shapes. Faults are queued per operation and key (a table, a connection id, a target
language); backoff sleeps, botocore's and the guards', are recorded instead of slept.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from conftest import TABLES, Harness, StepClock
from moto.core.models import botocore_stubber
from positive_chat import app
from positive_chat.adapters.resilience import ResiliencePolicy
from positive_chat.config import Settings

__all__ = ["Answer", "FaultyAws", "Kill", "faulty_aws", "install_faulty_aws"]

MESSAGES = TABLES["MessagesTable"]
CONNECTIONS = TABLES["ConnectionsTable"]
TOPICS = TABLES["TopicsTable"]
IDEMPOTENCY = TABLES["IdempotencyTable"]

Answer = Callable[[AWSPreparedRequest], AWSResponse]


class Kill(BaseException):
    """Raised inside the handler to stand for Lambda killing it (a timeout): nothing catches it."""


class _Raw(BytesIO):
    def stream(self, **_: Any) -> Any:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def response(
    request: AWSPreparedRequest, status: int, body: Any, headers: dict[str, str] | None = None
) -> AWSResponse:
    """An HTTP response as botocore would have read it from the wire."""
    data = b"" if body is None else json.dumps(body).encode("utf-8")
    return AWSResponse(
        request.url, status, {"x-amzn-RequestId": "fault-test", **(headers or {})}, _Raw(data)
    )


def json_error(code: str, status: int, json_version: str = "1.1") -> Answer:
    """An AWS JSON-protocol error (DynamoDB 1.0, Comprehend/Translate 1.1)."""
    headers = {"Content-Type": f"application/x-amz-json-{json_version}"}
    return lambda request: response(
        request, status, {"__type": code, "message": f"{code} (injected)"}, headers
    )


def rest_error(code: str, status: int) -> Answer:
    """An @connections (REST-JSON) error."""
    return lambda request: response(request, status, {"message": code}, {"x-amzn-ErrorType": code})


def _body(request: AWSPreparedRequest) -> dict[str, Any]:
    raw = request.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw) if raw else {}


@dataclass
class FaultyAws:
    """Production clients whose requests are answered here; see the module docstring."""

    clients: app.Clients
    sleeps: list[float]
    faults: dict[tuple[str, str], deque[Answer]] = field(default_factory=lambda: defaultdict(deque))
    attempts: list[tuple[str, str]] = field(default_factory=list)  # (operation, key)
    posts: list[tuple[str, bytes]] = field(default_factory=list)
    sentiment: dict[str, str] = field(default_factory=dict)  # text -> label (default POSITIVE)
    translations: dict[str, str] = field(default_factory=dict)  # target -> prefix
    entities: dict[str, list[str]] = field(default_factory=dict)  # text -> entity texts
    before_post: Callable[[str], None] | None = None  # called with each connection id
    runtime: Any = None  # the app.Runtime these clients serve

    def fail(self, operation: str, key: str, answer: Answer, times: int = 1) -> None:
        """The next ``times`` attempts of ``operation`` on ``key`` get ``answer``."""
        self.faults[(operation, key)].extend([answer] * times)

    def frames(self, connection_id: str) -> list[Any]:
        """Frames delivered to ``connection_id`` so far (then forgotten)."""
        taken = [json.loads(d) for c, d in self.posts if c == connection_id]
        self.posts[:] = [(c, d) for c, d in self.posts if c != connection_id]
        return taken

    def count(self, operation: str, key: str | None = None) -> int:
        """Attempts (retries included) of ``operation`` (on ``key``)."""
        return sum(1 for op, k in self.attempts if op == operation and key in (None, k))

    # before-send handlers ----------------------------------------------------------------

    def _injected(self, operation: str, key: str, request: AWSPreparedRequest) -> Any:
        self.attempts.append((operation, key))
        queue = self.faults.get((operation, key))
        if queue:
            return queue.popleft()(request)
        return None

    def on_dynamodb(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        injected = self._injected(operation, str(_body(request).get("TableName")), request)
        if injected is not None:
            return injected
        return botocore_stubber(event_name=event_name, request=request)  # moto's tables

    def on_comprehend(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        body = _body(request)
        injected = self._injected(operation, str(body.get("LanguageCode", "")), request)
        if injected is not None:
            return injected
        if operation == "DetectDominantLanguage":
            answer: dict[str, Any] = {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}
        elif operation == "DetectSentiment":
            label = self.sentiment.get(body["Text"], "POSITIVE")
            answer = {"Sentiment": label, "SentimentScore": {"Positive": 0.9}}
        else:
            found = self.entities.get(body["Text"], [])
            answer = {"Entities": [{"Text": t, "Type": "OTHER", "Score": 0.9} for t in found]}
        return response(request, 200, answer, {"Content-Type": "application/x-amz-json-1.1"})

    def on_translate(self, request: AWSPreparedRequest, **_: Any) -> Any:
        body = _body(request)
        target = str(body["TargetLanguageCode"])
        injected = self._injected("TranslateText", target, request)
        if injected is not None:
            return injected
        text = f"{self.translations.get(target, '[' + target + ']')} {body['Text']}"
        return response(
            request,
            200,
            {
                "TranslatedText": text,
                "SourceLanguageCode": body["SourceLanguageCode"],
                "TargetLanguageCode": target,
            },
            {"Content-Type": "application/x-amz-json-1.1"},
        )

    def on_post(self, request: AWSPreparedRequest, **_: Any) -> Any:
        connection_id = unquote(request.url.rsplit("/@connections/", 1)[1])
        if self.before_post is not None:
            self.before_post(connection_id)
        injected = self._injected("PostToConnection", connection_id, request)
        if injected is not None:
            return injected
        data = request.body
        self.posts.append((connection_id, data if isinstance(data, bytes) else str(data).encode()))
        return response(request, 200, None)


def install_faulty_aws(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> FaultyAws:
    """Install a runtime on production-configured clients answered by a FaultyAws."""
    sleeps: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=sleeps.append))
    clients = app.Clients.create(settings)
    # The fakes answer boto3's requests at before-send, so the outbox posts through boto3 here
    # (no credentials for the lean path); the lean PostToConnection's wire, faults and deadlines
    # are tested against a real HTTP server (unit/test_lean_post.py) and through the local cloud.
    clients.credentials = None
    fake = FaultyAws(clients=clients, sleeps=sleeps)
    # Every handler of an event runs: moto must not also answer (or write) what we answer.
    for client in (clients.dynamodb, clients.comprehend, clients.translate):
        client.meta.events.unregister("before-send", botocore_stubber)
    clients.dynamodb.meta.events.register_first("before-send.dynamodb", fake.on_dynamodb)
    clients.comprehend.meta.events.register_first("before-send.comprehend", fake.on_comprehend)
    clients.translate.meta.events.register_first("before-send.translate", fake.on_translate)
    make_management = clients.management_api

    def management_api(endpoint: str | None) -> Any:
        client = make_management(endpoint)
        client.meta.events.unregister("before-send", botocore_stubber)
        client.meta.events.register_first("before-send.apigatewaymanagementapi", fake.on_post)
        return client

    clients.management_api = management_api
    fake.runtime = app.Runtime(
        settings=settings, clients=clients, clock=StepClock(), sleep=sleeps.append
    )
    app.install_runtime(fake.runtime)
    return fake


@pytest.fixture
def faulty_aws(
    harness: Harness, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultyAws]:
    """The handler on production-configured clients with injectable faults (moto for tables)."""
    del harness  # for its moto tables, seeding helpers and clean-up only
    fake = install_faulty_aws(settings, monkeypatch)
    yield fake
    fake.runtime.fanout_pool.shutdown(wait=True)
    fake.runtime.translate_pool.shutdown(wait=True)


# --- Helpers --------------------------------------------------------------------------------

# Config(retries={"mode": "standard", "max_attempts": 3}) in app.py: 3 retries = 4 attempts.
ATTEMPTS = 4
# Comprehend and Translate: their ServiceGuard's attempts (resilience.CallPolicy).
LANGUAGE_ATTEMPTS = ResiliencePolicy().comprehend.attempts
assert ResiliencePolicy().translate.attempts == LANGUAGE_ATTEMPTS
TEXT = "Lovely picnic in Paris"  # 22 characters: language detection runs
SHORT = "hello all"  # under 20 characters: no detection


def seed_room(harness: Harness, *readers: tuple[str, str]) -> None:
    """Ana (en, v2) and each (connection id, lang) reader, all in the lobby."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    for connection_id, lang in readers:
        harness.seed_connection(connection_id, "lobby", lang, connection_id.split("-")[-1].title())


def post(harness: Harness, content: str = SHORT, client_id: str | None = "m1") -> None:
    """Ana posts ``content`` (with a client id unless None)."""
    frame: dict[str, Any] = {"action": "message", "content": content}
    if client_id is not None:
        frame["id"] = client_id
    harness.send("a-ana", frame)


def topic_counts(harness: Harness) -> dict[str, int]:
    """The lobby's topic counters."""
    items = harness.dynamodb.scan(TableName=TOPICS)["Items"]
    return {i["topic"]["S"]: int(i["num"]["N"]) for i in items if i["room"]["S"] == "lobby"}


# --- Comprehend -------------------------------------------------------------------------------


def test_fault_comprehend_throttled_is_retried_with_backoff_then_held(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """Throttled DetectSentiment: 3 attempts with backoff, then held; the room sees nothing."""
    seed_room(harness, ("b-bo", "en"))
    throttled = json_error("ThrottlingException", 400)
    faulty_aws.fail("DetectSentiment", "en", throttled, times=LANGUAGE_ATTEMPTS)
    post(harness)
    assert faulty_aws.count("DetectSentiment") == LANGUAGE_ATTEMPTS
    assert len(faulty_aws.sleeps) == LANGUAGE_ATTEMPTS - 1
    assert all(delay >= 0 for delay in faulty_aws.sleeps)
    [held] = faulty_aws.frames("a-ana")
    assert (held["type"], held["reason"], held["id"]) == ("held", "SERVICE_UNAVAILABLE", "m1")
    assert faulty_aws.frames("b-bo") == []
    [item] = harness.message_items("lobby")
    assert (item["status"]["S"], item["review"]["S"]) == ("held", "pending")


def test_fault_comprehend_throttled_once_recovers_and_publishes(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """One throttle is absorbed by the guard's retry: the message is published as usual."""
    seed_room(harness, ("b-bo", "en"))
    faulty_aws.fail("DetectSentiment", "en", json_error("ThrottlingException", 400))
    post(harness)
    assert faulty_aws.count("DetectSentiment") == 2
    assert len(faulty_aws.sleeps) == 1
    ack, _own = faulty_aws.frames("a-ana")
    assert ack["status"] == "published"
    assert faulty_aws.frames("b-bo")[0]["content"] == SHORT


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalServerException", 500), ("ServiceUnavailableException", 503)],
    ids=["500", "503"],
)
def test_fault_comprehend_erroring_is_held(
    harness: Harness, faulty_aws: FaultyAws, code: str, status: int
) -> None:
    """A Comprehend 5xx on every attempt holds the message for review; nothing is published."""
    seed_room(harness, ("b-bo", "en"))
    faulty_aws.fail("DetectSentiment", "en", json_error(code, status), times=LANGUAGE_ATTEMPTS)
    post(harness)
    assert faulty_aws.frames("a-ana")[0]["type"] == "held"
    assert faulty_aws.frames("b-bo") == []


def test_fault_comprehend_slow_times_out_and_is_held(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """A Comprehend that never answers hits the read timeout on each attempt: held, not hung."""
    from botocore.exceptions import ReadTimeoutError

    def hang(request: AWSPreparedRequest) -> AWSResponse:
        raise ReadTimeoutError(endpoint_url=request.url)

    seed_room(harness)
    faulty_aws.fail("DetectSentiment", "en", hang, times=LANGUAGE_ATTEMPTS)
    post(harness)
    assert faulty_aws.count("DetectSentiment") == LANGUAGE_ATTEMPTS
    assert faulty_aws.frames("a-ana")[0]["type"] == "held"


def test_fault_language_detection_down_falls_back_to_the_senders_language(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """DetectDominantLanguage failing costs nothing visible: the sender's language is used."""
    seed_room(harness, ("b-bo", "en"))
    faulty_aws.fail(
        "DetectDominantLanguage", "", json_error("InternalServerException", 500), LANGUAGE_ATTEMPTS
    )
    post(harness, TEXT)
    ack, own = faulty_aws.frames("a-ana")
    assert (ack["status"], own["lang"]) == ("published", "en")


def test_fault_entities_down_publishes_without_topics(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """The text was checked; DetectEntities failing only loses its topics."""
    seed_room(harness, ("b-bo", "en"))
    throttled = json_error("ThrottlingException", 400)
    faulty_aws.fail("DetectEntities", "en", throttled, times=LANGUAGE_ATTEMPTS)
    post(harness)
    assert faulty_aws.frames("b-bo")[0]["topics"] == {}
    assert topic_counts(harness) == {}


# --- Translate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 429),
        ("InternalServerException", 500),
        ("ServiceUnavailableException", 503),
        ("UnsupportedLanguagePairException", 400),
    ],
    ids=["throttled", "500", "503", "unsupported-pair"],
)
def test_fault_translate_failing_delivers_the_original_marked(
    harness: Harness, faulty_aws: FaultyAws, code: str, status: int
) -> None:
    """Translate failing for one language: its readers get the original, marked; others are fine."""
    seed_room(harness, ("b-bo", "fr"), ("c-cy", "de"))
    faulty_aws.fail("TranslateText", "fr", json_error(code, status), times=LANGUAGE_ATTEMPTS)
    post(harness)
    [bo] = faulty_aws.frames("b-bo")
    assert (bo["text"], bo["translation"]) == (SHORT, "unavailable")
    [cy] = faulty_aws.frames("c-cy")
    assert (cy["text"], cy["translation"]) == (f"[de] {SHORT}", "translated")
    [item] = harness.message_items("lobby")
    assert set(item["translations"]["M"]) == {"de"}  # a failed language is not saved


# --- DynamoDB -----------------------------------------------------------------------------------


def test_fault_dynamodb_throttled_store_retries_then_refuses_with_nothing_written(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """Messages PutItem throttled: 4 attempts with backoff, SERVICE_UNAVAILABLE, nothing kept."""
    seed_room(harness, ("b-bo", "en"))
    faulty_aws.entities[TEXT] = ["Paris"]
    throttled = json_error("ProvisionedThroughputExceededException", 400, "1.0")
    faulty_aws.fail("PutItem", MESSAGES, throttled, times=ATTEMPTS)
    post(harness, TEXT)
    assert faulty_aws.count("PutItem", MESSAGES) == ATTEMPTS
    assert len(faulty_aws.sleeps) == ATTEMPTS - 1
    [error] = faulty_aws.frames("a-ana")
    assert (error["type"], error["code"], error["id"]) == ("error", "SERVICE_UNAVAILABLE", "m1")
    assert faulty_aws.frames("b-bo") == []
    assert harness.message_items("lobby") == []
    assert topic_counts(harness) == {"Paris": 0}  # its topic count was given back
    post(harness, "next one", client_id="m2")
    _ack, own = faulty_aws.frames("a-ana")
    assert own["roomTopics"] == []  # a count given back is no topic of the room


def test_fault_dynamodb_recovered_resend_is_processed_once(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """After a refused store, the same client id resent is processed (and then only once)."""
    seed_room(harness, ("b-bo", "en"))
    throttled = json_error("ThrottlingException", 400, "1.0")
    faulty_aws.fail("PutItem", MESSAGES, throttled, times=ATTEMPTS)
    post(harness)
    assert faulty_aws.frames("a-ana")[0]["code"] == "SERVICE_UNAVAILABLE"
    post(harness)
    ack, _own = faulty_aws.frames("a-ana")
    assert ack["type"] == "ack"
    post(harness)
    assert faulty_aws.frames("a-ana") == [ack]
    assert len(faulty_aws.frames("b-bo")) == 1
    assert len(harness.message_items("lobby")) == 1


def test_fault_dynamodb_throttled_connection_read_refuses_cleanly(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """The Connections table throttled: SERVICE_UNAVAILABLE, nothing analysed or stored."""
    seed_room(harness)
    faulty_aws.fail("GetItem", CONNECTIONS, json_error("ThrottlingException", 400, "1.0"), ATTEMPTS)
    post(harness)
    [error] = faulty_aws.frames("a-ana")
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert faulty_aws.count("DetectSentiment") == 0
    assert harness.message_items("lobby") == []


def test_fault_dynamodb_throttled_during_fan_out_keeps_the_ack_true(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """Stored and acked, then the room query fails: no contradicting error; history has it."""
    seed_room(harness, ("b-bo", "en"))
    throttled = json_error("ThrottlingException", 400, "1.0")
    real_post = faulty_aws.on_dynamodb

    acked: list[bool] = []

    def query_fails_after_ack(request: AWSPreparedRequest, event_name: str, **kw: Any) -> Any:
        if event_name.endswith(".Query") and acked and b"ByRoom" in request.body:
            return throttled(request)
        return real_post(request, event_name=event_name, **kw)

    faulty_aws.before_post = lambda cid: acked.append(True)
    faulty_aws.clients.dynamodb.meta.events.unregister(
        "before-send.dynamodb", faulty_aws.on_dynamodb
    )
    faulty_aws.clients.dynamodb.meta.events.register_first(
        "before-send.dynamodb", query_fails_after_ack
    )
    post(harness)
    frames = faulty_aws.frames("a-ana")
    assert [f["type"] for f in frames] == ["ack"]
    [item] = harness.message_items("lobby")
    assert item["msgId"]["S"] == frames[0]["messageId"]
    # Bo was missed; a resume from before the message brings it (see the timeout test too).


def test_fault_dynamodb_topic_count_failing_midway_takes_back_what_was_added(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """Two topics, the second ADD throttled out: the first is taken back, nothing is stored."""
    seed_room(harness)
    faulty_aws.entities[TEXT] = ["Paris", "picnic"]
    adds = 0

    def second_add_fails(request: AWSPreparedRequest, event_name: str, **kw: Any) -> Any:
        nonlocal adds
        if event_name.endswith(".UpdateItem") and _body(request).get("TableName") == TOPICS:
            adds += 1
            if 2 <= adds <= 1 + ATTEMPTS:  # every attempt of the second topic's ADD
                return json_error("ThrottlingException", 400, "1.0")(request)
        return faulty_aws.on_dynamodb(request, event_name=event_name, **kw)

    faulty_aws.clients.dynamodb.meta.events.unregister(
        "before-send.dynamodb", faulty_aws.on_dynamodb
    )
    faulty_aws.clients.dynamodb.meta.events.register_first("before-send.dynamodb", second_add_fails)
    post(harness, TEXT)
    assert faulty_aws.frames("a-ana")[0]["code"] == "SERVICE_UNAVAILABLE"
    assert topic_counts(harness) == {"Paris": 0}
    assert harness.message_items("lobby") == []


# --- @connections -------------------------------------------------------------------------------


def test_fault_connections_gone_throttled_and_erroring_readers(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """410 readers are pruned and announced; 429 is retried and delivered; 5xx is given up alone."""
    seed_room(harness, ("b-bo", "en"), ("c-cy", "en"), ("d-dan", "en"), ("e-eve", "en"))
    faulty_aws.fail("PostToConnection", "b-bo", rest_error("GoneException", 410))
    faulty_aws.fail("PostToConnection", "c-cy", rest_error("LimitExceededException", 429), 2)
    faulty_aws.fail(
        "PostToConnection", "d-dan", rest_error("InternalServerErrorException", 500), ATTEMPTS
    )
    post(harness)
    ack, own = faulty_aws.frames("a-ana")[:2]
    assert (ack["type"], own["content"]) == ("ack", SHORT)
    assert faulty_aws.count("PostToConnection", "b-bo") == 1  # 410 is final: no retry
    assert harness.connection_item("b-bo") is None
    assert [f["content"] for f in faulty_aws.frames("c-cy") if f["type"] == "message"] == [SHORT]
    assert faulty_aws.count("PostToConnection", "c-cy") >= 3  # 2 throttles, then delivered
    assert [f for f in faulty_aws.frames("d-dan") if f["type"] == "message"] == []
    assert harness.connection_item("d-dan") is not None  # a 5xx is not proof the socket is gone
    eve = faulty_aws.frames("e-eve")
    assert [f["type"] for f in eve] == ["message", "presence"]
    assert (eve[1]["event"], eve[1]["user"]) == ("leave", "Bo")


# --- Timeout mid fan-out, and resending -------------------------------------------------------


def test_fault_timeout_mid_fan_out_loses_nothing(harness: Harness, faulty_aws: FaultyAws) -> None:
    """Lambda killed after the ack mid fan-out: readers who missed it get it on resume, once."""
    seed_room(harness, ("b-bo", "en"), ("c-cy", "en"))
    last_seen = "00000000000000-0000000000"

    def killed_at_cy(connection_id: str) -> None:
        if connection_id == "c-cy":
            raise Kill

    faulty_aws.before_post = killed_at_cy
    with pytest.raises(Kill):
        post(harness, client_id="m-timeout")
    faulty_aws.before_post = None
    ack = faulty_aws.frames("a-ana")[0]
    assert ack["type"] == "ack"
    [item] = harness.message_items("lobby")
    assert item["msgId"]["S"] == ack["messageId"]
    assert faulty_aws.frames("c-cy") == []

    # Cy reconnects and resumes after the newest message it had: the missed one comes, once.
    harness.send(
        "c-cy2",
        {
            "action": "init",
            "v": 2,
            "room": "lobby",
            "lang": "en",
            "user": "Cy",
            "after": last_seen,
            "id": "j",
        },
    )
    history = next(f for f in faulty_aws.frames("c-cy2") if f["type"] == "history")
    assert [m["messageId"] for m in history["messages"]] == [ack["messageId"]]

    # Ana's client never saw the end of it and resends: same ack, nothing delivered again.
    faulty_aws.frames("b-bo")
    faulty_aws.frames("a-ana")  # Cy's presence
    post(harness, client_id="m-timeout")
    assert faulty_aws.frames("a-ana") == [ack]
    assert faulty_aws.frames("b-bo") == []
    assert len(harness.message_items("lobby")) == 1


def test_fault_resend_after_reconnect_in_a_new_environment_is_acked_once(
    harness: Harness, faulty_aws: FaultyAws, settings: Settings
) -> None:
    """Same client id from a new connection, on a fresh Lambda environment: same ack, one copy."""
    seed_room(harness, ("b-bo", "en"))
    post(harness, client_id="m-42")
    ack, _own = faulty_aws.frames("a-ana")
    assert len(faulty_aws.frames("b-bo")) == 1

    fresh = app.Runtime(settings=settings, clients=faulty_aws.clients, clock=StepClock())
    app.install_runtime(fresh)
    try:
        harness.seed_connection("a-ana2", "lobby", "en", "Ana")
        harness.send("a-ana2", {"action": "message", "content": SHORT, "id": "m-42"})
        assert faulty_aws.frames("a-ana2") == [ack]
    finally:
        fresh.fanout_pool.shutdown()
        fresh.translate_pool.shutdown()
    assert faulty_aws.frames("b-bo") == []
    assert len(harness.message_items("lobby")) == 1
    assert faulty_aws.count("DetectSentiment") == 1


def test_fault_same_client_id_from_another_user_is_another_message(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """Client ids are per user: Bo reusing Ana's id is not swallowed as her duplicate."""
    seed_room(harness, ("b-bo", "en"))
    post(harness, client_id="shared-1")
    harness.send("b-bo", {"action": "message", "content": "hi from bo", "id": "shared-1"})
    contents = sorted(i["content"]["S"] for i in harness.message_items("lobby"))
    assert contents == [SHORT, "hi from bo"]


def test_fault_idempotency_table_down_refuses_without_storing(
    harness: Harness, faulty_aws: FaultyAws
) -> None:
    """The idempotency table throttled: SERVICE_UNAVAILABLE, nothing analysed, nothing stored."""
    seed_room(harness)
    faulty_aws.fail("PutItem", IDEMPOTENCY, json_error("ThrottlingException", 400, "1.0"), ATTEMPTS)
    post(harness)
    assert faulty_aws.frames("a-ana")[0]["code"] == "SERVICE_UNAVAILABLE"
    assert faulty_aws.count("DetectSentiment") == 0
    assert harness.message_items("lobby") == []
