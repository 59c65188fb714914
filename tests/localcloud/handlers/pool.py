"""A test Lambda for the runtime pool: sleeps ``event["sleep"]`` seconds, returns ``event["n"]``."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["handler"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleep as asked, then answer with the event's number."""
    time.sleep(float(event.get("sleep", 0)))
    return {"n": event.get("n")}
