"""Delivery: domain events rendered per reader and posted through @connections.

This module owns the fan-out policy: frames are rendered once per (protocol version, language)
and posted concurrently on a bounded pool; a reader that is gone (410) is reported back so the
chat can prune it, and any other failure for one reader is logged and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from typing import Protocol

from positive_chat.domain.errors import ConnectionGoneError
from positive_chat.domain.events import Event
from positive_chat.domain.model import Connection
from positive_chat.domain.ports import Posted

__all__ = ["ConnectionsOutbox", "FramePoster", "Renderer"]

logger = logging.getLogger(__name__)


class FramePoster(Protocol):
    """Posts one frame to one connection (ConnectionGoneError when it is gone)."""

    def post(self, connection_id: str, data: bytes) -> None: ...

    def connected(self, connection_id: str) -> bool:
        """False only when the connection is gone (410)."""


# Turns one event into the frames a reader of a protocol version gets (protocol.frames_out.render,
# injected by the composition root: adapters do not know the wire format).
Renderer = Callable[[Event, int], list[bytes]]


class ConnectionsOutbox:
    """Sends events to connections, one frame per PostToConnection (the domain's Outbox port)."""

    def __init__(
        self, poster: FramePoster, pool: Executor, render: Renderer, *, address: str = ""
    ) -> None:
        self._poster = poster
        self._pool = pool
        self._render = render
        self._address = address

    @property
    def address(self) -> str:
        """The stage this outbox posts to (see Runtime.outbox_at)."""
        return self._address

    def send(self, reader: Connection, events: Sequence[Event]) -> None:
        """Send every event to one reader, in order; raises ConnectionGoneError."""
        for event in events:
            for frame in self._render(event, reader.version):
                self._poster.post(reader.connection_id, frame)

    def broadcast(
        self, readers: Sequence[Connection], events_for: Callable[[Connection], Sequence[Event]]
    ) -> list[Connection]:
        """Send to every reader concurrently; return those that are gone.

        ``events_for`` must depend only on the reader's protocol version and language: frames are
        rendered once per (version, lang) and shared.
        """
        return self.deliver(readers, events_for).gone

    def deliver(
        self, readers: Sequence[Connection], events_for: Callable[[Connection], Sequence[Event]]
    ) -> Posted:
        """``broadcast``, returning also the readers that failed (logged, never raised)."""
        rendered: dict[tuple[int, str], list[bytes]] = {}
        futures: list[tuple[Connection, Future[None]]] = []
        for reader in readers:
            key = (reader.version, reader.lang)
            frames = rendered.get(key)
            if frames is None:
                frames = rendered[key] = [
                    frame
                    for event in events_for(reader)
                    for frame in self._render(event, reader.version)
                ]
            if frames:
                futures.append((reader, self._pool.submit(self._post_all, reader, frames)))
        posted = Posted(gone=[], failed=[])
        for reader, future in futures:
            try:
                future.result()
            except ConnectionGoneError:
                posted.gone.append(reader)
            except Exception:  # one reader's failure never stops the others
                posted.failed.append(reader)
                logger.exception(
                    "could not deliver to a reader", extra={"connection_id": reader.connection_id}
                )
        if posted.failed or posted.gone:
            logger.info(
                "broadcast finished with failures",
                extra={
                    "readers": len(readers),
                    "gone": len(posted.gone),
                    "failed": len(posted.failed),
                },
            )
        return posted

    def connected(self, connection_id: str) -> bool:
        """False only when @connections says the connection is gone (410)."""
        return self._poster.connected(connection_id)

    def _post_all(self, reader: Connection, frames: Sequence[bytes]) -> None:
        for frame in frames:
            self._poster.post(reader.connection_id, frame)
