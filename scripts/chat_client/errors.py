"""The tester client's exception tree: every failure the command line turns into one clear line.

::

    ChatClientError                 exit status 2, one line on stderr
    ├── UsageError                  an argument the parser could not judge (unknown language...)
    ├── ConnectError                the socket never opened
    │   ├── BadUrlError             not a ws:// or wss:// URL
    │   ├── ConnectionRefusedByHostError   nothing listens there / host unknown / network down
    │   ├── HandshakeRefusedError   the server answered the upgrade with an HTTP status
    │   └── ConnectTimeoutError     no handshake within the open timeout
    ├── ConnectionLostError         the server (or the network) closed an open connection
    └── AnswerTimeoutError          the server did not answer in time

Expectation failures are results, not exceptions: they exit with status 1.
"""

from __future__ import annotations

__all__ = [
    "AnswerTimeoutError",
    "BadUrlError",
    "ChatClientError",
    "ConnectError",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "ConnectionRefusedByHostError",
    "HandshakeRefusedError",
    "UsageError",
]


class ChatClientError(Exception):
    """Root of the client's errors; ``str(err)`` is the one line shown to the user."""

    exit_status = 2


class UsageError(ChatClientError):
    """An argument is well-formed for the parser but wrong (e.g. a language we do not serve)."""


class ConnectError(ChatClientError):
    """The WebSocket could not be opened."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"cannot connect to {url}: {detail}")
        self.url = url
        self.detail = detail


class BadUrlError(ConnectError):
    """The URL is not a usable ws:// or wss:// URL."""


class ConnectionRefusedByHostError(ConnectError):
    """Nothing accepted the TCP connection (refused, unknown host, unreachable network)."""


class HandshakeRefusedError(ConnectError):
    """The server answered the WebSocket upgrade with a non-101 HTTP status."""

    def __init__(self, url: str, status: int, reason: str, body: str = "") -> None:
        detail = f"handshake refused with HTTP {status} {reason}".rstrip()
        body = " ".join(body.split())[:120]
        if body and not body.startswith("<"):  # a short text answer helps; an HTML page does not
            detail += f" ({body})"
        if 200 <= status < 300:
            detail += ": that is a web page, not the WebSocket URL"
        super().__init__(url, detail)
        self.status = status


class ConnectTimeoutError(ConnectError):
    """The handshake did not complete within the open timeout."""


class ConnectionLostError(ChatClientError):
    """An open connection was closed by the server or the network."""

    def __init__(self, code: int | None, reason: str, *, detail: str = "") -> None:
        if detail:
            text = f"connection lost: {detail}"
        elif code is None:
            text = "connection lost: closed without a close frame (network or server failure)"
        else:
            text = f"connection closed by the server: code {code}"
            text += f", reason {reason!r}" if reason else ", no reason given"
        super().__init__(text)
        self.code = code
        self.reason = reason


class AnswerTimeoutError(ChatClientError):
    """The server did not answer within the time the user allowed."""
