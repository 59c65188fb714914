"""The rig of ``chat-bench fanout``: the product's delivery code against a null AWS endpoint.

Everything on the posting path is the product's: ``Delivery`` (deliver / deliver_shard and the
shard split), ``ConnectionsOutbox`` with the real ``render`` on a pool of
``Settings.fanout_workers`` threads, ``LeanConnectionsApi`` (SigV4, urllib3 pool) over a boto3
client bound to the invocation as ``app.Runtime`` binds it, and ``SqsShardQueue`` (encode,
SendMessageBatch over boto3) with ``decode_shard`` in the delivery function. Only the readers
come from memory (an in-memory ConnectionRepository instead of the Connections table's Query)
and every AWS answer comes from operations.bench.fanout_server, a child process.

**CPU share.** Lambda gives a function memory/1,769 of a vCPU. ``Governor`` emulates it: after
each post (and after each SendMessageBatch, and at the end of an invocation) the calling thread
sleeps until this process's CPU time (``time.process_time``, every thread) since the invocation
started is at most share x the wall time since then. Limits: the budget is cumulative, so CPU not
used while waiting for answers is banked (Linux's CFS quota is per period and banks nothing),
which makes bursts cheaper than on Lambda; the throttle acts at post boundaries only; this
machine's core is not Lambda's (faster or slower per instruction); and when the machine is busy
the process gets less than its share and the figures are pessimistic (each run reports the CPU
share it achieved). A share above 1 cannot help: one Python process uses one core (the GIL).
"""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from positive_chat.adapters.outbox import ConnectionsOutbox
    from positive_chat.domain.model import Connection, Message

__all__ = ["CPU_MB", "LANGS", "Governor", "Rig", "message", "room"]

CPU_MB = 1769  # Lambda: 1,769 MB of memory = 1 vCPU
LANGS = ("en", "fr", "de", "es")
ADDRESS = "bench/local"
QUEUE_PATH = "/123456789012/bench-DeliveryQueue.fifo"
_START_TIMEOUT = 60.0


class Governor:
    """Holds this process to ``share`` of a core from ``start`` on (see the module's text)."""

    def __init__(self, share: float) -> None:
        self.share = share
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()

    def settle(self) -> None:
        """Sleep off the CPU used beyond the share so far."""
        if self.share >= 1:
            return
        over = (time.process_time() - self.cpu0) - self.share * (time.perf_counter() - self.wall0)
        if over > 0:
            time.sleep(over / self.share)

    def used(self) -> tuple[float, float]:
        """(CPU seconds, wall seconds) since the start."""
        return time.process_time() - self.cpu0, time.perf_counter() - self.wall0


class TimedPoster:
    """The outbox's poster: the lean post, then the governor, then the completion time."""

    def __init__(self, inner: Any, rig: Rig) -> None:
        self._inner = inner
        self._rig = rig

    def post(self, connection_id: str, data: bytes) -> None:
        self._inner.post(connection_id, data)
        self._rig.governor.settle()
        self._rig.done.append((connection_id, time.perf_counter()))

    def connected(self, connection_id: str) -> bool:
        return bool(self._inner.connected(connection_id))


class RecordingSqs:
    """The SQS client as SqsShardQueue sees it; records when each batch was accepted."""

    def __init__(self, client: Any, rig: Rig) -> None:
        self._client = client
        self._rig = rig

    def send_message_batch(self, **params: Any) -> Any:
        answer = self._client.send_message_batch(**params)
        self._rig.governor.settle()
        bodies = [entry["MessageBody"] for entry in params["Entries"]]
        self._rig.batches.append((time.perf_counter(), bodies))
        return answer


@dataclass
class RoomConnections:
    """The ConnectionRepository port over a list (only in_room and delete are used here)."""

    readers: list[Connection] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def in_room(self, room: str) -> list[Connection]:
        return [r for r in self.readers if r.room == room]

    def delete(self, connection_id: str) -> Connection | None:
        self.deleted.append(connection_id)
        return None

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError(f"the fan-out bench does not use {name}")


class NullMetrics:
    def count(self, name: str, value: float = 1) -> None:
        """Metrics are not part of the measurement."""


class Untranslated:
    """The Translator port: the bench's message carries every reader's language already."""

    def translate(self, text: str, source: str, target: str) -> str:
        raise AssertionError(f"the fan-out bench translates nothing ({source} -> {target})")


def room(size: int, tag: str, name: str = "town-hall") -> list[Connection]:
    """``size`` v2 readers in four languages, connection ids unique to ``tag``."""
    from positive_chat.domain.model import Connection

    return [
        Connection(f"{tag}{n:06d}=", room=name, user=f"Reader{n}", lang=LANGS[n % 4], version=2)
        for n in range(size)
    ]


