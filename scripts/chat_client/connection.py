"""One WebSocket to Positive Chat: open it with clear errors, send and receive JSON frames, and
keep it alive with the same app-level heartbeat as the chat page.

This module owns the only use of the ``websockets`` library in the client. Everything the library
can raise is translated at this boundary into :mod:`chat_client.errors`.

Heartbeat: API Gateway closes a WebSocket that carries no data for 10 minutes (control frames do
not count), so, like the page, the client sends ``{"action": "ping"}`` every 4.5 minutes and
treats a missing ``pong`` as a dead connection. Protocol-level pings are off: API Gateway does not
need them, and a server that ignores them would otherwise see us drop the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from chat_client.errors import (
    BadUrlError,
    ConnectError,
    ConnectionLostError,
    ConnectionRefusedByHostError,
    ConnectTimeoutError,
    HandshakeRefusedError,
)

__all__ = [
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_TIMEOUT",
    "MAX_FRAME_BYTES",
    "ChatConnection",
    "Heartbeat",
    "check_url",
    "open_connection",
]

# Timeouts
OPEN_TIMEOUT = 10.0
HEARTBEAT_INTERVAL = 270.0  # 4.5 min: well inside API Gateway's 10-minute idle timeout
HEARTBEAT_TIMEOUT = 30.0  # a pong later than this means the connection is dead
CLOSE_TIMEOUT = 2.0

# Sizes
MAX_FRAME_BYTES = 128 * 1024  # API Gateway's frame limit, both directions

HEARTBEAT_ID_PREFIX = "hb-"


def check_url(url: str) -> str:
    """Return ``url`` if it is a ws:// or wss:// URL with a host, else raise ``BadUrlError``."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as err:
        raise BadUrlError(url, f"not a valid URL ({err})") from err
    if parts.scheme not in ("ws", "wss"):
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise BadUrlError(url, f"the URL must start with ws:// or wss:// (found {shown})")
    if not parts.hostname:
        raise BadUrlError(url, "the URL has no host")
    if port == 0:
        raise BadUrlError(url, "port 0 is not a port one can connect to")
    return url


class Heartbeat:
    """Send an app-level ``ping`` every ``interval`` seconds and notice a missing ``pong``.

    ``send`` delivers a frame; ``on_dead`` is called once if a pong does not arrive within
    ``timeout``. The owner reports pongs with :meth:`answered`.
    """

    def __init__(
        self,
        send: Any,
        on_dead: Any,
        *,
        interval: float = HEARTBEAT_INTERVAL,
        timeout: float = HEARTBEAT_TIMEOUT,
    ) -> None:
        if interval <= 0 or timeout <= 0:
            raise ValueError("heartbeat interval and timeout must be positive")
        self._send = send
        self._on_dead = on_dead
        self.interval = interval
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Event] = {}
        self.sent = 0
        self.dead = False

    def answered(self, frame_id: object) -> bool:
        """Record a ``pong``; True when it answers one of our pings."""
        if not isinstance(frame_id, str):
            return False
        event = self._waiting.get(frame_id)
        if event is None:
            return False
        event.set()
        return True

    async def run(self) -> None:
        """Ping forever (until cancelled); call ``on_dead`` and stop when a pong is missing."""
        while True:
            await asyncio.sleep(self.interval)
            ping_id = f"{HEARTBEAT_ID_PREFIX}{next(self._ids)}"
            event = self._waiting[ping_id] = asyncio.Event()
            try:
                await self._send({"action": "ping", "id": ping_id})
                self.sent += 1
                await asyncio.wait_for(event.wait(), self.timeout)
            except TimeoutError:
                self.dead = True
                await self._on_dead()
                return
            finally:
                del self._waiting[ping_id]


