"""A diagnostic twin of echo.py: the same echo, with PostToConnection sent without an SDK.

scripts/bench_gateway.py runs it beside echo.py to separate the local cloud's own cost (gateway,
runtime, IPC, HTTP) from the cost of boto3's request pipeline. It sends the request boto3 would
send (``POST {stage}/@connections/{id}`` on a kept-alive connection) with plain ``http.client``.
The Authorization header has SigV4's scheme but no real signature: the local gateway checks only
the scheme, and AWS would refuse it. This handler is for measuring, never for deploying.
"""

from __future__ import annotations

import http.client
import os
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = ["handler"]

_ENDPOINT = urlsplit(os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"])
_CONNECTION = http.client.HTTPConnection(_ENDPOINT.hostname or "127.0.0.1", _ENDPOINT.port)
_HEADERS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=local/diagnostic, Signature=unsigned",
    "Content-Type": "application/octet-stream",
}


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Echo the frame to its sender (``$connect``/``$disconnect`` just succeed)."""
    context_ = event["requestContext"]
    if context_["eventType"] == "MESSAGE":
        path = f"{_ENDPOINT.path}/@connections/{quote(context_['connectionId'], safe='')}"
        _CONNECTION.request("POST", path, body=event["body"].encode(), headers=_HEADERS)
        response = _CONNECTION.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"PostToConnection answered {response.status}")
    return {"statusCode": 200}
