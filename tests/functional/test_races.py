"""Races between concurrent invocations of one connection (issue 13, finding 5), with real
concurrency: each frame is an invocation on its own thread, as API Gateway runs a connection's
frames at the same time on several Lambda execution environments.

DynamoDB is moto (tables from template.yaml) behind one lock per request, so each request is
atomic as DynamoDB's are, while everything between requests runs concurrently (moto itself is
not thread-safe). Comprehend and @connections are answered by thread-safe fakes at botocore's
``before-send`` (a Stubber expects one order of calls; racing threads have none): DetectSentiment
can be slowed per text, so invocations finish in the order a test wants.

Findings reproduced: 10 rapid messages stored out of order; 4 back-to-back v1 frames binding a
later frame's name; a burst on a fresh bucket refused (lost optimistic-concurrency races); 60
simultaneous wrong moderator secrets all evaluated (the lockout read, then incremented).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from conftest import EVENTS, REGION, TABLES, Backend, Harness
from positive_chat import app
from positive_chat.adapters.resilience import ResiliencePolicy
from positive_chat.config import MOD_AUTH_MAX_FAILURES, RATE_LIMIT_BURST, Settings
from positive_chat.domain import moderator_signin
from positive_chat.protocol.gateway_event import GatewayEvent

ROOM = "lobby"
START = 1_763_900_000_000
SECRET = "correct horse battery staple"
PARAMETER = "/positive-chat/moderator-secret-races"


class LockedClient:
    """A DynamoDB client whose requests run one at a time (each is atomic, as in DynamoDB)."""

    def __init__(self, client: Any, lock: threading.Lock) -> None:
        self._client = client
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_"):
            return attribute

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return locked


class _Raw:
    """The raw body botocore reads a response from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _response(url: str, payload: Mapping[str, Any] | None = None) -> AWSResponse:
    body = json.dumps(payload or {}).encode()
    return AWSResponse(url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))