class ChatConnection:
    """An open WebSocket speaking JSON frames, with the heartbeat running."""

    def __init__(
        self,
        ws: ClientConnection,
        url: str,
        *,
        heartbeat_interval: float | None = HEARTBEAT_INTERVAL,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
    ) -> None:
        self.url = url
        self._ws = ws
        self.heartbeat: Heartbeat | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        if heartbeat_interval is not None:
            self.heartbeat = Heartbeat(
                self.send, self._heartbeat_failed,
                interval=heartbeat_interval, timeout=heartbeat_timeout,
            )
            self._heartbeat_task = asyncio.create_task(self.heartbeat.run())

    async def _heartbeat_failed(self) -> None:
        await self._ws.close(1011, "no answer to the heartbeat")

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame as compact JSON."""
        await self.send_text(json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        """Send one text frame exactly as given."""
        try:
            await self._ws.send(text)
        except ConnectionClosed as err:
            raise self._lost(err) from err

    async def recv_text(self) -> str:
        """The next frame's text (binary frames are decoded as UTF-8, replacing errors)."""
        try:
            data = await self._ws.recv()
        except ConnectionClosed as err:
            raise self._lost(err) from err
        if isinstance(data, bytes):
            return data.decode("utf-8", errors="replace")
        return data

    async def recv(self) -> Any:
        """The next frame, parsed; text that is not JSON comes back as ``{"_raw": text}``.

        Pongs that answer the heartbeat are passed on too (the caller may show or drop them).
        """
        frame = parse_frame(await self.recv_text())
        self.note(frame)
        return frame

    def note(self, frame: Any) -> None:
        """Tell the heartbeat about a received frame (callers of ``recv_text`` must do this)."""
        if self.heartbeat is not None and isinstance(frame, dict) and frame.get("type") == "pong":
            self.heartbeat.answered(frame.get("id"))

    def is_heartbeat(self, frame: Any) -> bool:
        """True for the ``pong`` that answers one of our own heartbeat pings."""
        return (
            isinstance(frame, dict)
            and frame.get("type") == "pong"
            and str(frame.get("id", "")).startswith(HEARTBEAT_ID_PREFIX)
        )

    def _lost(self, err: ConnectionClosed) -> ConnectionLostError:
        if self.heartbeat is not None and self.heartbeat.dead:
            return ConnectionLostError(
                None, "", detail=f"no answer to the heartbeat within {self.heartbeat.timeout:g} s"
            )
        if err.rcvd is not None:
            return ConnectionLostError(err.rcvd.code, err.rcvd.reason)
        return ConnectionLostError(None, "")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Stop the heartbeat and close the WebSocket politely (never raises)."""
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task
        with contextlib.suppress(Exception):
            await self._ws.close(code, reason)


def parse_frame(text: str) -> Any:
    """Parse a frame's JSON; text that is not JSON is wrapped as ``{"_raw": text}``."""
    try:
        return json.loads(text)
    except ValueError:
        return {"_raw": text}


async def open_connection(
    url: str,
    *,
    open_timeout: float = OPEN_TIMEOUT,
    heartbeat_interval: float | None = HEARTBEAT_INTERVAL,
    heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
    compression: bool = True,
) -> ChatConnection:
    """Open a WebSocket to ``url``; every failure becomes a ``ConnectError`` with a clear detail."""
    check_url(url)
    try:
        ws = await connect(
            url,
            open_timeout=open_timeout,
            ping_interval=None,  # the app-level heartbeat does this job (see module docstring)
            close_timeout=CLOSE_TIMEOUT,
            max_size=MAX_FRAME_BYTES,
            compression="deflate" if compression else None,
            user_agent_header="positive-chat-client",
        )
    except InvalidURI as err:
        raise BadUrlError(url, f"not a valid WebSocket URL ({err})") from err
    except InvalidStatus as err:
        response = err.response
        body = (response.body or b"").decode("utf-8", errors="replace").strip()[:200]
        raise HandshakeRefusedError(
            url, response.status_code, response.reason_phrase, body
        ) from err
    except InvalidHandshake as err:
        raise ConnectError(url, f"handshake failed ({err})") from err
    except TimeoutError as err:
        raise ConnectTimeoutError(url, f"no handshake within {open_timeout:g} s") from err
    except ConnectionRefusedError as err:
        raise ConnectionRefusedByHostError(
            url, "connection refused (is the server running?)"
        ) from err
    except socket.gaierror as err:
        raise ConnectionRefusedByHostError(url, f"unknown host ({err.strerror})") from err
    except ssl.SSLError as err:
        raise ConnectError(url, f"TLS failed ({err.reason or err})") from err
    except OSError as err:
        raise ConnectionRefusedByHostError(url, err.strerror or str(err)) from err
    return ChatConnection(
        ws, url, heartbeat_interval=heartbeat_interval, heartbeat_timeout=heartbeat_timeout
    )
