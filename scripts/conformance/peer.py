"""One test client on a stage: a v2 WebSocket connection that keeps every frame it received.

``expect`` waits for the first frame (read from the start, so none is missed or consumed twice)
that matches a predicate; ``saw`` looks back at what came. Frames that are not JSON objects are
kept as ``{"type": "<not json>", "raw": ...}`` and never match a typed expectation.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

__all__ = ["CheckFailed", "Frame", "Peer"]

Frame = dict[str, Any]


class CheckFailed(Exception):
    """A check saw the stage answer wrongly (the message says what was expected and seen)."""


class Peer:
    """A connected client; use ``await Peer.open(url, name)``."""

    def __init__(self, name: str, ws: ClientConnection, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self.frames: list[Frame] = []
        self._ws = ws
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, name: str, *, timeout: float) -> Peer:
        """Connect to ``url`` with ``?v=2``."""
        sep = "&" if "?" in url else "?"
        try:
            ws = await asyncio.wait_for(
                connect(f"{url}{sep}v=2", open_timeout=timeout, max_size=2**20), timeout
            )
        except (OSError, TimeoutError, ConnectionClosed, ValueError) as err:
            raise CheckFailed(f"{name} could not connect: {type(err).__name__}: {err}") from err
        except Exception as err:  # websockets' handshake refusals (InvalidStatus...)
            raise CheckFailed(f"{name} could not connect: {type(err).__name__}: {err}") from err
        return cls(name, ws, timeout)

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self._ws:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    frame = None
                if not isinstance(frame, dict):
                    frame = {"type": "<not json>", "raw": str(raw)[:200]}
                async with self._arrived:
                    self.frames.append(frame)
                    self._arrived.notify_all()

    async def send(self, **frame: Any) -> None:
        """Send one JSON frame."""
        try:
            await self._ws.send(json.dumps(frame))
        except ConnectionClosed as err:
            raise CheckFailed(f"{self.name}: the connection closed ({err})") from err

    async def join(self, room: str, lang: str, **extra: Any) -> Frame:
        """``init`` (v2) and wait for ``joined``."""
        await self.send(action="init", v=2, room=room, user=self.name, lang=lang, id="j", **extra)
        return await self.expect(lambda f: f.get("type") == "joined", f"joined {room}")

    async def expect(
        self, match: Callable[[Frame], bool], what: str, *, timeout: float | None = None
    ) -> Frame:
        """The first frame matching ``match``; CheckFailed naming ``what`` after ``timeout``."""
        async def first() -> Frame:
            async with self._arrived:
                while True:
                    for frame in self.frames:
                        if match(frame):
                            return frame
                    if self._reader.done():
                        raise CheckFailed(f"{self.name}: closed before {what}")
                    await self._arrived.wait()

        try:
            return await asyncio.wait_for(first(), timeout or self.timeout)
        except TimeoutError:
            seen = [f.get("type") if f.get("type") != "error" else f"error {f.get('code')}"
                    for f in self.frames[-8:]]
            raise CheckFailed(f"{self.name}: no {what} within {timeout or self.timeout:g} s "
                              f"(last frames: {seen})") from None

    async def error_or(self, kind: str, client_id: str, what: str) -> Frame:
        """The answer to the frame ``client_id``: ``kind``, or CheckFailed with its error."""
        frame = await self.expect(lambda f: f.get("id") == client_id
                                  and f.get("type") in (kind, "error", "rejected", "held", "ack"),
                                  what)
        if frame.get("type") != kind:
            raise CheckFailed(f"{self.name}: {what}: got {frame.get('type')} "
                              f"{frame.get('code') or frame.get('reason') or ''}".rstrip())
        return frame

    def saw(self, match: Callable[[Frame], bool]) -> bool:
        """Whether any frame so far matches."""
        return any(match(f) for f in self.frames)

    async def close(self) -> None:
        """Close normally (1000) and stop reading."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 5)
        self._reader.cancel()

    def vanish(self) -> None:
        """Drop the TCP connection without a close frame, as a client that loses its network."""
        transport = self._ws.transport
        transport.abort()
        self._reader.cancel()
