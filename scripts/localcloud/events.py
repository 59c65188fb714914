"""API Gateway WebSocket -> Lambda proxy events, shaped as AWS sends them.

This module owns the ids API Gateway hands out (connection, request and message ids) and the three
event builders: ``$connect`` (eventType CONNECT), a message (eventType MESSAGE, any route key) and
``$disconnect`` (eventType DISCONNECT). Shapes follow real captures (AWS_FACTS.md §3.7); every
place where the local cloud cannot be identical says why.

Builders are on the hot path (one event per incoming frame): they build plain dicts, share the
identity dict of a connection, and format ``requestTime`` at most once per second.
"""

from __future__ import annotations

import base64
import os
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "ConnectionInfo",
    "connect_event",
    "disconnect_event",
    "message_event",
    "new_api_id",
    "new_connection_id",
    "new_request_id",
    "request_time",
    "split_query",
]

_random = random.Random()  # noqa: S311 - request ids are not secrets (see new_request_id)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_API_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_connection_id() -> str:
    """A connection id shaped like AWS's: 11 random bytes in base64, 16 chars ending in "="."""
    # AWS ids look like "R1kmxc2VNjMCFIA=": 16 characters with one "=" of padding, i.e. 11 bytes.
    # The standard alphabet may produce "+" and "/", so callers must URL-encode ids in paths,
    # exactly as they must with AWS.
    return base64.b64encode(os.urandom(11)).decode("ascii")


def new_request_id() -> str:
    """A request/message id shaped like AWS's (same form as connection ids)."""
    # Not a secret (unlike a connection id, which grants @connections access): a PRNG is enough,
    # and it saves a getrandom() syscall per id on the per-frame path.
    return base64.b64encode(_random.getrandbits(88).to_bytes(11, "big")).decode("ascii")


def new_api_id() -> str:
    """A 10-character lowercase API id, like ``gy415nuibc``."""
    return "".join(_API_ID_ALPHABET[b % len(_API_ID_ALPHABET)] for b in os.urandom(10))


_time_cache: tuple[int, str] = (-1, "")


def request_time(epoch_s: float) -> str:
    """``requestTime`` as API Gateway writes it: ``20/Jan/2024:11:55:00 +0000`` (always UTC)."""
    global _time_cache  # noqa: PLW0603 - a one-entry cache: the string changes once per second
    second = int(epoch_s)
    if _time_cache[0] != second:
        t = time.gmtime(second)
        text = (
            f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
        )
        _time_cache = (second, text)
    return _time_cache[1]


def split_query(query_string: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``queryStringParameters`` (last value wins) and ``multiValueQueryStringParameters``."""
    multi: dict[str, list[str]] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        multi.setdefault(key, []).append(value)
    single = {key: values[-1] for key, values in multi.items()}
    return single, multi


@dataclass(slots=True)
class ConnectionInfo:
    """What API Gateway remembers about one connection and repeats in every event."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    source_ip: str
    user_agent: str
    connected_at_ms: int
    identity: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.identity = {"sourceIp": self.source_ip, "userAgent": self.user_agent}

    def request_context(
        self, route_key: str, event_type: str, request_id: str, now_s: float
    ) -> dict[str, Any]:
        """The ``requestContext`` fields common to every event type."""
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": request_time(now_s),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": self.connected_at_ms,
            "requestTimeEpoch": int(now_s * 1000),
            # A fresh dict per event: handlers may mutate their event.
            "identity": dict(self.identity),
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": self.connection_id,
            "apiId": self.api_id,
        }


def _header_maps(
    headers: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    seen: dict[str, str] = {}  # lower-case name -> the spelling used first
    for name, value in headers:
        key = seen.setdefault(name.lower(), name)
        multi.setdefault(key, []).append(value)
        single[key] = value  # as API Gateway does for single-value maps: the last one wins
    return single, multi


def connect_event(
    conn: ConnectionInfo,
    *,
    headers: Iterable[tuple[str, str]],
    query_string: str,
    request_id: str,
    now_s: float,
    forwarded_port: int,
) -> dict[str, Any]:
    """The ``$connect`` event: the upgrade request's headers and query string, eventType CONNECT."""
    # API Gateway terminates TLS and adds X-Forwarded-*; the local cloud is plain HTTP, so the
    # forwarded headers say "http" and the port the client really used.
    all_headers = [
        *headers,
        ("X-Amzn-Trace-Id", f"Root=1-{int(now_s):08x}-{os.urandom(12).hex()}"),
        ("X-Forwarded-For", conn.source_ip),
        ("X-Forwarded-Port", str(forwarded_port)),
        ("X-Forwarded-Proto", "http"),
    ]
    single, multi = _header_maps(all_headers)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    if query_string:  # AWS omits both keys when the URL had no query string
        qs_single, qs_multi = split_query(query_string)
        event["queryStringParameters"] = qs_single
        event["multiValueQueryStringParameters"] = qs_multi
    event["requestContext"] = conn.request_context("$connect", "CONNECT", request_id, now_s)
    event["isBase64Encoded"] = False
    return event


def message_event(
    conn: ConnectionInfo,
    *,
    route_key: str,
    body: str,
    is_base64: bool,
    request_id: str,
    message_id: str,
    now_s: float,
) -> dict[str, Any]:
    """A MESSAGE event for ``route_key``: the frame as ``body`` (base64 for binary frames)."""
    context = conn.request_context(route_key, "MESSAGE", request_id, now_s)
    context["messageId"] = message_id  # MESSAGE events only
    # Real captures carry no headers on MESSAGE events.
    return {"requestContext": context, "body": body, "isBase64Encoded": is_base64}


def disconnect_event(
    conn: ConnectionInfo,
    *,
    status_code: int,
    reason: str,
    request_id: str,
    now_s: float,
    host: str,
) -> dict[str, Any]:
    """The ``$disconnect`` event, with the close code and reason of the closing handshake."""
    # AWS sends a small fixed header set on $disconnect (Host, x-api-key, X-Forwarded-For,
    # x-restapi), most of them empty; the local cloud sends the same names.
    headers: Mapping[str, str] = {
        "Host": host,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    context = conn.request_context("$disconnect", "DISCONNECT", request_id, now_s)
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }
