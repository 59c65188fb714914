"""A small protocol-v2 test client over a real WebSocket, for the end-to-end suites."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

__all__ = ["ChatClient", "Frame"]

Frame = dict[str, Any]
DEFAULT_TIMEOUT = 15.0
_ids = itertools.count(1)


class ChatClient:
    """One chat user: joins a room, sends actions, and waits for typed frames."""

    def __init__(self, ws: ClientConnection, *, user: str, lang: str) -> None:
        self.ws = ws
        self.user = user
        self.lang = lang
        self.frames: list[Frame] = []  # every frame received, in order
        self._cursor = 0  # frames before this index were consumed by expect()

    @classmethod
    async def connect(cls, url: str, *, user: str, lang: str = "en", **kwargs: Any) -> ChatClient:
        ws = await websockets.connect(url, max_size=None, **kwargs)
        return cls(ws, user=user, lang=lang)

    @classmethod
    async def join(
        cls, url: str, room: str, *, user: str, lang: str = "en", after: str | None = None
    ) -> ChatClient:
        """Connect, send ``init`` v2 and wait for the history frame."""
        client = await cls.connect(url, user=user, lang=lang)
        await client.init(room, after=after)
        return client

    async def init(self, room: str, *, after: str | None = None) -> Frame:
        frame: Frame = {
            "action": "init", "v": 2, "room": room, "lang": self.lang, "user": self.user
        }
        if after:
            frame["after"] = after
        await self.send(frame)
        await self.expect("joined")
        return await self.expect("history")

    async def send(self, frame: Frame | str) -> str | None:
        """Send a frame (a dict gets a fresh client id unless it has one); return the id."""
        if isinstance(frame, str):
            await self.ws.send(frame)
            return None
        frame.setdefault("id", f"t{next(_ids)}-{time.monotonic_ns()}")
        await self.ws.send(json.dumps(frame))
        return str(frame["id"])

    async def post(self, content: str, *, client_id: str | None = None) -> str:
        """Send a chat message; return its client id."""
        frame: Frame = {"action": "message", "content": content}
        if client_id:
            frame["id"] = client_id
        sent = await self.send(frame)
        assert sent is not None
        return sent

    async def _next(self, timeout: float) -> Frame:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame = json.loads(raw)
        self.frames.append(frame)
        return frame  # type: ignore[no-any-return]

    async def outcome(self, client_id: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """What happened to the message sent with ``client_id``: published, rejected or held."""
        frame = await self.expect(
            ("ack", "rejected", "held"), lambda f: f.get("id") == client_id, timeout=timeout
        )
        return str(frame["status"]) if frame["type"] == "ack" else str(frame["type"])

    async def expect(
        self,
        frame_type: str | tuple[str, ...],
        where: Callable[[Frame], bool] = lambda _f: True,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Frame:
        """Return the first not-yet-consumed frame of this type (or types) matching ``where``."""
        types = (frame_type,) if isinstance(frame_type, str) else frame_type
        deadline = time.monotonic() + timeout
        while True:
            for index in range(self._cursor, len(self.frames)):
                frame = self.frames[index]
                if isinstance(frame, dict) and frame.get("type") in types and where(frame):
                    self.frames[index] = {"type": "_consumed", "was": frame}
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.user}: no {frame_type!r} frame in {timeout}s; got "
                    f"{json.dumps(self.frames[-10:], ensure_ascii=False)[:2000]}"
                )
            try:
                await self._next(remaining)
            except TimeoutError:
                continue

    async def drain(self, quiet: float = 0.3) -> list[Frame]:
        """Read until nothing arrives for ``quiet`` seconds; return what arrived."""
        got: list[Frame] = []
        while True:
            try:
                got.append(await self._next(quiet))
            except TimeoutError:
                return got

    def seen(self, frame_type: str) -> list[Frame]:
        """Every frame of this type received so far (consumed or not)."""
        out = []
        for frame in self.frames:
            real = frame.get("was", frame) if frame.get("type") == "_consumed" else frame
            if real.get("type") == frame_type:
                out.append(real)
        return out

    async def close(self) -> None:
        await self.ws.close()
