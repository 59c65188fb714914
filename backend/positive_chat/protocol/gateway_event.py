"""One typed view of an API Gateway WebSocket proxy event ($connect, $disconnect, a frame).

The handler reads the event only through ``GatewayEvent``: the fields the chat uses, typed, read
once. Powertools' pydantic models (``APIGatewayWebSocket*EventModel``) describe the same events;
they are not used because importing them costs every cold start more than this whole view
(BENCHMARKS.md, "Reading the event").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["EventType", "GatewayEvent"]

EventType = Literal["CONNECT", "DISCONNECT", "MESSAGE"]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class GatewayEvent:
    """The fields of one WebSocket event the chat reads."""

    event_type: EventType
    connection_id: str
    api_id: str
    stage: str
    request_id: str | None = None
    body: str | None = None
    is_base64: bool = False
    received_at: int | None = None  # requestTimeEpoch: when API Gateway received the frame
    source_ip: str | None = None
    query: Mapping[str, str] | None = None
    disconnect_status: int | None = None

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> GatewayEvent:
        """Read ``event``; KeyError if it has no connection id (not a WebSocket event)."""
        context: Mapping[str, Any] = event.get("requestContext") or {}
        raw_type = context.get("eventType")
        event_type: EventType = raw_type if raw_type in ("CONNECT", "DISCONNECT") else "MESSAGE"
        identity: Mapping[str, Any] = context.get("identity") or {}
        received = context.get("requestTimeEpoch")
        status = context.get("disconnectStatusCode")
        query = event.get("queryStringParameters")
        return cls(
            event_type=event_type,
            connection_id=str(context["connectionId"]),
            api_id=str(context.get("apiId", "")),
            stage=str(context.get("stage", "")),
            request_id=_str(context.get("requestId")),
            body=_str(event.get("body")),
            is_base64=bool(event.get("isBase64Encoded")),
            received_at=received if isinstance(received, int) else None,
            source_ip=_str(identity.get("sourceIp")) or None,
            query=query if isinstance(query, Mapping) else None,
            disconnect_status=status if isinstance(status, int) else None,
        )

    @property
    def version(self) -> str | None:
        """The ``?v=`` of the $connect URL, if any."""
        return self.query.get("v") if self.query else None
