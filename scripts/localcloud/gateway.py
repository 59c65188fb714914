"""The local cloud's API Gateway: a WebSocket API and its @connections API on one port.

This module owns API Gateway's side of a WebSocket API, read from template.yaml: the handshake
(``$connect`` runs while the upgrade request waits; a non-2xx result or an error refuses it with
that HTTP status), route selection (``$request.body.<path>`` of a JSON frame, else ``$default``),
MESSAGE and ``$disconnect`` events, the 128 KB message limit (close 1009), the idle and
maximum-duration timeouts (close 1001), and the management API at the paths boto3 calls:
``POST|GET|DELETE /{stage}/@connections/{connectionId}``, with the status codes and error bodies
boto3 turns into its modeled exceptions (GoneException, PayloadTooLargeException,
ForbiddenException). Every @connections request must carry a valid SigV4 signature by the
credentials the functions are given (``local``/``local`` unless the caller passes others):
``localcloud.sigv4`` recomputes it with botocore's signer and answers 403 in AWS's shape if not.

The Lambda runs in ``localcloud.runtime`` worker processes, reached through
``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` like any endpoint. One aiohttp application serves
``ws://HOST:PORT/{stage}``, ``http://HOST:PORT/{stage}/@connections/...`` and whatever the
``extra_routes`` hook mounts (the chat page at ``/``).

Parity notes (what API Gateway does, and what this emulator does):
- A Lambda error or timeout on a message route: the client gets
  ``{"message": "Internal server error", "connectionId": ..., "requestId": ...}``; no route and
  no ``$default``: ``{"message": "Forbidden", ...}``. On ``$connect``: HTTP 502.
- Close codes: idle and maximum duration close with 1001 "Going away"; DeleteConnection closes
  with 1000; the gateway's own shutdown closes with 1001; a client that vanishes without a close
  frame gives ``$disconnect`` status 1006.
- Only client data frames count as activity for the idle timeout (server pushes do not).
- Concurrency: invocations past the function's limit (``ReservedConcurrentExecutions``, else
  Lambda's account default of 1,000, counting running and queued ones) are throttled by the
  runtime; the client sees the integration failure above (the error frame, or 502 on
  ``$connect``). ``$disconnect`` is never throttled.
- Stage throttling: the stage's ``DefaultRouteSettings`` (``ThrottlingRateLimit`` requests/s,
  ``ThrottlingBurstLimit`` bucket; parameters at their defaults) is one token bucket for every
  ``$connect`` and client frame of the stage, as API Gateway's. Past it a handshake is refused
  with HTTP 429 and a frame is answered ``{"message": "Too Many Requests", "connectionId": ...,
  "requestId": ...}`` without invoking anything. ``$disconnect`` is never throttled.
- ``requestTimeEpoch``: one connection's frames get strictly increasing values (a frame read in
  the same millisecond as the one before gets the next one), as the frames come in order on one
  socket; AWS may stamp two frames of a connection with the same millisecond.
- Stop: every frame already received is invoked, then its connection's ``$disconnect``
  (invocations queue first in, first out), within the function timeout + 5 s + 0.1 s per
  invocation in flight when the stop began.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from localcloud import events
from localcloud.logs import invocation_line, selection_value
from localcloud.runtime import FunctionRuntime, InvocationResult, lambda_environment
from localcloud.serving import serve
from localcloud.sigv4 import SigV4Verifier
from localcloud.template import (
    FunctionSpec,
    StageThrottle,
    function_spec,
    load_template,
    resolve,
    stage_throttle,
    websocket_api,
)

__all__ = [
    "GOING_AWAY",
    "MAX_MESSAGE_BYTES",
    "Gateway",
    "RouteSelector",
]

LOG = logging.getLogger("localcloud.gateway")
INVOCATIONS = logging.getLogger("localcloud.gateway.invocations")

MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's message (and PostToConnection Data) limit
GOING_AWAY = 1001
_DRAIN_PER_INVOCATION = 0.1  # extra seconds a stop allows per invocation still in flight
_DEFAULT_REGION = "us-east-1"
_ACCOUNT_ID = "123456789012"
_JSON = "application/json"


class RouteSelector:
    """API Gateway's route selection for ``$request.body.<path>`` expressions."""

    def __init__(self, expression: str, route_keys: set[str]) -> None:
        text = expression.strip()
        if text.startswith("${") and text.endswith("}"):
            text = "$" + text[2:-1]
        prefix = "$request.body."
        if not text.startswith(prefix) or len(text) == len(prefix):
            raise ValueError(
                f"unsupported RouteSelectionExpression {expression!r}: "
                "WebSocket APIs select on $request.body.<path>"
            )
        self.path = tuple(text[len(prefix):].split("."))
        self.custom = {k for k in route_keys if k not in ("$connect", "$disconnect", "$default")}
        self.has_default = "$default" in route_keys

    def select(self, body: str | bytes) -> str | None:
        """The route key for a frame, or None when no route matches and there is no $default."""
        if self.custom:  # only parse JSON when a custom route could match
            try:
                value: Any = json.loads(body)
            except ValueError:
                value = None
            for part in self.path:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                key = value if isinstance(value, str) else json.dumps(value)
                if key in self.custom:
                    return key
        return "$default" if self.has_default else None


