"""A test Lambda that writes what the chat's function writes: JSON logs, metrics, warnings, errors.

``event["kind"]`` picks what it does (see ``handler``); the lines mimic Powertools' layout.
"""

from __future__ import annotations

import json
import traceback
import warnings
from typing import Any

__all__ = ["handler"]


def _log(context: Any, level: str, message: str, **extra: Any) -> None:
    record = {"level": level, "location": "handler:20", "message": message,
              "timestamp": "2026-12-03 17:08:10,469+0000", "service": "noisy",
              "function_request_id": context.aws_request_id, **extra}
    print(json.dumps(record, separators=(",", ":")))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Write the lines ``event["kind"]`` names; ``crash`` raises."""
    kind = event["kind"]
    if kind == "info":
        _log(context, "INFO", "action", action="message")
        print(json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}, "Posted": [1.0]}))
        warnings.warn_explicit("No application metrics to publish", UserWarning,
                               "/opt/python/lib/site-packages/somelib/base.py", 213)
        print("a plain print")
    elif kind == "warning":
        _log(context, "WARNING", "DetectSentiment failed \x1b[2J",
             error_code="InternalServerException")
    elif kind == "own_warning":
        warnings.warn("the handler's own warning", UserWarning, stacklevel=1)
    elif kind == "logged_error":
        try:
            _ = 1 / 0
        except ZeroDivisionError:
            _log(context, "ERROR", "unhandled error", exception=traceback.format_exc(),
                 exception_name="ZeroDivisionError", action="message")
    elif kind == "crash":
        raise RuntimeError("the function failed")
    return {"statusCode": 200}
