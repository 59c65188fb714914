"""A lean PostToConnection for the fan-out: botocore's SigV4 signer over a urllib3 pool.

botocore spends most of a PostToConnection's CPU outside the network (BENCHMARKS.md, "boto3
floor": user agent, event hooks, serializer, parser). This module sends the request boto3 sends
for the same call, ``POST {stage path}/@connections/{url-quoted id}`` with the frame as the body,
signed by botocore's own ``SigV4Auth`` (service ``execute-api``; signed headers ``host``,
``x-amz-date`` and, with temporary credentials, ``x-amz-security-token``), on a kept-alive
urllib3 pool (TLS verified against botocore's CA bundle) sized like the fan-out pool.

The pool lends and takes back its connections (``_get_conn``/``_put_conn``: urllib3's own
lending, with its dropped-connection check; private names, so urllib3 is pinned in the locks and
tests/unit/test_lean_post.py runs against a real server), and each request is driven at
http.client's level on that connection: ``urlopen`` around it cost ~140 µs of CPU per post here
(re-encoding the target, a response object, a second write for the body), a third of the path.

It is built from the boto3 client that ``ConnectionsApi`` wraps, so it inherits that client's
endpoint (the event's apiId/region/stage, or ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``), region
and error classes; GetConnection stays on boto3. Its semantics are the boto3 path's:

- 410 is ``ConnectionGoneError``;
- any other refusal is the ClientError boto3 raises (parsed by botocore's rest-json parser,
  class from the client's modeled exceptions: PayloadTooLargeException, ForbiddenException, ...);
- 429 / throttling codes, 500/502/503/504 and connection errors (botocore's exception types) are
  retried with jittered exponential backoff, up to ``PostPolicy.attempts`` in all;
- every attempt keeps the invocation's reserve (``resilience.time_for_attempt``): its connect and
  read timeouts are cut to the time left, no attempt starts without time for it
  (``DeadlineExceeded``), and no backoff sleeps past it (the last error is raised instead).

Credentials are the session's (refreshable in Lambda): frozen per attempt, never copied once.
"""

from __future__ import annotations

import http.client
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlsplit

import urllib3
from botocore import __version__ as botocore_version
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.httpsession import get_cert_path
from botocore.parsers import create_parser
from urllib3 import exceptions as u3

from positive_chat.adapters.connections_api import ConnectionsApi
from positive_chat.adapters.resilience import (
    MIN_ATTEMPT_SECONDS,
    DeadlineSlot,
    is_transient,
    time_for_attempt,
)
from positive_chat.domain.errors import ConnectionGoneError

if TYPE_CHECKING:
    from botocore.credentials import Credentials
    from botocore.model import Shape
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

__all__ = ["LeanConnectionsApi", "PostPolicy"]

logger = logging.getLogger(__name__)

OPERATION = "PostToConnection"
_USER_AGENT = f"Botocore/{botocore_version} positive-chat/lean-post"


@dataclass(frozen=True)
class PostPolicy:
    """Attempts and timeouts of one post: the boto3 client's (standard retries with
    ``max_attempts: 3`` = 4 attempts in all; connect 3 s, read 10 s). The backoff is shorter than
    botocore's (base 1 s, cap 20 s): a fan-out waits for its slowest reader, and the deadline
    bounds it anyway."""

    attempts: int = 4  # in all, the first included
    connect_timeout: float = 3.0  # seconds: ceilings, cut to the time left
    read_timeout: float = 10.0
    backoff_base: float = 0.05  # seconds: retry n waits random(0, min(cap, base * 2**(n-1)))
    backoff_cap: float = 1.0


