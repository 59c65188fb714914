"""The local API Gateway over real sockets: a `websockets` client in, boto3 on @connections.

Each test starts a Gateway on 127.0.0.1 port 0 for a small template whose function is the probe
handler (tests/localcloud/handlers/probe.py), and stops it at the end.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
import pytest_asyncio
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from localcloud import events
from localcloud.gateway import MAX_MESSAGE_BYTES, Gateway, RouteSelector, TokenBucket
from localcloud.template import (
    DEFAULT_TEMPLATE,
    StageThrottle,
    load_template,
    stage_throttle,
    websocket_api,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

HANDLERS = Path(__file__).parent / "handlers"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: t
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: "$request.body.action"
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Join ["", ["arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                                  !GetAtt Probe.Arn, "/invocations"]]
{routes}
  Probe:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: probe.handler
      Runtime: python3.12
      Timeout: {timeout}
      MemorySize: 256{extra}
      Environment:
        Variables:
          PROBE_TABLE: !Ref Api
"""


def _template(
    tmp_path: Path,
    *,
    timeout: float = 5,
    routes: tuple[str, ...] = (),
    builtin: tuple[str, ...] = ("$connect", "$disconnect", "$default"),
    reserved_concurrency: int | None = None,
) -> Path:
    keys = (*builtin, *routes)
    lines = "\n".join(
        f"  Route{i}: {{Type: AWS::ApiGatewayV2::Route, Properties: {{ApiId: !Ref Api, "
        f"RouteKey: \"{key}\", Target: !Sub \"integrations/${{Integ}}\"}}}}"
        for i, key in enumerate(keys)
    )
    path = tmp_path / "template.yaml"
    extra = (
        f"\n      ReservedConcurrentExecutions: {reserved_concurrency}"
        if reserved_concurrency is not None
        else ""
    )
    path.write_text(TEMPLATE.format(routes=lines, code=HANDLERS, timeout=timeout, extra=extra))
    return path


GatewayFactory = Callable[..., Any]


@pytest_asyncio.fixture
async def start_gateway(tmp_path: Path) -> AsyncIterator[GatewayFactory]:
    """Start gateways for the probe template; every one is stopped at the end of the test."""
    started: list[Gateway] = []

    async def factory(
        *,
        timeout: float = 5,
        routes: tuple[str, ...] = ("hello",),
        builtin: tuple[str, ...] = ("$connect", "$disconnect", "$default"),
        warm: int = 1,
        reserved_concurrency: int | None = None,
        **options: Any,
    ) -> Gateway:
        template = _template(tmp_path, timeout=timeout, routes=routes, builtin=builtin,
                             reserved_concurrency=reserved_concurrency)
        gateway = Gateway(
            template_path=template,
            function_env={"PROBE_LOG": str(tmp_path / "probe.log")},
            **options,
        )
        await gateway.start()
        started.append(gateway)
        await gateway.warm(warm)
        return gateway

    yield factory
    for gateway in started:
        await gateway.stop()


def _client(
    gateway: Gateway, *, key: str = "local", secret: str = "local", region: str = "us-east-1"
) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gateway.connections_url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def _log(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "probe.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def _wait_log(tmp_path: Path, route: str, count: int = 1) -> list[dict[str, Any]]:
    for _ in range(200):
        found = [e for e in _log(tmp_path) if e["requestContext"]["routeKey"] == route]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.025)
    raise AssertionError(f"no {route} event logged")


async def _ask(ws: ClientConnection, frame: dict[str, Any] | str) -> Any:
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def _closed(ws: ClientConnection, within: float) -> tuple[int | None, str | None]:
    try:
        await asyncio.wait_for(ws.wait_closed(), within)
    except TimeoutError as err:
        raise AssertionError("the connection is still open") from err
    assert ws.close_code is not None
    return ws.close_code, ws.close_reason


