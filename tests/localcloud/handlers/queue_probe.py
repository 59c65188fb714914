"""A test Lambda for SQS event sources: each message's body asks it to show one behaviour.

Bodies are JSON: ``{"op": "ok"}`` succeeds, ``"fail"`` is reported in ``batchItemFailures``,
``"raise"`` fails the invocation, ``"invalid"`` makes the response name an empty
``itemIdentifier``; ``"sleep"`` (seconds) is waited first. Every invocation appends one JSON
line to the file named by PROBE_LOG: its start and end times, its event and a few variables.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

__all__ = ["handler"]

_ENV = ("WORK_URL", "DEAD_NAME", "ORDERED_ARN", "DELIVERY_QUEUE_URL", "CONNECTIONS_TABLE",
        "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "POWERTOOLS_TRACE_DISABLED", "AWS_ACCESS_KEY_ID")


def handler(event: dict[str, Any], context: Any) -> Any:
    """Process each record as its body says; report the failures."""
    started = time.time()
    failures: list[dict[str, str]] = []
    error: str | None = None
    for record in event.get("Records", []):
        body = json.loads(record["body"])
        time.sleep(float(body.get("sleep", 0)))
        op = body.get("op", "ok")
        if op == "fail":
            failures.append({"itemIdentifier": record["messageId"]})
        elif op == "invalid":
            failures.append({"itemIdentifier": ""})
        elif op == "raise":
            error = "failed on purpose"
    with open(os.environ["PROBE_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({
            "started": started, "ended": time.time(), "event": event,
            "env": {k: os.environ.get(k) for k in _ENV},
        }) + "\n")
    if error is not None:
        raise RuntimeError(error)
    return {"batchItemFailures": failures}
