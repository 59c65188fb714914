"""A test Lambda for the gateway: each frame's ``op`` asks it to show one behaviour.

It talks back only through boto3's apigatewaymanagementapi client (endpoint from
AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI), exactly as the real chat function does.
``$connect`` refuses when the query string says so; ``$connect`` and ``$disconnect`` append their
event to the file named by PROBE_LOG (``$connect`` before it does anything else) so tests can read
what API Gateway sent.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3

__all__ = ["handler"]

CLIENT = boto3.client("apigatewaymanagementapi")
INVOCATIONS = 0  # module state: survives between invocations of one execution environment


def _post(event: dict[str, Any], payload: Any) -> None:
    CLIENT.post_to_connection(
        ConnectionId=event["requestContext"]["connectionId"], Data=json.dumps(payload).encode()
    )


def _record(event: dict[str, Any]) -> None:
    path = os.environ.get("PROBE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(event) + "\n")


def _connect(event: dict[str, Any], context: Any) -> Any:
    _record(event)
    query = event.get("queryStringParameters") or {}
    if "status" in query:
        return {"statusCode": int(query["status"]), "body": "refused by probe"}
    if "raise" in query:
        raise RuntimeError("connect failed on purpose")
    if "sleep" in query:
        time.sleep(float(query["sleep"]))
    if "protocol" in query:
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": query["protocol"]}}
    return {"statusCode": 200}


def handler(event: dict[str, Any], context: Any) -> Any:  # noqa: PLR0912 - a branch per op
    """Route on the event type, then on the frame's ``op``."""
    global INVOCATIONS  # noqa: PLW0603 - the point of this handler is to show module state
    INVOCATIONS += 1
    route = event["requestContext"]["routeKey"]
    if route == "$connect":
        return _connect(event, context)
    if route == "$disconnect":
        _record(event)
        return {"statusCode": 200}
    try:
        frame = json.loads(event["body"])
    except ValueError:
        frame = {}
    op = frame.get("op") if isinstance(frame, dict) else None
    if op == "log":  # leave a trace in PROBE_LOG, post nothing
        _record(event)
    elif op == "event":
        _post(event, {"route": route, "event": event})
    elif op == "state":
        _post(event, {"invocations": INVOCATIONS, "pid": os.getpid()})
    elif op == "sleep":
        time.sleep(float(frame["seconds"]))
        _post(event, {"slept": frame["seconds"]})
    elif op == "context":
        first = context.get_remaining_time_in_millis()
        time.sleep(0.2)
        _post(event, {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": [first, context.get_remaining_time_in_millis()],
            "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "PROBE_", "_"))
                    and "SECRET" not in k},
        })
    elif op == "raise":
        raise ValueError("handler failed on purpose")
    elif op == "exit":
        os._exit(3)
    elif op == "send":
        size = int(frame["size"])
        try:
            CLIENT.post_to_connection(ConnectionId=event["requestContext"]["connectionId"],
                                      Data=b"x" * size)
        except CLIENT.exceptions.PayloadTooLargeException as err:
            _post(event, {"error": "PayloadTooLargeException", "message": str(err)})
    else:
        _post(event, {"route": route, "body": event["body"][:1000], "length": len(event["body"])})
    return {"statusCode": 200}