def message(name: str = "town-hall") -> Message:
    """A stored message with every reader's translation on it (nothing left to translate)."""
    from positive_chat.domain.model import Message

    return Message(
        room=name,
        message_id="01KBBENCH000000000",
        user="Host",
        lang="en",
        content="Welcome everyone, the town hall starts in five minutes!",
        created_at=1_764_800_000_000,
        status="published",
        sentiment="POSITIVE",
        room_topics=("town hall", "welcome"),
        translations={
            "fr": "Bienvenue à tous, la réunion commence dans cinq minutes !",
            "de": "Willkommen, die Versammlung beginnt in fünf Minuten!",
            "es": "¡Bienvenidos, la reunión empieza en cinco minutos!",
        },
    )


class Rig:
    """The null endpoint (a child process) and the clients, pools and outbox built over it."""

    def __init__(self, url: str, workers: int) -> None:
        from positive_chat.adapters.lean_post import LeanConnectionsApi
        from positive_chat.adapters.outbox import ConnectionsOutbox
        from positive_chat.adapters.resilience import (
            DeadlineSlot,
            ResiliencePolicy,
            bind_to_invocation,
        )
        from positive_chat.protocol.frames_out import render

        from operations.bench.post import bench_session

        self.url = url
        self.queue_url = url + QUEUE_PATH
        self.governor = Governor(1.0)
        self.done: list[tuple[str, float]] = []
        self.batches: list[tuple[float, list[str]]] = []
        session, config = bench_session(workers)
        slot, policy = DeadlineSlot(), ResiliencePolicy()

        def client(service: str, endpoint: str, reserve: float) -> Any:
            made = session.client(service, endpoint_url=endpoint, config=config)
            return bind_to_invocation(made, slot, reserve)

        management = client("apigatewaymanagementapi", url + "/local", policy.answer_reserve)
        lean = LeanConnectionsApi(
            management, session.get_credentials, slot,
            reserve=policy.answer_reserve, pool_size=workers,
        )
        self.sqs = client("sqs", url, policy.storage_reserve)
        self.lambda_client = client("lambda", url, policy.storage_reserve)
        self.dynamodb = client("dynamodb", url, policy.storage_reserve)
        self.pool = ThreadPoolExecutor(workers, "fanout")
        self.outbox: ConnectionsOutbox = ConnectionsOutbox(
            TimedPoster(lean, self), self.pool, render, address=ADDRESS
        )

    def begin(self, memory_mb: int) -> Governor:
        """Start an invocation at ``memory_mb``'s share of a vCPU."""
        self.governor = Governor(memory_mb / CPU_MB)
        return self.governor

    def delivery(self, connections: RoomConnections, threshold: int, size: int) -> Any:
        """The product's Delivery over the queue (``None`` threshold: no queue, direct only)."""
        from positive_chat.adapters.delivery_queue import SqsShardQueue
        from positive_chat.domain.delivery import Delivery, ShardPlan
        from positive_chat.domain.notices import Notices
        from positive_chat.domain.presence import RoomPresence
        from positive_chat.domain.translation import Translations

        metrics = NullMetrics()
        repo = cast(Any, connections)
        translations = Translations(
            translator=cast(Any, Untranslated()), messages=cast(Any, None),
            metrics=metrics, pool=self.pool,
        )
        presence = RoomPresence(
            connections=repo, notices=Notices(translations, metrics), metrics=metrics,
            clock=cast(Any, None),
        )
        queue = SqsShardQueue(cast(Any, RecordingSqs(self.sqs, self)), self.queue_url)
        return Delivery(
            connections=repo, translations=translations, presence=presence, metrics=metrics,
            queue=queue, plan=ShardPlan(threshold=threshold, size=size),
        )

    def reset(self) -> None:
        self.done.clear()
        self.batches.clear()


@contextlib.contextmanager
def rig(rtt_ms: float, sqs_rtt_ms: float, workers: int) -> Iterator[tuple[Rig, Any]]:
    """The null endpoint's child process and a Rig over it; yields (rig, counts())."""
    command = [sys.executable, "-m", "operations.bench.fanout_server",
               "--rtt-ms", str(rtt_ms), "--sqs-rtt-ms", str(sqs_rtt_ms)]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None
    assert child.stdout is not None
    stdin, stdout = child.stdin, child.stdout
    made: Rig | None = None
    try:
        ready, _, _ = select.select([stdout], [], [], _START_TIMEOUT)
        url = stdout.readline().strip() if ready else ""
        if not url:
            raise RuntimeError(f"the null endpoint did not start in {_START_TIMEOUT:.0f} s")

        def counts() -> dict[str, int]:
            """Posts per connection id since the last call, as the server counted them."""
            stdin.write("counts\n")
            stdin.flush()
            return dict(json.loads(stdout.readline()))

        made = Rig(url, workers)
        yield made, counts
    finally:
        if made is not None:
            made.pool.shutdown(wait=True)
        stdin.close()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        stdout.close()