class LeanConnectionsApi(ConnectionsApi):
    """ConnectionsApi whose ``post`` skips boto3's pipeline (``connected`` stays on boto3)."""

    def __init__(
        self,
        client: ApiGatewayManagementApiClient,
        credentials: Callable[[], Credentials | None],
        deadlines: DeadlineSlot,
        *,
        reserve: float,
        pool_size: int,
        policy: PostPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(client)
        endpoint = urlsplit(client.meta.endpoint_url)
        self._origin = f"{endpoint.scheme}://{endpoint.netloc}"
        self._prefix = f"{endpoint.path.rstrip('/')}/@connections/"
        self._region = client.meta.region_name
        self._credentials_source = credentials
        self._credentials: Credentials | None = None
        self._deadlines = deadlines
        self._reserve = reserve
        self._policy = policy or PostPolicy()
        self._sleep = sleep
        self._jitter = jitter
        self._output_shape = client.meta.service_model.operation_model(OPERATION).output_shape
        self._parser = create_parser("rest-json")
        self._pool = _pool_for(endpoint.scheme, endpoint.hostname or "", endpoint.port, pool_size)
        # The Host value botocore's signer derives from the URL (default port dropped), worked
        # out once and sent as it is signed.
        self._host = str(
            SigV4Auth(cast("Credentials", None), "execute-api", self._region).headers_to_sign(
                AWSRequest(method="POST", url=self._origin + self._prefix)
            )["host"]
        )

    def post(self, connection_id: str, data: bytes) -> None:
        """Send one frame; ConnectionGoneError when the socket is gone, boto3's errors otherwise."""
        path = self._prefix + quote(connection_id, safe="")
        policy, attempt = self._policy, 0
        while True:
            attempt += 1
            left = time_for_attempt(self._deadlines, self._reserve, OPERATION)
            try:
                status = self._attempt(path, data, left, attempt)
            except (ClientError, BotoCoreError) as err:
                if not _retryable(err) or attempt >= policy.attempts:
                    raise
                delay = self._jitter() * min(
                    policy.backoff_cap, policy.backoff_base * 2 ** (attempt - 1)
                )
                if self._deadlines.ending().left() - self._reserve - delay < MIN_ATTEMPT_SECONDS:
                    raise  # no time for another attempt: the last error, not DeadlineExceeded
                logger.info(
                    "PostToConnection attempt failed",
                    extra={"attempt": attempt, "error": type(err).__name__},
                )
                self._sleep(delay)
                continue
            if status == 410:
                raise ConnectionGoneError(connection_id)
            return

    def _attempt(self, path: str, data: bytes, left: float, attempt: int) -> int:
        """One signed request; its status when 2xx or 410, else boto3's exception."""
        headers = self._signed_headers(path, data)
        policy = self._policy
        try:
            response = self._exchange(
                path, data, headers,
                min(policy.connect_timeout, left), min(policy.read_timeout, left),
            )
        except Exception as err:
            raise _botocore_error(err, self._origin + path) from err
        status = response.status
        if 200 <= status < 300 or status == 410:
            return status
        raise self._client_error(response, attempt)

    def _exchange(
        self, path: str, data: bytes, headers: dict[str, str], connect: float, read: float
    ) -> _Answer:
        """One request on a pooled keep-alive connection (urllib3's pool: its connections, TLS
        settings, dropped-connection check and size), driven at http.client's level: one write
        for headers and body, the status line and headers parsed once. A connection that failed
        is closed, never pooled again."""
        conn = cast(http.client.HTTPConnection, self._pool._get_conn())  # private: see the top
        try:
            if conn.sock is None:
                conn.timeout = connect
                try:
                    conn.connect()
                except TimeoutError as err:
                    raise u3.ConnectTimeoutError(conn, f"connect timed out ({connect} s)") from err
            conn.sock.settimeout(read)  # the write and the wait for the answer
            http.client.HTTPConnection.request(conn, "POST", path, body=data, headers=headers)
            raw = http.client.HTTPConnection.getresponse(conn)
            answer = _Answer(raw.status, dict(raw.getheaders()), raw.read())
            if raw.will_close:
                conn.close()
        except BaseException:
            conn.close()
            self._pool._put_conn(None)  # the pool makes a new one
            raise
        self._pool._put_conn(cast(Any, conn))
        return answer

    def _signed_headers(self, path: str, data: bytes) -> dict[str, str]:
        credentials = self._credentials
        if credentials is None:
            credentials = self._credentials = self._credentials_source()
            if credentials is None:
                raise NoCredentialsError
        request = _SigningRequest(self._origin + path, data, self._host)
        signer = SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self._region)
        signer.add_auth(cast(AWSRequest, request))  # it reads and writes only what it holds
        headers = request.headers
        headers["User-Agent"] = _USER_AGENT
        return headers

    def _client_error(self, response: _Answer, attempt: int) -> ClientError:
        """The exception boto3 raises for this answer (its parser, its modeled class)."""
        headers = {name.lower(): value for name, value in response.headers.items()}
        parsed = self._parser.parse(
            {"status_code": response.status, "headers": headers, "body": response.body},
            cast("Shape", self._output_shape),  # errors are parsed without it
        )
        metadata = parsed.setdefault("ResponseMetadata", {})
        metadata.setdefault("HTTPStatusCode", response.status)
        metadata.setdefault("HTTPHeaders", headers)
        metadata["RetryAttempts"] = attempt - 1
        code = str(parsed.get("Error", {}).get("Code", ""))
        error_class = cast("type[ClientError]", self._client.exceptions.from_code(code))
        return error_class(cast(Any, parsed), OPERATION)


