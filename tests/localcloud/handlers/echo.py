"""The benchmark's trivial Lambda: every frame is posted back unchanged with one boto3 call."""

from __future__ import annotations

from typing import Any

import boto3

__all__ = ["handler"]

CLIENT = boto3.client("apigatewaymanagementapi")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Echo the frame to its sender (``$connect``/``$disconnect`` just succeed)."""
    if event["requestContext"]["eventType"] == "MESSAGE":
        CLIENT.post_to_connection(
            ConnectionId=event["requestContext"]["connectionId"], Data=event["body"].encode()
        )
    return {"statusCode": 200}
