"""The local cloud's Lambda Invoke API: ``lambda.invoke`` against the functions the gateway runs.

This module owns one AWS API, as boto3's ``lambda`` client calls it (rest-json):
``POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=...]`` with the event as the
body. It exists so that code which invokes a function directly (the deployment's PreTraffic hook,
``backend/hooks``) runs locally against the real Lambda in its real execution environments
(``localcloud.runtime``), through an unmodified boto3 client and ``AWS_ENDPOINT_URL_LAMBDA``.

What it answers, as Lambda does:
- 200 with the handler's JSON result as the body and ``X-Amz-Executed-Version``;
- a handler error or a timeout: still 200, with ``X-Amz-Function-Error: Unhandled`` and the
  ``{"errorMessage", "errorType", "stackTrace"}`` payload (``Sandbox.Timedout`` for a timeout);
- throttled: 429 ``TooManyRequestsException``; an unknown function or qualifier: 404
  ``ResourceNotFoundException``; a body that is not JSON: 400 ``InvalidRequestContentException``;
  an invocation type other than ``RequestResponse``: 400 ``InvalidParameterValueException``
  (only synchronous invocations are served);
- every request must be SigV4-signed (service ``lambda``) with the local credentials, else 403
  in AWS's shape; and what only a browser sends for a web page (``localcloud.guard``) is
  refused first, so no page can drive it.

Parity notes: the local cloud has one published version of each function, ``1``, which is also
``$LATEST`` and what the template's ``AutoPublishAlias`` alias names; those three qualifiers are
served, any other is 404. ``LogType=Tail`` is accepted but no log tail is returned.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from localcloud.guard import browser_refusal
from localcloud.runtime import InvocationResult
from localcloud.serving import serve
from localcloud.sigv4 import SigV4Verifier

__all__ = ["LOCAL_VERSION", "LambdaApi", "parse_function_name"]

LOG = logging.getLogger("localcloud.lambda")

LOCAL_VERSION = "1"  # the one published version of each local function
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous request payload limit

Invoker = Callable[[str, dict[str, Any]], Awaitable[InvocationResult]]


def _error(status: int, error_type: str, message: str) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps({"Type": "User", "message": message}).encode(),
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def parse_function_name(name: str, qualifier: str | None) -> tuple[str, str | None] | None:
    """(function name, qualifier) of a name, partial ARN or ARN; None when it is malformed or
    names two different qualifiers."""
    parts = name.split(":")
    if name.startswith("arn:"):
        if len(parts) not in (7, 8) or parts[5] != "function":
            return None
        function, in_name = parts[6], parts[7] if len(parts) == 8 else None
    elif len(parts) in (3, 4) and parts[1] == "function":  # 123456789012:function:name[:q]
        function, in_name = parts[2], parts[3] if len(parts) == 4 else None
    elif len(parts) in (1, 2):
        function, in_name = parts[0], parts[1] if len(parts) == 2 else None
    else:
        return None
    if in_name is not None and qualifier is not None and in_name != qualifier:
        return None
    return (function, in_name or qualifier) if function else None


class LambdaApi:
    """An HTTP server for the Invoke API of the functions ``invoker`` can run."""

    def __init__(
        self,
        invoker: Invoker,
        functions: Mapping[str, str],
        *,
        credentials: tuple[str, str],
        region: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """``functions``: each served function's logical id -> its alias name (or "")."""
        self._invoker = invoker
        self._functions = dict(functions)
        self._verifier = SigV4Verifier(region, "lambda")
        self._verifier.allow(*credentials)
        self._host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The endpoint for boto3's ``endpoint_url`` / ``AWS_ENDPOINT_URL_LAMBDA``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> str:
        """Bind the port and serve; return the URL."""
        app = web.Application(client_max_size=MAX_SYNC_PAYLOAD)
        app.router.add_post("/2015-03-31/functions/{name}/invocations", self._invoke)
        self._runner, self.port = await serve(app, self._host, self._requested_port)
        LOG.info("Lambda Invoke API (local) at %s for %s", self.url, ", ".join(self._functions))
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _invoke(self, request: web.Request) -> web.Response:
        blocked = browser_refusal(request.headers, host=request.host)
        if blocked is not None:  # a web page's request (localcloud.guard), signed or not
            return _error(403, "AccessDeniedException", blocked)
        body = await request.read()
        url = f"{request.scheme}://{request.headers.get('Host', request.host)}{request.raw_path}"
        refusal = self._verifier.verify(request.method, url, request.headers, body)
        if refusal is not None:
            return _error(refusal.status, refusal.error_type, refusal.message)
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind != "RequestResponse":
            return _error(400, "InvalidParameterValueException",
                          f"the local cloud serves RequestResponse invocations only, not {kind}")
        target = self._target(unquote(request.match_info["name"]), request.query.get("Qualifier"))
        if isinstance(target, web.Response):
            return target
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "InvalidRequestContentException",
                          "Could not parse request body into json")
        result = await self._invoker(target, event)
        return self._response(result)

    def _target(self, name: str, qualifier: str | None) -> str | web.Response:
        parsed = parse_function_name(name, qualifier)
        if parsed is None:
            return _error(400, "ValidationException", f"invalid function name {name[:140]!r}")
        function, version = parsed
        if function not in self._functions:
            return _error(404, "ResourceNotFoundException", f"Function not found: {name[:140]}")
        served = {None, "$LATEST", LOCAL_VERSION, self._functions[function]}
        if version not in served or version == "":
            return _error(404, "ResourceNotFoundException",
                          f"Function not found: {name[:140]} (qualifier {version!r})")
        return function

    @staticmethod
    def _response(result: InvocationResult) -> web.Response:
        headers = {"X-Amz-Executed-Version": LOCAL_VERSION}
        if result.ok:
            return web.Response(status=200, body=json.dumps(result.payload).encode(),
                                content_type="application/json", headers=headers)
        error = result.error or {}
        if error.get("errorType") == "TooManyRequestsException":
            return _error(429, "TooManyRequestsException", "Rate Exceeded.")
        headers["X-Amz-Function-Error"] = "Unhandled"
        return web.Response(status=200, body=json.dumps(error).encode(),
                            content_type="application/json", headers=headers)