class _SigningRequest:
    """What ``SigV4Auth.add_auth`` reads and writes of a request, without AWSRequest's
    preparation (its email-based headers, URL and body preparing): the URL, the method, the
    body bytes, no query parameters, the signer's context, and plain-dict headers."""

    __slots__ = ("body", "context", "headers", "method", "params", "url")

    def __init__(self, url: str, body: bytes, host: str) -> None:
        self.method = "POST"
        self.url = url
        self.body = body
        self.params: dict[str, str] = {}
        self.context: dict[str, Any] = {}
        self.headers: dict[str, str] = {"Host": host}


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _pool_for(
    scheme: str, host: str, port: int | None, size: int
) -> urllib3.HTTPConnectionPool:
    """A kept-alive pool of ``size`` connections to the endpoint (TLS verified like botocore)."""
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            host, port, maxsize=size, block=False, retries=False,
            cert_reqs="CERT_REQUIRED", ca_certs=get_cert_path(True),
        )
    return urllib3.HTTPConnectionPool(host, port, maxsize=size, block=False, retries=False)


def _retryable(err: ClientError | BotoCoreError) -> bool:
    """boto3's standard retries: throttled, 5xx, connection errors (not our DeadlineExceeded)."""
    if isinstance(err, ClientError) and (
        err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429
    ):
        return True
    return is_transient(err)


def _botocore_error(err: Exception, url: str) -> BotoCoreError:
    """urllib3's failure as botocore's URLLib3Session reports it."""
    if isinstance(err, u3.SSLError):
        return SSLError(endpoint_url=url, error=err)
    # Before ConnectTimeoutError: urllib3's NewConnectionError (DNS, refused) subclasses it.
    if isinstance(err, u3.NewConnectionError | socket.gaierror):
        return EndpointConnectionError(endpoint_url=url, error=err)
    if isinstance(err, u3.ConnectTimeoutError):
        return ConnectTimeoutError(endpoint_url=url, error=err)
    if isinstance(err, ssl.SSLError):
        return SSLError(endpoint_url=url, error=err)
    if isinstance(err, u3.ReadTimeoutError | TimeoutError):  # no answer in the read timeout
        return ReadTimeoutError(endpoint_url=url, error=err)
    if isinstance(err, u3.ProtocolError | http.client.HTTPException | OSError):
        return ConnectionClosedError(endpoint_url=url, error=err)  # reset, closed, garbled
    return HTTPClientError(error=err)