class TokenBucket:
    """API Gateway's throttle: ``burst`` tokens, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self.throttled = 0
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def take(self) -> bool:
        """Spend a token if there is one (True); else count a throttled request (False)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.throttled += 1
        return False


@dataclass(slots=True)
class _Connection:
    """One client connection, from the upgrade request to its $disconnect."""

    info: events.ConnectionInfo
    ws: web.WebSocketResponse | None
    opened: bool
    connected_mono: float
    last_active_mono: float
    close_code: int | None = None  # set when the gateway closes the socket itself
    close_reason: str = ""
    timer: asyncio.TimerHandle | None = None
    last_request_ms: int = 0  # the requestTimeEpoch of its latest frame


def _error_response(status: int, error_type: str, message: str | None) -> web.Response:
    # boto3 (rest-json) reads the error code from x-amzn-ErrorType and the message from the body.
    return web.Response(
        status=status,
        body=json.dumps({"message": message}).encode(),
        content_type=_JSON,
        headers={"x-amzn-ErrorType": error_type},
    )


def _profile_credentials(profile: str | None) -> Callable[[], tuple[str, str] | None]:
    """The key pair a profile resolves to now (read again on demand: such credentials rotate)."""

    def resolve() -> tuple[str, str] | None:
        import botocore.session

        credentials = botocore.session.Session(profile=profile).get_credentials()
        if credentials is None:
            return None
        frozen = credentials.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            return None
        return frozen.access_key, frozen.secret_key

    return resolve


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