@dataclass
class FakeAws:
    """Thread-safe Comprehend and @connections: every text is POSITIVE with no entities, and
    every post succeeds and is recorded."""

    slow: Callable[[str], float] = lambda _text: 0.0  # seconds DetectSentiment takes per text
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def comprehend(self, request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().rpartition(".")[2]
        body = json.loads(request.body)
        if operation == "DetectSentiment":
            time.sleep(self.slow(body["Text"]))
            scores = {"Positive": 0.97, "Negative": 0.01, "Neutral": 0.01, "Mixed": 0.01}
            return _response(request.url, {"Sentiment": "POSITIVE", "SentimentScore": scores})
        if operation == "DetectEntities":
            return _response(request.url, {"Entities": []})
        raise AssertionError(f"unexpected Comprehend call {operation}")

    def management(self, request: Any, **_: Any) -> AWSResponse:
        connection_id = unquote(request.url.rpartition("/@connections/")[2])
        if request.method == "GET":  # GetConnection: every connection is open
            return _response(request.url, {"connectedAt": "2025-11-23T12:00:00Z"})
        with self.lock:
            self.posts.append((connection_id, json.loads(request.body)))
        return _response(request.url)

    def frames(self, connection_id: str) -> list[dict[str, Any]]:
        """Every frame posted to ``connection_id``, in the order the posts were made."""
        with self.lock:
            return [frame for cid, frame in self.posts if cid == connection_id]


class FrozenClock:
    """The time does not move (no token is earned back during a burst)."""

    def now_ms(self) -> int:
        return START


class NoMetrics:
    """Counts nothing (Powertools' Metrics object is one per invocation, not per thread)."""

    def count(self, name: str, value: float = 1) -> None:
        del name, value


@dataclass
class Cloud:
    """Several execution environments sharing one DynamoDB, and a way to run frames at once."""

    runtimes: list[app.Runtime]
    fake: FakeAws
    dynamodb: Any

    def event(
        self, connection_id: str, frame: Mapping[str, Any], *, at: int, ip: str = "49.105.91.154"
    ) -> dict[str, Any]:
        """A MESSAGE event API Gateway received at ``at`` (epoch ms)."""
        event: dict[str, Any] = json.loads((EVENTS / "message.json").read_text("utf-8"))
        context = event["requestContext"]
        context["connectionId"] = connection_id
        context["requestTimeEpoch"] = at
        context["identity"]["sourceIp"] = ip
        event["body"] = json.dumps(frame)
        return event

    def invoke(self, index: int, event: dict[str, Any]) -> dict[str, Any]:
        """One invocation on environment ``index`` (the handler's body, without Powertools'
        per-invocation decorators, which hold one invocation's state per process)."""
        runtime = self.runtimes[index % len(self.runtimes)]
        view = GatewayEvent.of(event)
        return runtime.router.resolve(view, runtime.outbox_for(view))

    def run_at_once(self, events: list[dict[str, Any]], *, stagger: float = 0.0) -> None:
        """Invoke every event on its own thread: all at once, or started ``stagger`` s apart
        in list order (each frame reaches its environment a little after the one before)."""
        barrier = threading.Barrier(len(events))

        def run(index: int) -> dict[str, Any]:
            barrier.wait()
            time.sleep(stagger * index)
            return self.invoke(index, events[index])

        with ThreadPoolExecutor(len(events)) as pool:
            results = list(pool.map(run, range(len(events))))
        assert all(r == {"statusCode": 200} for r in results), results

    def seed(self, connection_id: str, *, user: str | None, version: int = 2) -> None:
        """A Connections item as an init into ``lobby`` leaves it."""
        item = {
            "connectionId": {"S": connection_id},
            "room": {"S": ROOM},
            "lang": {"S": "en"},
            "v": {"N": str(version)},
            "role": {"S": "user"},
            "connectedAt": {"N": str(START - 60_000)},
            "ttl": {"N": str(START // 1000 + 8100)},
        }
        if user is not None:
            item["user"] = {"S": user}
        self.dynamodb.put_item(TableName=TABLES["ConnectionsTable"], Item=item)

    def stored(self) -> list[dict[str, Any]]:
        """The room's messages in sort-key order (as history reads them)."""
        response = self.dynamodb.query(
            TableName=TABLES["MessagesTable"],
            KeyConditionExpression="room = :r",
            ExpressionAttributeValues={":r": {"S": ROOM}},
        )
        return [
            {"id": i["msgId"]["S"], "user": i["user"]["S"], "content": i["content"]["S"]}
            for i in response["Items"]
        ]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Production-sized pools and bucket, moderation configured."""
    return replace(
        settings,
        fanout_workers=4,
        translate_workers=4,
        moderation_table=TABLES["ModerationTable"],
        moderator_secret_parameter=PARAMETER,
    )


@pytest.fixture
def cloud(harness: Harness, backend: Backend, settings: Settings) -> Iterator[Cloud]:
    """Four execution environments on the harness's (emptied) moto tables."""
    del harness  # only for its clean tables and its runtime's tear-down
    fake = FakeAws()
    session = boto3.session.Session(region_name=REGION)
    # Endpoints moto does not claim, so the fakes answer (registered first, before moto's).
    comprehend = session.client("comprehend", endpoint_url="http://comprehend.fake.invalid")
    comprehend.meta.events.register_first("before-send.comprehend", fake.comprehend)
    translate = session.client("translate")
    management = session.client(
        "apigatewaymanagementapi", endpoint_url="http://gateway.fake.invalid/prod"
    )
    management.meta.events.register_first(
        "before-send.apigatewaymanagementapi", fake.management
    )
    ssm = session.client("ssm")
    ssm.put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True)
    dynamodb = LockedClient(backend.dynamodb, threading.Lock())
    clients = app.Clients(
        dynamodb=dynamodb,  # type: ignore[arg-type]
        comprehend=comprehend,
        translate=translate,
        management_api=lambda _endpoint: management,
        ssm=ssm,
    )
    runtimes = [
        app.Runtime(
            settings=settings,
            clients=clients,
            clock=FrozenClock(),
            metrics_sink=NoMetrics(),
            resilience=ResiliencePolicy.single_attempt(),
        )
        for _ in range(4)
    ]
    try:
        yield Cloud(runtimes=runtimes, fake=fake, dynamodb=dynamodb)
    finally:
        for runtime in runtimes:
            runtime.fanout_pool.shutdown(wait=True)
            runtime.translate_pool.shutdown(wait=True)
        ssm.delete_parameter(Name=PARAMETER)


def messages(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f.get("type") == "message"]


# --- Order ------------------------------------------------------------------------------------


def test_race_ten_rapid_messages_are_stored_and_delivered_in_send_order(cloud: Cloud) -> None:
    """Ten messages sent back to back (the gateway stamps them 1 ms apart), whose invocations
    finish in reverse (the earlier a line, the slower its check): history holds them as sent,
    and every reader's live frames, shown in id order (as the page and the tester client show
    them), read as sent too."""
    cloud.seed("a-ana", user="Ana")
    cloud.seed("b-bo", user="Bo")
    lines = [f"line {n}" for n in range(1, 11)]
    cloud.fake.slow = lambda text: 0.02 * (11 - int(text.split()[1]))
    events = [
        cloud.event("a-ana", {"action": "message", "content": line, "id": f"m{n}"}, at=START + n)
        for n, line in enumerate(lines)
    ]
    cloud.run_at_once(events, stagger=0.003)

    assert [m["content"] for m in cloud.stored()] == lines
    for reader in ("a-ana", "b-bo"):
        live = messages(cloud.fake.frames(reader))
        assert len(live) == 10
        # They did arrive out of order (the race is real)...
        assert [f["content"] for f in live] != lines
        # ...and sorted by id, as the clients insert them, they read as sent.
        assert [f["content"] for f in sorted(live, key=lambda f: f["messageId"])] == lines
    acks = {f["id"]: f["messageId"] for f in cloud.fake.frames("a-ana") if f["type"] == "ack"}
    assert [acks[f"m{n}"] for n in range(10)] == sorted(acks.values())
    assert all(re.fullmatch(r"[0-9]{14}-[0-9A-HJKMNP-TV-Z]{10}", i) for i in acks.values())


def test_race_messages_of_one_millisecond_keep_one_order_everywhere(cloud: Cloud) -> None:
    """Frames the gateway stamps with the same millisecond are ordered by the number each one's
    invocation drew (the documented limit: usually, not always, the send order). Whatever that
    order is, it is the same in history, in every reader's id-ordered view and in the acks; the
    numbers are distinct and unique per connection."""
    cloud.seed("a-ana", user="Ana")
    cloud.seed("b-bo", user="Bo")
    lines = [f"line {n}" for n in range(1, 11)]
    cloud.fake.slow = lambda text: 0.02 * (11 - int(text.split()[1]))
    events = [
        cloud.event("a-ana", {"action": "message", "content": line, "id": f"m{n}"}, at=START)
        for n, line in enumerate(lines)
    ]
    cloud.run_at_once(events, stagger=0.003)

    history = [m["content"] for m in cloud.stored()]
    assert sorted(history) == sorted(lines)
    for reader in ("a-ana", "b-bo"):
        live = sorted(messages(cloud.fake.frames(reader)), key=lambda f: f["messageId"])
        assert [f["content"] for f in live] == history
    ids = [m["id"] for m in cloud.stored()]
    assert len({i[15:19] for i in ids}) == 10  # ten distinct frame numbers, in id order


# --- v1 name binding --------------------------------------------------------------------------


def test_race_v1_back_to_back_frames_bind_the_first_frames_name(cloud: Cloud) -> None:
    """Four v1 first messages, each with another name, sent 1 ms apart; their invocations start
    in reverse order. The first frame's name is bound, every message carries it, and the room
    is told once."""
    cloud.seed("v-one", user=None, version=1)
    cloud.seed("b-bo", user="Bo")
    names = ["First", "Second", "Third", "Fourth"]
    events = [
        cloud.event("v-one", {"action": "message", "user": name, "content": f"hi {n}"},
                    at=START + n)
        for n, name in enumerate(names)
    ]
    cloud.run_at_once(list(reversed(events)), stagger=0.01)

    stored = cloud.stored()
    assert sorted(m["content"] for m in stored) == ["hi 0", "hi 1", "hi 2", "hi 3"]
    assert {m["user"] for m in stored} == {"First"}
    item = cloud.dynamodb.get_item(
        TableName=TABLES["ConnectionsTable"], Key={"connectionId": {"S": "v-one"}}
    )["Item"]
    assert item["user"]["S"] == "First"
    joins = [f for f in cloud.fake.frames("b-bo") if f.get("type") == "presence"]
    assert [(f["event"], f["user"]) for f in joins] == [("join", "First")]
    live = messages(cloud.fake.frames("b-bo"))
    assert [f["content"] for f in sorted(live, key=lambda f: f["messageId"])] == [
        "hi 0", "hi 1", "hi 2", "hi 3"
    ]


# --- Rate limit -------------------------------------------------------------------------------


@pytest.mark.parametrize("frames", [15, RATE_LIMIT_BURST])
def test_race_burst_on_a_fresh_bucket_is_never_refused_under_the_limit(
    cloud: Cloud, frames: int
) -> None:
    """15 or 30 frames at once on a fresh 30-token bucket: every one is served; the 31st (the
    clock stands still: no token earned back) is RATE_LIMITED."""
    cloud.seed("a-ana", user="Ana")
    events = [
        cloud.event("a-ana", {"action": "ping", "id": f"p{n}"}, at=START) for n in range(frames)
    ]
    cloud.run_at_once(events)
    answers = cloud.fake.frames("a-ana")
    assert sorted(f["type"] for f in answers) == ["pong"] * frames

    rest = [
        cloud.event("a-ana", {"action": "ping", "id": f"q{n}"}, at=START)
        for n in range(RATE_LIMIT_BURST + 1 - frames)
    ]
    cloud.run_at_once(rest)
    answers = cloud.fake.frames("a-ana")
    codes = sorted(f.get("code", f["type"]) for f in answers)
    assert codes == ["RATE_LIMITED"] + ["pong"] * RATE_LIMIT_BURST


# --- Moderator sign-in lockout ----------------------------------------------------------------


def test_race_sixty_simultaneous_wrong_secrets_are_evaluated_at_most_five_times(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 connections from one address send a wrong secret at the same moment: at most 5 are
    evaluated (a spy on the comparison counts them); the others are AUTH_THROTTLED unevaluated.
    The right secret is then refused too until the window ends."""
    evaluated: list[str] = []
    lock = threading.Lock()
    real = moderator_signin.secrets_match

    def spy(given: str, expected: str) -> bool:
        with lock:
            evaluated.append(given)
        return real(given, expected)

    monkeypatch.setattr(moderator_signin, "secrets_match", spy)
    events = [
        cloud.event(f"g-{n:02d}", {"action": "mod.auth", "secret": f"guess number {n}"},
                    at=START, ip="203.0.113.9")
        for n in range(60)
    ]
    cloud.run_at_once(events)

    assert len(evaluated) == MOD_AUTH_MAX_FAILURES
    codes = [cloud.fake.frames(f"g-{n:02d}")[0]["code"] for n in range(60)]
    assert codes.count("AUTH_FAILED") == MOD_AUTH_MAX_FAILURES
    assert codes.count("AUTH_THROTTLED") == 60 - MOD_AUTH_MAX_FAILURES

    cloud.invoke(0, cloud.event("g-right", {"action": "mod.auth", "secret": SECRET},
                                at=START, ip="203.0.113.9"))
    assert cloud.fake.frames("g-right")[0]["code"] == "AUTH_THROTTLED"
    assert len(evaluated) == MOD_AUTH_MAX_FAILURES


def test_race_right_secret_gives_its_attempt_back(cloud: Cloud) -> None:
    """Policy: the counter counts failures (an attempt is counted before it is evaluated and a
    right secret gives it back), so a moderator who signs in often is never locked out."""
    for n in range(MOD_AUTH_MAX_FAILURES + 3):
        cloud.invoke(0, cloud.event(f"m-{n}", {"action": "mod.auth", "secret": SECRET},
                                    at=START, ip="198.51.100.7"))
        assert cloud.fake.frames(f"m-{n}")[0]["type"] == "review.authenticated"
    for n in range(MOD_AUTH_MAX_FAILURES):
        cloud.invoke(0, cloud.event(f"w-{n}", {"action": "mod.auth", "secret": "nope nope"},
                                    at=START, ip="198.51.100.7"))
        assert cloud.fake.frames(f"w-{n}")[0]["code"] == "AUTH_FAILED"
    cloud.invoke(0, cloud.event("m-late", {"action": "mod.auth", "secret": SECRET},
                                at=START, ip="198.51.100.7"))
    assert cloud.fake.frames("m-late")[0]["code"] == "AUTH_THROTTLED"


# --- Unique names -----------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(5))
def test_race_two_joins_with_one_name_exactly_one_wins(cloud: Cloud, attempt: int) -> None:
    """Two connections init "Ana" and "ana" at the same moment on different environments:
    one joins, the other gets NAME_TAKEN, and the room holds one Ana (repeated: the winner
    varies with the interleaving)."""
    del attempt
    events = [
        cloud.event(
            cid,
            {"action": "init", "v": 2, "room": ROOM, "lang": "en", "user": name, "id": "j"},
            at=START,
        )
        for cid, name in (("n-1", "Ana"), ("n-2", "ana"))
    ]
    cloud.run_at_once(events)
    firsts = {cid: cloud.fake.frames(cid)[0] for cid in ("n-1", "n-2")}
    kinds = sorted(frame["type"] for frame in firsts.values())
    assert kinds == ["error", "joined"]
    [refused] = [frame for frame in firsts.values() if frame["type"] == "error"]
    assert refused["code"] == "NAME_TAKEN"
    members = cloud.dynamodb.query(
        TableName=TABLES["ConnectionsTable"],
        IndexName="ByRoom",
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": ROOM}},
    )["Items"]
    assert len(members) == 1