# -- units ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "route"),
    [
        ('{"action": "hello"}', "hello"),
        ('{"action": "nope"}', "$default"),
        ('{"other": "hello"}', "$default"),
        ("not json", "$default"),
        ('["hello"]', "$default"),
        ('{"action": {"nested": 1}}', "$default"),
    ],
    ids=["custom", "unknown-key", "no-key", "not-json", "not-object", "object-value"],
)
def test_route_selector_picks_route_or_default(body: str, route: str) -> None:
    """JSON frames whose selection key names a route go there; everything else to $default."""
    selector = RouteSelector("$request.body.action", {"$connect", "$default", "hello"})
    assert selector.select(body) == route


def test_route_selector_without_default_selects_nothing() -> None:
    """With no $default route an unmatched frame has no route (API Gateway answers Forbidden)."""
    selector = RouteSelector("${request.body.type.name}", {"go"})
    assert selector.select('{"type": {"name": "go"}}') == "go"
    assert selector.select('{"type": "go"}') is None


def test_route_selector_rejects_other_expressions() -> None:
    """An expression that is not $request.body.<path> is refused at start, not misrouted."""
    with pytest.raises(ValueError, match="RouteSelectionExpression"):
        RouteSelector("$request.header.x", {"$default"})


def test_connection_ids_have_aws_shape() -> None:
    """Connection ids are 16 base64 characters ending in "=" (11 random bytes), all distinct."""
    ids = {events.new_connection_id() for _ in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert len(cid) == 16
        assert cid.endswith("=")
        assert len(base64.b64decode(cid)) == 11


def test_request_time_format() -> None:
    """requestTime is written as API Gateway does, in UTC with English month names."""
    assert events.request_time(1705751700.453) == "20/Jan/2024:11:55:00 +0000"


# -- events --------------------------------------------------------------------------------------


async def test_gateway_connect_event_has_real_shape(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """$connect carries headers, multi-value query parameters and the full requestContext."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url + "?room=a&room=b&lang=fr",
                       additional_headers={"X-Probe": "1"}, user_agent_header="probe/1.0"):
        (event,) = await _wait_log(tmp_path, "$connect")
    assert event["headers"]["X-Probe"] == "1"
    assert event["multiValueHeaders"]["X-Probe"] == ["1"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["queryStringParameters"] == {"room": "b", "lang": "fr"}
    assert event["multiValueQueryStringParameters"] == {"room": ["a", "b"], "lang": ["fr"]}
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "$connect"
    assert ctx["eventType"] == "CONNECT"
    assert ctx["messageDirection"] == "IN"
    assert ctx["stage"] == "local"
    assert ctx["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "probe/1.0"}
    assert ctx["domainName"] == f"127.0.0.1:{gateway.port}"
    assert ctx["apiId"] == gateway.api_id
    assert ctx["requestId"] == ctx["extendedRequestId"]
    assert abs(ctx["requestTimeEpoch"] - time.time() * 1000) < 10_000
    assert ctx["connectedAt"] <= ctx["requestTimeEpoch"]
    assert time.strftime("%d/%b/%Y:", time.gmtime(ctx["requestTimeEpoch"] / 1000)) in ctx[
        "requestTime"
    ]
    assert len(ctx["connectionId"]) == 16
    assert "messageId" not in ctx


async def test_gateway_connect_without_query_omits_query_keys(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Without a query string the event has no queryStringParameters keys at all, as in AWS."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url):
        (event,) = await _wait_log(tmp_path, "$connect")
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event


async def test_gateway_message_event_and_route_selection(start_gateway: GatewayFactory) -> None:
    """A frame reaches its route as a MESSAGE event with messageId and the raw body."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url) as ws:
        reply = await _ask(ws, {"action": "hello", "op": "event"})
        default = await _ask(ws, "plain text")
        unknown = await _ask(ws, {"action": "other"})
    event = reply["event"]
    ctx = event["requestContext"]
    assert reply["route"] == "hello"
    assert ctx["routeKey"] == "hello"
    assert ctx["eventType"] == "MESSAGE"
    assert len(ctx["messageId"]) == 16
    assert ctx["messageId"] != ctx["requestId"]
    assert event["body"] == json.dumps({"action": "hello", "op": "event"})
    assert event["isBase64Encoded"] is False
    assert "headers" not in event
    assert default == {"route": "$default", "body": "plain text", "length": 10}
    assert unknown["route"] == "$default"


async def test_gateway_binary_frame_is_base64(start_gateway: GatewayFactory) -> None:
    """A binary frame reaches the handler base64-encoded with isBase64Encoded true."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url) as ws:
        await ws.send(b"\x00\x01binary")
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["route"] == "$default"
    assert base64.b64decode(reply["body"]) == b"\x00\x01binary"


async def test_gateway_disconnect_event_on_client_close(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Closing from the client runs $disconnect with the client's close code and reason."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url) as ws:
        (connected,) = await _wait_log(tmp_path, "$connect")
        await ws.close(4000, "bye")
    (event,) = await _wait_log(tmp_path, "$disconnect")
    ctx = event["requestContext"]
    assert ctx["eventType"] == "DISCONNECT"
    assert ctx["disconnectStatusCode"] == 4000
    assert ctx["disconnectReason"] == "bye"
    assert ctx["connectionId"] == connected["requestContext"]["connectionId"]
    assert ctx["connectedAt"] == connected["requestContext"]["connectedAt"]
    assert set(event["headers"]) == {"Host", "x-api-key", "X-Forwarded-For", "x-restapi"}


# -- $connect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 429], ids=str)
async def test_gateway_connect_refusal_uses_handler_status(
    start_gateway: GatewayFactory, tmp_path: Path, status: int
) -> None:
    """A non-2xx $connect result refuses the handshake with that status; no $disconnect runs."""
    gateway = await start_gateway()
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{gateway.ws_url}?status={status}"):
            pass
    assert refused.value.response.status_code == status
    await asyncio.sleep(0.2)
    assert not [e for e in _log(tmp_path) if e["requestContext"]["routeKey"] == "$disconnect"]


async def test_gateway_connect_error_refuses_with_502(start_gateway: GatewayFactory) -> None:
    """An exception in $connect refuses the handshake with 502, like a failed integration."""
    gateway = await start_gateway()
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{gateway.ws_url}?raise=1"):
            pass
    assert refused.value.response.status_code == 502


async def test_gateway_connect_selects_subprotocol(start_gateway: GatewayFactory) -> None:
    """A Sec-WebSocket-Protocol header returned by $connect selects the client's subprotocol."""
    gateway = await start_gateway()
    async with connect(f"{gateway.ws_url}?protocol=chat.v2",
                       subprotocols=["chat.v1", "chat.v2"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v2"


async def test_gateway_post_before_connect_completes_is_gone(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """While $connect still runs, PostToConnection answers 410, then works once it is done."""
    gateway = await start_gateway()
    client = _client(gateway)

    async def open_slowly() -> ClientConnection:
        return await connect(f"{gateway.ws_url}?sleep=1.0")

    opening = asyncio.create_task(open_slowly())
    (event,) = await _wait_log(tmp_path, "$connect")
    cid = event["requestContext"]["connectionId"]
    with pytest.raises(client.exceptions.GoneException):
        await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b"early")
    ws = await asyncio.wait_for(opening, 10)
    async with ws:
        await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b"on time")
        assert await asyncio.wait_for(ws.recv(), 5) == "on time"


# -- limits and timeouts -------------------------------------------------------------------------


async def test_gateway_message_over_128kb_closes_with_1009(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """A 128 KB message is accepted; one byte more closes the socket with 1009."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url, max_size=None) as ws:
        reply = await _ask(ws, "x" * MAX_MESSAGE_BYTES)
        assert reply["length"] == MAX_MESSAGE_BYTES
        await ws.send("x" * (MAX_MESSAGE_BYTES + 1))
        code, _ = await _closed(ws, 5)
    assert code == 1009
    (event,) = await _wait_log(tmp_path, "$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1009


async def test_gateway_idle_timeout_closes_with_1001(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Messages keep a connection alive; once idle past the timeout it closes with 1001."""
    gateway = await start_gateway(idle_timeout=0.6)
    async with connect(gateway.ws_url) as ws:
        for _ in range(4):  # 1.2 s of activity, twice the idle timeout
            await asyncio.sleep(0.3)
            await _ask(ws, "ping")
        started = time.monotonic()
        code, reason = await _closed(ws, 3)
    assert code == 1001
    assert reason == "Going away"
    assert 0.3 < time.monotonic() - started < 2.0
    (event,) = await _wait_log(tmp_path, "$disconnect")
    assert event["requestContext"]["disconnectStatusCode"] == 1001


async def test_gateway_max_duration_closes_busy_connection(start_gateway: GatewayFactory) -> None:
    """A connection is closed with 1001 at the maximum duration even while it is active."""
    gateway = await start_gateway(max_duration=1.0, idle_timeout=30)
    started = time.monotonic()

    async def keep_busy(ws: ClientConnection) -> None:
        for _ in range(40):
            await _ask(ws, "busy")
            await asyncio.sleep(0.1)

    async with connect(gateway.ws_url) as ws:
        with pytest.raises(ConnectionClosed):
            await keep_busy(ws)
        code, _ = await _closed(ws, 3)
    assert code == 1001
    assert 0.9 < time.monotonic() - started < 3.0


# -- @connections --------------------------------------------------------------------------------


async def test_connections_api_post_get_delete_with_boto3(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """boto3 sends (200), reads the connection (GET) and deletes it (204, socket closed)."""
    gateway = await start_gateway()
    client = _client(gateway)
    async with connect(gateway.ws_url, user_agent_header="probe/2.0") as ws:
        (event,) = await _wait_log(tmp_path, "$connect")
        cid = event["requestContext"]["connectionId"]
        sent = await asyncio.to_thread(client.post_to_connection, ConnectionId=cid,
                                       Data="héllo".encode())
        assert sent["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert await asyncio.wait_for(ws.recv(), 5) == "héllo"
        await _ask(ws, "activity")
        info = await asyncio.to_thread(client.get_connection, ConnectionId=cid)
        assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "probe/2.0"}
        connected_ms = info["ConnectedAt"].timestamp() * 1000
        assert abs(connected_ms - event["requestContext"]["connectedAt"]) < 2
        assert info["LastActiveAt"] > info["ConnectedAt"]
        deleted = await asyncio.to_thread(client.delete_connection, ConnectionId=cid)
        assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
        code, _ = await _closed(ws, 5)
    assert code == 1000
    for call in (client.post_to_connection, client.get_connection, client.delete_connection):
        kwargs: dict[str, Any] = {"ConnectionId": cid}
        if call == client.post_to_connection:
            kwargs["Data"] = b"late"
        with pytest.raises(client.exceptions.GoneException):
            await asyncio.to_thread(call, **kwargs)


async def test_connections_api_unknown_and_closed_ids_are_gone(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Unknown ids and ids of closed connections answer 410 GoneException."""
    gateway = await start_gateway()
    client = _client(gateway)
    with pytest.raises(client.exceptions.GoneException) as gone:
        await asyncio.to_thread(client.post_to_connection, ConnectionId="R1kmxc2VNjMCFIA=",
                                Data=b"x")
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    async with connect(gateway.ws_url):
        (event,) = await _wait_log(tmp_path, "$connect")
    await _wait_log(tmp_path, "$disconnect")
    with pytest.raises(client.exceptions.GoneException):
        await asyncio.to_thread(client.get_connection,
                                ConnectionId=event["requestContext"]["connectionId"])


async def test_connections_api_payload_over_128kb_is_413(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """PostToConnection takes 128 KB of data and answers 413 PayloadTooLargeException past it."""
    gateway = await start_gateway()
    client = _client(gateway)
    async with connect(gateway.ws_url, max_size=None) as ws:
        (event,) = await _wait_log(tmp_path, "$connect")
        cid = event["requestContext"]["connectionId"]
        await asyncio.to_thread(client.post_to_connection, ConnectionId=cid,
                                Data=b"y" * MAX_MESSAGE_BYTES)
        assert len(await asyncio.wait_for(ws.recv(), 5)) == MAX_MESSAGE_BYTES
        with pytest.raises(client.exceptions.PayloadTooLargeException) as too_large:
            await asyncio.to_thread(client.post_to_connection, ConnectionId=cid,
                                    Data=b"y" * (MAX_MESSAGE_BYTES + 1))
        assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
        reply = await _ask(ws, {"op": "send", "size": MAX_MESSAGE_BYTES + 1})
        assert reply["error"] == "PayloadTooLargeException"


async def test_connections_api_requires_a_signature(start_gateway: GatewayFactory) -> None:
    """An unsigned @connections request is refused with 403 ForbiddenException."""
    gateway = await start_gateway()
    request = urllib.request.Request(
        f"{gateway.connections_url}/@connections/R1kmxc2VNjMCFIA%3D", data=b"x", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)
    assert refused.value.code == 403
    assert refused.value.headers["x-amzn-ErrorType"] == "ForbiddenException"


def _signed_request(
    gateway: Gateway, cid: str, body: bytes, *, secret: str = "local", sent: bytes | None = None,
    when: datetime.datetime | None = None,
) -> urllib.request.Request:
    """A PostToConnection signed by botocore for ``body`` (sending ``sent`` instead, if given)."""
    url = f"{gateway.connections_url}/@connections/{urllib.parse.quote(cid, safe='')}"
    request = AWSRequest(method="POST", url=url, data=body)
    signer = SigV4Auth(Credentials("local", secret), "execute-api", "us-east-1")
    if when is None:
        signer.add_auth(request)
    else:
        original = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda: when  # type: ignore[assignment]
        try:
            signer.add_auth(request)
        finally:
            botocore.auth.get_current_datetime = original
    return urllib.request.Request(url, data=sent if sent is not None else body, method="POST",
                                  headers=dict(request.headers.items()))


async def _refused(request: urllib.request.Request) -> tuple[int, str, str]:
    with pytest.raises(urllib.error.HTTPError) as refused:
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)
    body = json.loads(refused.value.read())
    return refused.value.code, refused.value.headers["x-amzn-ErrorType"], body["message"]


async def test_connections_api_verifies_the_sigv4_signature(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Any Authorization header used to pass: now the signature is recomputed with botocore's
    signer against the functions' credentials; a forged, wrongly keyed, tampered, mis-scoped or
    stale request is 403 in AWS's shape, and nothing reaches the socket."""
    gateway = await start_gateway()
    async with connect(gateway.ws_url) as ws:
        (event,) = await _wait_log(tmp_path, "$connect")
        cid = event["requestContext"]["connectionId"]
        url = f"{gateway.connections_url}/@connections/{urllib.parse.quote(cid, safe='')}"

        forged = urllib.request.Request(url, data=b"forged", method="POST", headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/execute-api/"
                             "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
            "X-Amz-Date": "20260101T000000Z",
        })
        code, kind, _ = await _refused(forged)
        assert (code, kind) == (403, "InvalidSignatureException")
        garbage = urllib.request.Request(url, data=b"x", method="POST",
                                         headers={"Authorization": "AWS4-HMAC-SHA256 anything"})
        assert (await _refused(garbage))[:2] == (403, "IncompleteSignatureException")

        code, kind, message = await _refused(_signed_request(gateway, cid, b"hi", secret="wrong"))
        assert (code, kind) == (403, "InvalidSignatureException")
        assert message.startswith("The request signature we calculated does not match")
        tampered = _signed_request(gateway, cid, b"hello", sent=b"HACKED")
        assert (await _refused(tampered))[:2] == (403, "InvalidSignatureException")
        stale = _signed_request(gateway, cid, b"old", when=datetime.datetime.now(datetime.UTC)
                                - datetime.timedelta(minutes=10))
        code, kind, message = await _refused(stale)
        assert (code, kind) == (403, "InvalidSignatureException")
        assert message.startswith("Signature expired")

        for client, error in (
            (_client(gateway, key="someone"), "UnrecognizedClientException"),
            (_client(gateway, secret="wrong"), "InvalidSignatureException"),
            (_client(gateway, region="eu-west-1"), "InvalidSignatureException"),
        ):
            with pytest.raises(ClientError) as refused:
                await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b"x")
            assert refused.value.response["Error"]["Code"] == error
            assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
            with pytest.raises(ClientError):
                await asyncio.to_thread(client.delete_connection, ConnectionId=cid)

        # The right signature still works, and it is the only frame that ever arrived.
        ok = await asyncio.to_thread(urllib.request.urlopen,
                                     _signed_request(gateway, cid, b"signed"), timeout=5)
        assert ok.status == 200
        ok.close()
        assert await asyncio.wait_for(ws.recv(), 5) == "signed"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.3)


@pytest.mark.parametrize("handler", ["echo", "echo_lean"])
async def test_connections_api_accepts_the_functions_own_signed_calls(
    tmp_path: Path, handler: str
) -> None:
    """The Lambda's calls (boto3's client, and the lean handler's own botocore-signed request)
    carry the credentials the gateway gave the function: they pass, and each frame is echoed."""
    template = tmp_path / "template.yaml"
    template.write_text(ECHO_TEMPLATE.format(code=HANDLERS, handler=handler))
    gateway = Gateway(template_path=template, function_env={})
    await gateway.start()
    try:
        async with connect(gateway.ws_url) as ws:
            for text in ("one", "två", json.dumps({"action": "x", "n": 3})):
                await ws.send(text)
                assert await asyncio.wait_for(ws.recv(), 15) == text
    finally:
        await gateway.stop()


ECHO_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      {{Name: echo, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {{ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Echo.Arn}}
  Default:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      {{ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${{Integration}}"}}
  Echo:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: {code}, Handler: {handler}.handler, Runtime: python3.12, Timeout: 29}}
"""


# -- execution environments ----------------------------------------------------------------------


async def test_runtime_keeps_module_state_in_an_environment(start_gateway: GatewayFactory) -> None:
    """Invocations served by one environment share its module state and process."""
    gateway = await start_gateway(workers=1)
    async with connect(gateway.ws_url) as ws:
        first = await _ask(ws, {"op": "state"})
        second = await _ask(ws, {"op": "state"})
    assert second["pid"] == first["pid"]
    assert second["invocations"] == first["invocations"] + 1


async def test_runtime_slow_invocation_does_not_stall_others(
    start_gateway: GatewayFactory,
) -> None:
    """A slow invocation holds one environment while the next message is served by another."""
    gateway = await start_gateway(workers=2, warm=2)
    async with connect(gateway.ws_url) as ws:
        await ws.send(json.dumps({"op": "sleep", "seconds": 1.5}))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        fast = await _ask(ws, {"op": "state"})
        elapsed = time.monotonic() - started
        slow = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert "invocations" in fast
    assert elapsed < 1.0
    assert slow == {"slept": 1.5}


async def test_runtime_timeout_kills_and_replaces_environment(
    start_gateway: GatewayFactory,
) -> None:
    """Past the function timeout the client gets API Gateway's error and a new environment runs."""
    gateway = await start_gateway(timeout=1, workers=1)
    async with connect(gateway.ws_url) as ws:
        before = await _ask(ws, {"op": "state"})
        started = time.monotonic()
        error = await _ask(ws, {"op": "sleep", "seconds": 5})
        elapsed = time.monotonic() - started
        after = await _ask(ws, {"op": "state"})
    assert error["message"] == "Internal server error"
    assert len(error["connectionId"]) == 16
    assert len(error["requestId"]) == 16
    assert 0.9 < elapsed < 3.0
    assert after["pid"] != before["pid"]
    assert after["invocations"] == 1


async def test_runtime_handler_exception_and_crash_answer_internal_error(
    start_gateway: GatewayFactory,
) -> None:
    """An exception or a dying process gives the client API Gateway's error frame, then recovery."""
    gateway = await start_gateway(workers=1)
    async with connect(gateway.ws_url) as ws:
        raised = await _ask(ws, {"op": "raise"})
        exited = await _ask(ws, {"op": "exit"})
        after = await _ask(ws, {"op": "state"})
    assert raised["message"] == "Internal server error"
    assert exited["message"] == "Internal server error"
    assert after["invocations"] == 1  # a fresh environment after the crash


async def test_runtime_throttles_past_reserved_concurrency_and_recovers(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Past ReservedConcurrentExecutions a frame fails at once; $disconnect is never refused."""
    gateway = await start_gateway(reserved_concurrency=2, workers=4, warm=2)
    async with connect(gateway.ws_url) as ws:
        await ws.send(json.dumps({"op": "sleep", "seconds": 1.0}))
        await ws.send(json.dumps({"op": "sleep", "seconds": 1.0}))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        throttled = await _ask(ws, {"op": "state"})
        waited = time.monotonic() - started
        slept = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        # The handler posts before it returns: give the results a moment to reach the gateway.
        await asyncio.sleep(0.2)
        after = await _ask(ws, {"op": "state"})
        await asyncio.sleep(0.2)
        # At the limit when the client leaves: its $disconnect still runs.
        await ws.send(json.dumps({"op": "sleep", "seconds": 0.5}))
        await ws.send(json.dumps({"op": "sleep", "seconds": 0.5}))
        await asyncio.sleep(0.1)
    assert throttled["message"] == "Internal server error"
    assert waited < 0.5  # refused at once, not queued behind the sleepers
    assert slept == [{"slept": 1.0}, {"slept": 1.0}]
    assert "invocations" in after
    (runtime,) = gateway._runtimes.values()
    assert runtime.concurrency == 2
    assert runtime.throttles == 1
    await _wait_log(tmp_path, "$disconnect")


async def test_runtime_counts_an_invocation_waiting_for_a_cold_start_once(
    start_gateway: GatewayFactory,
) -> None:
    """Two $connects during cold starts are two in flight, within a limit of 2: both succeed."""
    gateway = await start_gateway(reserved_concurrency=2, workers=2, warm=0)
    first, second = await asyncio.gather(connect(gateway.ws_url), connect(gateway.ws_url))
    async with first, second:
        assert "invocations" in await _ask(first, {"op": "state"})
        assert "invocations" in await _ask(second, {"op": "state"})
    (runtime,) = gateway._runtimes.values()
    assert runtime.throttles == 0


async def test_runtime_context_and_environment(start_gateway: GatewayFactory) -> None:
    """The handler gets a Lambda context with a live clock and the function's environment."""
    gateway = await start_gateway(timeout=5)
    async with connect(gateway.ws_url) as ws:
        info = await _ask(ws, {"op": "context"})
    assert info["function_name"] == "Probe"
    assert info["memory_limit_in_mb"] == "256"
    assert info["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Probe"
    assert info["log_group_name"] == "/aws/lambda/Probe"
    assert "[$LATEST]" in info["log_stream_name"]
    first, second = info["remaining"]
    assert 4000 < first <= 5000
    assert 150 <= first - second < 1000
    env = info["env"]
    assert env["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] == gateway.connections_url
    assert env["PROBE_TABLE"] == "Api"  # the template's !Ref, resolved to the logical id
    assert env["PROBE_LOG"].endswith("probe.log")
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Probe"
    assert env["_HANDLER"] == "probe.handler"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")


async def test_gateway_stop_closes_sockets_and_runs_disconnect(
    tmp_path: Path,
) -> None:
    """stop() closes every socket with 1001 and runs each $disconnect before the workers stop."""
    gateway = Gateway(template_path=_template(tmp_path),
                      function_env={"PROBE_LOG": str(tmp_path / "probe.log")})
    await gateway.start()
    try:
        clients = [await connect(gateway.ws_url) for _ in range(3)]
        await _wait_log(tmp_path, "$connect", 3)
    finally:
        await gateway.stop()
    for ws in clients:
        code, _ = await _closed(ws, 2)
        assert code == 1001
    disconnects = [e for e in _log(tmp_path) if e["requestContext"]["routeKey"] == "$disconnect"]
    assert len(disconnects) == 3
    assert {e["requestContext"]["disconnectStatusCode"] for e in disconnects} == {1001}
    with pytest.raises(ConnectionRefusedError):
        await connect(gateway.ws_url, open_timeout=2)


async def test_gateway_stop_runs_accepted_frames_before_their_disconnect(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    """Frames queued behind a busy environment still run at stop, and before $disconnect."""
    gateway = await start_gateway(workers=1)
    ws = await connect(gateway.ws_url)
    await ws.send(json.dumps({"op": "sleep", "seconds": 0.5}))
    for n in range(3):
        await ws.send(json.dumps({"op": "log", "n": n}))
    await asyncio.sleep(0.1)
    await gateway.stop()
    await ws.close()
    routes = [
        (e["requestContext"]["routeKey"], json.loads(e["body"])["n"] if e.get("body") else None)
        for e in _log(tmp_path)
        if e["requestContext"]["routeKey"] != "$connect"
    ]
    assert routes == [("$default", 0), ("$default", 1), ("$default", 2), ("$disconnect", None)]


async def test_connections_api_handles_ids_with_slash_and_plus(
    start_gateway: GatewayFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids with "/" and "+" (base64, as AWS's can be) round-trip through boto3's URL encoding."""
    monkeypatch.setattr(events, "new_connection_id", lambda: "ab/cd+ef/ghIJKL=")
    gateway = await start_gateway()
    client = _client(gateway)
    async with connect(gateway.ws_url) as ws:
        (event,) = await _wait_log(tmp_path, "$connect")
        assert event["requestContext"]["connectionId"] == "ab/cd+ef/ghIJKL="
        await asyncio.to_thread(client.post_to_connection, ConnectionId="ab/cd+ef/ghIJKL=",
                                Data=b"slash")
        assert await asyncio.wait_for(ws.recv(), 5) == "slash"
        info = await asyncio.to_thread(client.get_connection, ConnectionId="ab/cd+ef/ghIJKL=")
        assert info["Identity"]["SourceIp"] == "127.0.0.1"


async def test_gateway_without_default_route_answers_forbidden(
    start_gateway: GatewayFactory,
) -> None:
    """With no $default (and no $connect) route, an unmatched frame gets API Gateway's Forbidden."""
    gateway = await start_gateway(builtin=(), routes=("hello",))
    async with connect(gateway.ws_url) as ws:  # no $connect route: every handshake is accepted
        forbidden = await _ask(ws, {"action": "nope"})
        routed = await _ask(ws, {"action": "hello"})
    assert forbidden["message"] == "Forbidden"
    assert len(forbidden["connectionId"]) == 16
    assert routed["route"] == "hello"


def test_token_bucket_spends_the_burst_then_refills_at_the_rate() -> None:
    """API Gateway's throttle: burst tokens at once, then `rate` per second."""
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] = 100.0  # never more than the burst
    assert sum(bucket.take() for _ in range(10)) == 3
    assert bucket.throttled == 1 + 1 + 7


def test_stage_throttle_is_read_from_the_projects_template() -> None:
    """The local cloud applies the template's DefaultRouteSettings (parameter defaults)."""
    template = load_template(DEFAULT_TEMPLATE)
    assert stage_throttle(template, websocket_api(template).logical_id) == StageThrottle(100, 200)


async def test_gateway_stage_throttle_answers_429_without_invoking(
    start_gateway: GatewayFactory,
) -> None:
    """Past the stage's bucket a frame gets "Too Many Requests" at once and a handshake 429."""
    gateway = await start_gateway(throttle=StageThrottle(rate=0.5, burst=4))
    async with connect(gateway.ws_url) as ws:  # the $connect takes the first token
        replies = [await _ask(ws, {"op": "state"}) for _ in range(3)]
        assert all("invocations" in reply for reply in replies)
        started = time.monotonic()
        throttled = await _ask(ws, {"op": "state"})
        assert throttled["message"] == "Too Many Requests"
        assert throttled["connectionId"]
        assert time.monotonic() - started < 0.5
        with pytest.raises(InvalidStatus) as refused:
            async with connect(gateway.ws_url):
                pass
        assert refused.value.response.status_code == 429
    assert gateway._bucket is not None
    assert gateway._bucket.throttled == 2  # the frame and the handshake, neither invoked
    (runtime,) = gateway._runtimes.values()
    assert runtime.throttles == 0
