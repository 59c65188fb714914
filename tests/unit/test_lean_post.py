"""The lean PostToConnection (adapters/lean_post.py) against a real HTTP server on 127.0.0.1.

Every request the server receives is recorded (method, path, headers, body, client port), and
its answers are scripted per request, so the lean request is compared with the one boto3's own
client sends for the same call, and the error mapping with the errors boto3 raises.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.exceptions import ClientError, ReadTimeoutError
from positive_chat.adapters.connections_api import ConnectionsApi
from positive_chat.adapters.lean_post import LeanConnectionsApi, PostPolicy
from positive_chat.adapters.resilience import Deadline, DeadlineExceeded, DeadlineSlot
from positive_chat.domain.errors import ConnectionGoneError

REGION = "eu-west-1"
CONNECTION_ID = "L0SM9cOFvHcCIhw=/+x"  # '=', '/' and '+' must be quoted as boto3 quotes them
FRAME = b'{"type":"message","text":"hola"}'


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    port: int


@dataclass
class Answer:
    status: int = 200
    error_type: str | None = None
    delay: float = 0.0


@dataclass
class FakeConnectionsServer:
    """@connections on 127.0.0.1:0: answers from ``script`` (then 200), records every request."""

    script: list[Answer] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.seen.append(
                    Seen("POST", self.path, dict(self.headers.items()), body,
                         self.client_address[1])
                )
                answer = owner.script.pop(0) if owner.script else Answer()
                if answer.delay:
                    time.sleep(answer.delay)
                payload = b"" if answer.status == 200 else b'{"message": "refused"}'
                self.send_response(answer.status)
                if answer.error_type:
                    self.send_header("x-amzn-ErrorType", answer.error_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # GetConnection
                owner.seen.append(Seen("GET", self.path, dict(self.headers.items()), b"",
                                       self.client_address[1]))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/prod"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[FakeConnectionsServer]:
    fake = FakeConnectionsServer()
    fake.url = fake.start()
    yield fake
    fake.stop()


def _client(endpoint: str | None, *, retries: int = 3) -> Any:
    return boto3.session.Session().client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        aws_session_token="session-token",
        config=Config(retries={"mode": "standard", "max_attempts": retries}),
    )


STATIC = Credentials("AKIDEXAMPLE", "secret", "session-token")


def _lean(
    client: Any,
    *,
    slot: DeadlineSlot | None = None,
    credentials: Any = STATIC,
    policy: PostPolicy | None = None,
    sleeps: list[float] | None = None,
) -> LeanConnectionsApi:
    waits = sleeps if sleeps is not None else []
    return LeanConnectionsApi(
        client,
        lambda: credentials,
        slot or DeadlineSlot(),
        reserve=0.2,
        pool_size=4,
        policy=policy,
        sleep=waits.append,
        jitter=lambda: 0.5,
    )


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime.datetime(2026, 12, 3, 18, 0, 0)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: moment)


SIGNED = ("authorization", "x-amz-date", "x-amz-security-token", "host", "content-length")


@pytest.mark.usefixtures("fixed_clock")
def test_the_lean_request_is_the_one_boto3_sends(server: FakeConnectionsServer) -> None:
    client = _client(server.url)
    client.post_to_connection(ConnectionId=CONNECTION_ID, Data=FRAME)
    _lean(client).post(CONNECTION_ID, FRAME)

    boto, lean = server.seen
    assert lean.method == boto.method == "POST"
    assert lean.path == boto.path == "/prod/@connections/L0SM9cOFvHcCIhw%3D%2F%2Bx"
    assert lean.body == boto.body == FRAME
    boto_headers = {k.lower(): v for k, v in boto.headers.items()}
    lean_headers = {k.lower(): v for k, v in lean.headers.items()}
    for name in SIGNED:  # same clock, same credentials: the same signature
        assert lean_headers[name] == boto_headers[name], name
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in lean_headers["authorization"]
    assert "/20261203/eu-west-1/execute-api/aws4_request" in lean_headers["authorization"]


def test_the_endpoint_variable_is_honoured_as_boto3_does(
    server: FakeConnectionsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", server.url)
    _lean(_client(None)).post("abc", FRAME)
    assert [seen.path for seen in server.seen] == ["/prod/@connections/abc"]


def test_gone_is_connection_gone(server: FakeConnectionsServer) -> None:
    server.script = [Answer(410, "GoneException")]
    with pytest.raises(ConnectionGoneError):
        _lean(_client(server.url)).post("abc", FRAME)
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("status", "code", "raised"),
    [
        (413, "PayloadTooLargeException", "PayloadTooLargeException"),
        (403, "ForbiddenException", "ForbiddenException"),
        (400, "BadRequestException", "ClientError"),  # not in the model: boto3's plain ClientError
    ],
)
def test_refusals_raise_what_boto3_raises(
    server: FakeConnectionsServer, status: int, code: str, raised: str
) -> None:
    client = _client(server.url)
    server.script = [Answer(status, code), Answer(status, code)]
    with pytest.raises(ClientError) as boto:
        ConnectionsApi(client).post("abc", FRAME)
    with pytest.raises(ClientError) as lean:
        _lean(client).post("abc", FRAME)
    assert type(lean.value) is type(boto.value)
    assert type(lean.value).__name__ == raised
    assert lean.value.response["Error"]["Code"] == code
    assert lean.value.response["Error"] == boto.value.response["Error"]
    assert lean.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert len(server.seen) == 2  # not retried, by either


def test_throttling_is_retried_with_backoff_then_given_up(server: FakeConnectionsServer) -> None:
    client = _client(server.url)
    server.script = [Answer(429, "LimitExceededException")] * 4
    sleeps: list[float] = []
    with pytest.raises(client.exceptions.LimitExceededException):
        _lean(client, sleeps=sleeps).post("abc", FRAME)
    assert len(server.seen) == 4  # boto3's standard retries with max_attempts 3: 4 in all
    assert sleeps == [0.5 * 0.05, 0.5 * 0.1, 0.5 * 0.2]  # jitter * base * 2**(n-1)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(server: FakeConnectionsServer, status: int) -> None:
    server.script = [Answer(status, "InternalServerError"), Answer(200)]
    _lean(_client(server.url)).post("abc", FRAME)
    assert len(server.seen) == 2


def test_a_read_timeout_is_retried(server: FakeConnectionsServer) -> None:
    server.script = [Answer(200, delay=1.0), Answer(200)]
    policy = PostPolicy(read_timeout=0.3)
    _lean(_client(server.url), policy=policy).post("abc", FRAME)
    assert len(server.seen) == 2


def test_every_attempt_fits_in_the_invocation(server: FakeConnectionsServer) -> None:
    server.script = [Answer(200, delay=3.0)] * 3
    slot = DeadlineSlot()
    started = time.monotonic()
    with slot.running(Deadline.unlimited(), Deadline(started + 1.2)), pytest.raises(
        ReadTimeoutError
    ):
        _lean(_client(server.url), slot=slot).post("abc", FRAME)
    # The read timeout was cut to the time left less the reserve, and no retry was started.
    assert time.monotonic() - started < 1.2
    assert len(server.seen) == 1


def test_no_attempt_without_time_left(server: FakeConnectionsServer) -> None:
    slot = DeadlineSlot()
    with slot.running(Deadline.unlimited(), Deadline(time.monotonic() + 0.1)), pytest.raises(
        DeadlineExceeded
    ):
        _lean(_client(server.url), slot=slot).post("abc", FRAME)
    assert server.seen == []


def test_refreshed_credentials_sign_the_next_post(server: FakeConnectionsServer) -> None:
    issued: list[str] = []

    def refresh() -> dict[str, str]:
        issued.append(f"AKID{len(issued)}")
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
        return {
            "access_key": issued[-1],
            "secret_key": "secret",
            "token": "token",
            "expiry_time": expiry.isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        refresh(), refresh_using=refresh, method="test"
    )  # 60 s from expiry is inside botocore's mandatory refresh window: every read refreshes
    lean = _lean(_client(server.url), credentials=credentials)
    lean.post("abc", FRAME)
    lean.post("abc", FRAME)
    used = [seen.headers["Authorization"].split("Credential=")[1].split("/")[0]
            for seen in server.seen]
    assert used == issued[1:3]
    assert used[0] != used[1]


def test_posts_reuse_one_kept_alive_connection(server: FakeConnectionsServer) -> None:
    lean = _lean(_client(server.url))
    for n in range(20):
        lean.post(f"reader{n}", FRAME)
    assert len(server.seen) == 20
    assert len({seen.port for seen in server.seen}) == 1


def test_connected_stays_on_boto3(server: FakeConnectionsServer) -> None:
    client = _client(server.url)
    sent: list[str] = []
    client.meta.events.register(
        "before-send.apigatewaymanagementapi.GetConnection",
        lambda request, **_: sent.append(request.method),
    )
    assert _lean(client).connected("abc") is True
    assert sent == ["GET"]  # through boto3's pipeline
    assert [(seen.method, seen.path) for seen in server.seen] == [
        ("GET", "/prod/@connections/abc")
    ]


def test_a_refused_connection_is_retried_then_raised_as_botocore_does() -> None:
    import socket

    from botocore.exceptions import EndpointConnectionError

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    with pytest.raises(EndpointConnectionError):
        _lean(_client(f"http://127.0.0.1:{port}/prod"), sleeps=sleeps).post("abc", FRAME)
    assert len(sleeps) == 3  # four attempts in all