class Gateway:
    """API Gateway (WebSocket API + @connections) for the function(s) of a SAM template."""

    def __init__(
        self,
        *,
        template_path: Path,
        function_env: dict[str, str],
        host: str = "127.0.0.1",
        port: int = 0,
        stage: str = "local",
        workers: int | None = None,
        # Timeouts
        idle_timeout: float = 600.0,
        max_duration: float = 7200.0,
        # HTTP
        extra_routes: Callable[[web.Application], None] | None = None,
        function_logical_id: str | None = None,
        # Throttling: the template's stage settings ("template"), others, or None for none
        throttle: StageThrottle | str | None = "template",
    ) -> None:
        if idle_timeout <= 0 or max_duration <= 0:
            raise ValueError("idle_timeout and max_duration must be positive")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if not stage or "/" in stage:
            raise ValueError(f"invalid stage name {stage!r}")
        template = load_template(template_path)
        api = websocket_api(template)
        self.template_path = Path(template_path)
        self.host = host
        self.stage = stage
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration
        self.api_id = events.new_api_id()
        self.region = function_env.get("AWS_REGION") or function_env.get(
            "AWS_DEFAULT_REGION", _DEFAULT_REGION
        )
        self._requested_port = port
        self._extra_routes = extra_routes
        self._function_env = dict(function_env)
        self._selector = RouteSelector(api.route_selection_expression, set(api.routes))
        if throttle == "template":
            throttle = stage_throttle(template, api.logical_id)
        if isinstance(throttle, str):
            raise ValueError(f"throttle must be 'template', a StageThrottle or None: {throttle!r}")
        self.throttle = throttle
        self._bucket = TokenBucket(throttle.rate, throttle.burst) if throttle else None
        self._throttle_logged = -1.0
        # route key -> function logical id; function_logical_id, when given, serves every route.
        self._route_functions = {
            key: function_logical_id or fid for key, fid in api.routes.items()
        }
        self._specs: dict[str, FunctionSpec] = {
            fid: function_spec(template, fid, template_dir=self.template_path.parent)
            for fid in set(self._route_functions.values())
        }
        self._template = template
        self._workers = workers or max(2, 2 * (os.cpu_count() or 1))
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._route_runtime: dict[str, FunctionRuntime] = {}
        self._connections: dict[str, _Connection] = {}
        self._handlers: set[asyncio.Future[None]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._verifier: SigV4Verifier | None = None
        self._stopping = False
        self.port = 0

    # -- public surface ------------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        """The WebSocket URL clients connect to (``ws://127.0.0.1:PORT/{stage}``)."""
        return f"ws://{self._authority}/{self.stage}"

    @property
    def connections_url(self) -> str:
        """The @connections endpoint for boto3's ``endpoint_url`` (``http://.../{stage}``)."""
        return f"http://{self._authority}/{self.stage}"

    @property
    def http_url(self) -> str:
        """The root of the HTTP server (``http://127.0.0.1:PORT/``)."""
        return f"http://{self._authority}/"

    @property
    def workers(self) -> int:
        """The most execution environments each function may run at once."""
        return self._workers

    @property
    def _authority(self) -> str:
        if not self.port:
            raise RuntimeError("the gateway is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    async def start(self) -> None:
        """Bind the port, start the HTTP/WebSocket server and the function runtimes."""
        if self._runner is not None:
            raise RuntimeError("the gateway is already started")
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES + 1024)
        app.router.add_get(f"/{self.stage}", self._websocket)
        path = f"/{self.stage}/@connections/{{connection_id}}"
        app.router.add_post(path, self._post_to_connection)
        app.router.add_get(path, self._get_connection)
        app.router.add_delete(path, self._delete_connection)
        if self._extra_routes is not None:
            self._extra_routes(app)
        self._runner, self.port = await serve(app, self.host, self._requested_port)
        self._verifier = SigV4Verifier(self.region)
        for fid, spec in self._specs.items():
            env = self._environment(spec)
            key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
            if key and secret:
                self._verifier.allow(key, secret)
            else:  # a profile (--real-aws): accept what it resolves to, as the function does
                self._verifier.allow_source(_profile_credentials(env.get("AWS_PROFILE")))
            self._runtimes[fid] = FunctionRuntime(
                spec, env, max_workers=self._workers, region=self.region, account_id=_ACCOUNT_ID
            )
        self._route_runtime = {
            key: self._runtimes[fid] for key, fid in self._route_functions.items()
        }
        LOG.info("API Gateway (local) on %s, @connections at %s, routes: %s",
                 self.ws_url, self.connections_url,
                 ", ".join(f"{k} -> {v}" for k, v in sorted(self._route_functions.items())))

    @property
    def functions(self) -> list[str]:
        """Logical ids of the functions this gateway runs (those its routes integrate)."""
        return sorted(self._specs)

    async def invoke_function(self, logical_id: str, event: dict[str, Any]) -> InvocationResult:
        """Invoke one of ``functions`` directly with ``event`` (the local Lambda Invoke API)."""
        runtime = self._runtimes.get(logical_id)
        if runtime is None:
            raise KeyError(f"{logical_id!r} is not a function of this gateway")
        return await runtime.invoke(event)

    def worker_pids(self) -> list[int]:
        """Process ids of every live execution environment, all functions together."""
        return [pid for rt in self._runtimes.values() for pid in rt.pids]

    async def warm(self, count: int = 1) -> None:
        """Start ``count`` execution environments per function ahead of traffic."""
        await asyncio.gather(*(rt.warm(count) for rt in self._runtimes.values()))

    async def stop(self) -> None:
        """Close every socket with 1001 and run its $disconnect, then stop workers and server."""
        if self._runner is None:
            return
        self._stopping = True
        for conn in list(self._connections.values()):
            if conn.opened:
                self._close(conn, GOING_AWAY, "Going away")
        # Accepted frames run before their connection's $disconnect (the queue is FIFO): give
        # the backlog time to drain, then the $disconnects, then anything still in flight.
        backlog = sum(rt.in_flight for rt in self._runtimes.values())
        deadline = (max((rt.timeout for rt in self._runtimes.values()), default=3.0) + 5.0
                    + _DRAIN_PER_INVOCATION * backlog)
        started = time.monotonic()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=deadline)
        left = max(0.0, deadline - (time.monotonic() - started))
        drained = await asyncio.gather(*(rt.drain(left) for rt in self._runtimes.values()))
        if not all(drained):
            LOG.warning("stopping with invocations still queued after %.0f s", deadline)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(rt.stop() for rt in self._runtimes.values()))
        await self._runner.cleanup()
        self._runner = None
        LOG.info("API Gateway (local) stopped")

    # -- environment ---------------------------------------------------------------------------

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        refs: dict[str, Any] = {name: name for name in self._template["Resources"]}
        for name, param in (self._template.get("Parameters") or {}).items():
            if "Default" in param:
                refs[name] = param["Default"]
        refs.update(
            {
                "AWS::Region": self.region,
                "AWS::AccountId": _ACCOUNT_ID,
                "AWS::Partition": "aws",
                "AWS::StackName": "local",
                "AWS::URLSuffix": "amazonaws.com",
                "StageName": self.stage,
            }
        )
        # The template's variables, best effort (a table's name defaults to its logical id);
        # the caller's function_env, which knows the real names and endpoints, wins.
        template_env: dict[str, str] = {}
        for name, value in spec.environment.items():
            if name in self._function_env:
                continue
            try:
                template_env[name] = str(resolve(value, refs))
            except (KeyError, TypeError, ValueError):
                LOG.warning("%s: cannot resolve environment variable %s locally; pass it in "
                            "function_env", spec.logical_id, name)
        env = {**template_env, **self._function_env}
        env.setdefault("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", self.connections_url)
        return lambda_environment(spec, env, region=self.region)

    # -- WebSocket -----------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(compress=False)
        if not ws.can_prepare(request).ok:
            return web.json_response({"message": "Upgrade Required"}, status=426)
        if self._stopping:
            return web.json_response({"message": "Service Unavailable"}, status=503)
        if self._bucket is not None and not self._bucket.take():
            self._log_throttled()
            return web.json_response({"message": "Too Many Requests"}, status=429)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._handlers.add(done)
        try:
            return await self._serve(request)
        finally:
            done.set_result(None)
            self._handlers.discard(done)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        now = time.time()
        mono = time.monotonic()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        source_ip = str(peer[0]) if peer else "127.0.0.1"
        info = events.ConnectionInfo(
            connection_id=events.new_connection_id(),
            api_id=self.api_id,
            stage=self.stage,
            domain_name=request.host,
            source_ip=source_ip,
            user_agent=request.headers.get("User-Agent", ""),
            connected_at_ms=int(now * 1000),
        )
        conn = _Connection(info=info, ws=None, opened=False, connected_mono=mono,
                           last_active_mono=mono)
        cid = info.connection_id
        self._connections[cid] = conn  # @connections answers 410 until $connect succeeds

        accepted = False
        try:
            refusal, protocol = await self._run_connect(conn, request, now)
            if refusal is not None:
                return refusal
            ws = web.WebSocketResponse(
                max_msg_size=MAX_MESSAGE_BYTES + 1,  # aiohttp refuses sizes >= the limit
                compress=False,
                protocols=(protocol,) if protocol else (),
            )
            try:
                await ws.prepare(request)
            except (ConnectionError, RuntimeError) as err:
                LOG.info("%s: client left during the handshake (%s)", cid, err)
                conn.close_code, conn.close_reason = 1006, ""
                accepted = True  # $connect succeeded: API Gateway still sends $disconnect
                return ws
            conn.ws = ws
            conn.opened = True
            accepted = True
            self._arm_timer(conn)
            await self._receive_loop(conn, ws)
            return ws
        finally:
            self._connections.pop(cid, None)
            if conn.timer is not None:
                conn.timer.cancel()
            if accepted:
                await self._run_disconnect(conn, request.host)

    async def _run_connect(
        self, conn: _Connection, request: web.Request, now: float
    ) -> tuple[web.Response | None, str | None]:
        runtime = self._route_runtime.get("$connect")
        if runtime is None:  # no $connect route: API Gateway accepts every connection
            return None, None
        port = request.url.port or self.port
        event = events.connect_event(
            conn.info,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers],
            query_string=request.query_string,
            request_id=events.new_request_id(),
            now_s=now,
            forwarded_port=port,
        )
        result = await runtime.invoke(event)
        status, protocol = self._connect_status(result)
        self._log_invocation("$connect", conn.info.connection_id, result, status)
        if 200 <= status < 300:
            return None, protocol
        if status == 502:
            return web.json_response({"message": "Internal server error"}, status=502), None
        body = result.payload.get("body") if isinstance(result.payload, dict) else None
        return web.Response(status=status, text=body if isinstance(body, str) else None), None

    @staticmethod
    def _connect_status(result: InvocationResult) -> tuple[int, str | None]:
        if not result.ok:
            return 502, None
        payload = result.payload
        if payload is None:
            return 200, None
        if not isinstance(payload, dict):
            return 502, None  # not a proxy response: API Gateway's "malformed Lambda response"
        status = payload.get("statusCode", 200)
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            return 502, None
        headers = payload.get("headers")
        protocol = None
        if isinstance(headers, dict):
            for name, value in headers.items():
                if str(name).lower() == "sec-websocket-protocol" and isinstance(value, str):
                    protocol = value
        return status, protocol

    async def _receive_loop(self, conn: _Connection, ws: web.WebSocketResponse) -> None:
        clock = time.monotonic
        on_frame = self._on_frame
        while True:
            msg = await ws.receive()
            kind = msg.type
            if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
                conn.last_active_mono = clock()
                on_frame(conn, msg.data)
            elif kind is WSMsgType.CLOSE:
                if conn.close_code is None:
                    conn.close_code = int(msg.data) if msg.data is not None else 1005
                    conn.close_reason = msg.extra or ""
            elif kind is WSMsgType.ERROR:
                self._on_error(conn, msg.data)
            elif kind is WSMsgType.CLOSED or kind is WSMsgType.CLOSING:
                break
            if ws.closed:
                break
        if conn.close_code is None:  # the TCP connection ended without a close frame
            conn.close_code, conn.close_reason = 1006, ""

    def _on_frame(self, conn: _Connection, data: str | bytes) -> None:
        """Route one client frame and submit its MESSAGE event (no await: frames never wait)."""
        if isinstance(data, str):
            body, is_base64 = data, False
        else:
            body, is_base64 = base64.b64encode(data).decode("ascii"), True
        request_id = events.new_request_id()
        if self._bucket is not None and not self._bucket.take():
            self._log_throttled()
            self._spawn(self._send_error(conn, "Too Many Requests", request_id))
            return
        route = self._selector.select(data)
        if route is None:
            self._spawn(self._send_error(conn, "Forbidden", request_id))
            return
        runtime = self._route_runtime.get(route)
        if runtime is None:  # a route without an integration: nothing to invoke
            return
        # A connection's frames get strictly increasing receive times: this event loop can read
        # several queued frames in one millisecond after a stall of its own, and the chat orders
        # a sender's messages by this time (docs/reliability.md, "Ordering").
        conn.last_request_ms = max(int(time.time() * 1000), conn.last_request_ms + 1)
        event = events.message_event(
            conn.info, route_key=route, body=body, is_base64=is_base64,
            request_id=request_id, message_id=events.new_request_id(),
            now_s=(conn.last_request_ms + 0.5) / 1000,  # half a ms: no float rounding down
        )
        action = (selection_value(data, self._selector.path)
                  if INVOCATIONS.isEnabledFor(logging.INFO) else None)
        runtime.submit(event, _MessageDone(self, conn, route, request_id, action))

    def _log_throttled(self) -> None:
        now = time.monotonic()
        if now - self._throttle_logged >= 1.0:  # a flood logs once a second, not once a frame
            self._throttle_logged = now
            assert self._bucket is not None
            LOG.warning("stage throttling: %s requests/s, burst %d: %d requests answered 429 "
                        "so far", f"{self._bucket.rate:g}", self._bucket.burst,
                        self._bucket.throttled)

    def _on_error(self, conn: _Connection, error: Any) -> None:
        if conn.close_code is not None:
            return
        # aiohttp already closed the socket with the error's code (1009 for a message over the
        # limit); ws.close_code would say 1006 by now.
        code = getattr(error, "code", None) or WSCloseCode.ABNORMAL_CLOSURE
        conn.close_code = int(code)
        if code == WSCloseCode.MESSAGE_TOO_BIG:
            conn.close_reason = "Message too big"
            LOG.info("%s: message over %d bytes: closed with 1009", conn.info.connection_id,
                     MAX_MESSAGE_BYTES)

    async def _run_disconnect(self, conn: _Connection, host: str) -> None:
        runtime = self._route_runtime.get("$disconnect")
        if runtime is None:
            return
        event = events.disconnect_event(
            conn.info,
            status_code=conn.close_code or 1006,
            reason=conn.close_reason,
            request_id=events.new_request_id(),
            now_s=time.time(),
            host=host,
        )
        # Never throttled: a $disconnect lost here would leave the connection in the function's
        # tables for good (API Gateway calls it best effort; the local cloud makes it certain).
        result = await runtime.invoke(event, throttle=False)
        self._log_invocation("$disconnect", conn.info.connection_id, result, None)

    def _message_done(
        self, conn: _Connection, route: str, request_id: str, action: str | None,
        result: InvocationResult,
    ) -> None:
        self._log_invocation(route, conn.info.connection_id, result, None, action)
        if not result.ok and conn.opened and not self._stopping:
            self._spawn(self._send_error(conn, "Internal server error", request_id))

    async def _send_error(self, conn: _Connection, message: str, request_id: str) -> None:
        ws = conn.ws
        if ws is None or ws.closed:
            return
        frame = json.dumps({
            "message": message,
            "connectionId": conn.info.connection_id,
            "requestId": request_id,
        })
        try:
            await ws.send_str(frame)
        except ConnectionError:
            LOG.debug("%s: gone before the error frame", conn.info.connection_id)

    def _log_invocation(
        self, route: str, cid: str, result: InvocationResult, status: int | None,
        action: str | None = None,
    ) -> None:
        if INVOCATIONS.isEnabledFor(logging.INFO):
            level, text, extra = invocation_line(route, cid, result, status, action)
            INVOCATIONS.log(level, "%s", text, extra=extra)

    # -- timeouts ------------------------------------------------------------------------------

    def _arm_timer(self, conn: _Connection) -> None:
        loop = asyncio.get_running_loop()
        deadline = min(conn.last_active_mono + self.idle_timeout,
                       conn.connected_mono + self.max_duration)
        # time.monotonic and loop.time share a clock on every platform asyncio supports here;
        # convert explicitly anyway so a custom loop clock cannot skew the deadline.
        conn.timer = loop.call_at(loop.time() + (deadline - time.monotonic()),
                                  self._check_timeouts, conn)

    def _check_timeouts(self, conn: _Connection) -> None:
        conn.timer = None
        if not conn.opened:
            return
        now = time.monotonic()
        if now >= conn.connected_mono + self.max_duration:
            LOG.info("%s: maximum connection duration (%.0f s) reached", conn.info.connection_id,
                     self.max_duration)
            self._close(conn, GOING_AWAY, "Going away")
        elif now >= conn.last_active_mono + self.idle_timeout:
            LOG.info("%s: idle for %.0f s", conn.info.connection_id, self.idle_timeout)
            self._close(conn, GOING_AWAY, "Going away")
        else:
            self._arm_timer(conn)  # activity since the timer was set: sleep until the new deadline

    def _close(self, conn: _Connection, code: int, reason: str) -> None:
        if conn.close_code is None:
            conn.close_code, conn.close_reason = code, reason
        conn.opened = False
        ws = conn.ws
        if ws is not None and not ws.closed:
            self._spawn(ws.close(code=code, message=reason.encode()))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- @connections --------------------------------------------------------------------------

    async def _lookup(self, request: web.Request) -> tuple[_Connection | web.Response, bytes]:
        """The live connection the request names, once its SigV4 signature checks out (and the
        body it carried); else the response API Gateway would give."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            # API Gateway requires SigV4 on @connections; boto3 always signs.
            return _error_response(403, "ForbiddenException", "Missing Authentication Token"), b""
        length = request.content_length
        if length is not None and length > MAX_MESSAGE_BYTES:
            return _error_response(413, "PayloadTooLargeException",
                                   f"Message too long. Max size is {MAX_MESSAGE_BYTES} bytes"), b""
        data = await request.read()
        url = f"{request.scheme}://{request.headers.get('Host', request.host)}{request.raw_path}"
        assert self._verifier is not None
        refusal = self._verifier.verify(request.method, url, request.headers, data)
        if refusal is not None:
            LOG.warning("@connections %s refused: %s", request.method, refusal.error_type)
            return _error_response(refusal.status, refusal.error_type, refusal.message), data
        conn = self._connections.get(request.match_info["connection_id"])
        if conn is None or not conn.opened or conn.ws is None or conn.ws.closed:
            return _error_response(410, "GoneException", None), data
        return conn, data

    async def _post_to_connection(self, request: web.Request) -> web.StreamResponse:
        found, data = await self._lookup(request)
        if isinstance(found, web.Response):
            return found
        if len(data) > MAX_MESSAGE_BYTES:
            return _error_response(413, "PayloadTooLargeException",
                                   f"Message too long. Max size is {MAX_MESSAGE_BYTES} bytes")
        ws = found.ws
        assert ws is not None
        # Valid UTF-8 goes out as a text frame (what browsers get from API Gateway), anything
        # else as binary; the bytes are sent as they came, without a decode/encode round trip.
        opcode = WSMsgType.TEXT if data.isascii() or _is_utf8(data) else WSMsgType.BINARY
        try:
            await ws.send_frame(data, opcode)
        except ConnectionError:
            return _error_response(410, "GoneException", None)
        return web.Response(status=200)

    async def _get_connection(self, request: web.Request) -> web.StreamResponse:
        found, _ = await self._lookup(request)
        if isinstance(found, web.Response):
            return found
        info = found.info
        connected = info.connected_at_ms / 1000.0
        last_active = connected + (found.last_active_mono - found.connected_mono)
        return web.json_response({
            "connectedAt": _iso(connected),
            "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
            "lastActiveAt": _iso(last_active),
        })

    async def _delete_connection(self, request: web.Request) -> web.StreamResponse:
        found, _ = await self._lookup(request)
        if isinstance(found, web.Response):
            return found
        self._close(found, 1000, "")
        return web.Response(status=204)


class _MessageDone:
    """The completion callback of one MESSAGE invocation (cheaper than a closure per frame)."""

    __slots__ = ("action", "conn", "gateway", "request_id", "route")

    def __init__(
        self, gateway: Gateway, conn: _Connection, route: str, request_id: str,
        action: str | None,
    ) -> None:
        self.gateway = gateway
        self.conn = conn
        self.route = route
        self.request_id = request_id
        self.action = action

    def __call__(self, result: InvocationResult) -> None:
        self.gateway._message_done(self.conn, self.route, self.request_id, self.action, result)

