"""echo.py without boto3's client: the same echo, one signed PostToConnection over http.client.

chat-bench-gateway runs it beside echo.py to separate the local cloud's own cost (gateway,
runtime, IPC, HTTP) from the cost of boto3's client pipeline. The request is the one boto3 sends,
SigV4-signed by botocore's own signer (``POST {stage}/@connections/{id}``, service
``execute-api``), on one kept-alive connection. It is valid against AWS too, but it is a
measuring tool: it reads credentials once at init (Lambda's rotate) and has no retries beyond one
reconnect.
"""

from __future__ import annotations

import http.client
import os
from typing import Any
from urllib.parse import quote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["handler"]

_ENDPOINT = urlsplit(os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"])
_SIGNER = SigV4Auth(
    Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ.get("AWS_SESSION_TOKEN"),
    ),
    "execute-api",
    os.environ["AWS_REGION"],
)
_CONNECTION_CLASS = (
    http.client.HTTPSConnection if _ENDPOINT.scheme == "https" else http.client.HTTPConnection
)
_connection = _CONNECTION_CLASS(_ENDPOINT.netloc)


def _post(path: str, body: bytes) -> int:
    global _connection  # noqa: PLW0603 - one kept-alive connection per environment, like boto3's pool
    request = AWSRequest(method="POST", url=f"{_ENDPOINT.scheme}://{_ENDPOINT.netloc}{path}",
                         data=body)
    _SIGNER.add_auth(request)
    headers = dict(request.headers.items())
    for attempt in (1, 2):
        try:
            _connection.request("POST", path, body=body, headers=headers)
            response = _connection.getresponse()
            response.read()
            return response.status
        except (http.client.HTTPException, ConnectionError):
            _connection.close()  # the server closed the kept-alive connection: reconnect once
            _connection = _CONNECTION_CLASS(_ENDPOINT.netloc)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Echo the frame to its sender (``$connect``/``$disconnect`` just succeed)."""
    request_context = event["requestContext"]
    if request_context["eventType"] == "MESSAGE":
        connection_id = quote(request_context["connectionId"], safe="")
        status = _post(f"{_ENDPOINT.path}/@connections/{connection_id}", event["body"].encode())
        if status != 200:
            raise RuntimeError(f"PostToConnection answered {status}")
    return {"statusCode": 200}
