"""Unique names in a room, without AWS: taken, lookalikes, release, stale take-over, a race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from positive_chat.config import NAME_CLAIM_GRACE_MS
from positive_chat.domain.errors import NameTakenError
from positive_chat.domain.model import Connection
from positive_chat.domain.names import name_key
from positive_chat.domain.ports import NameClaim
from positive_chat.domain.room_names import RoomNames

START = 1_763_900_000_000


class Claims:
    """In-memory NameClaims: each method is atomic (as one conditional write is)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], NameClaim] = {}
        self.lock = threading.Lock()

    def claim(
        self, room: str, key: str, *, holder: str, user: str, now: int, ttl: int
    ) -> NameClaim | None:
        with self.lock:
            current = self.items.get((room, key))
            if current is None or current.holder == holder:
                self.items[(room, key)] = NameClaim(holder, user, now)
                return None
            return current

    def take_over(
        self, room: str, key: str, *, holder: str, previous: str, user: str, now: int, ttl: int
    ) -> bool:
        with self.lock:
            current = self.items.get((room, key))
            if current is not None and current.holder != previous:
                return False
            self.items[(room, key)] = NameClaim(holder, user, now)
            return True

    def release(self, room: str, key: str, *, holder: str) -> None:
        with self.lock:
            current = self.items.get((room, key))
            if current is not None and current.holder == holder:
                del self.items[(room, key)]


class Connections:
    """The Connections records the stale check reads (and deletes)."""

    def __init__(self, *connections: Connection) -> None:
        self.items = {c.connection_id: c for c in connections}

    def get(self, connection_id: str) -> Connection | None:
        return self.items.get(connection_id)

    def delete(self, connection_id: str) -> Connection | None:
        return self.items.pop(connection_id, None)


class Outbox:
    """@connections as the stale check sees it: ids in ``gone`` answer 410."""

    def __init__(self, gone: set[str] | None = None) -> None:
        self.gone = gone or set()
        self.asked: list[str] = []

    def connected(self, connection_id: str) -> bool:
        self.asked.append(connection_id)
        return connection_id not in self.gone


class Clock:
    def __init__(self) -> None:
        self.now = START

    def now_ms(self) -> int:
        return self.now


class Metrics:
    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def count(self, name: str, value: float = 1) -> None:
        self.values[name] = self.values.get(name, 0) + value


def names(
    connections: Connections | None = None,
) -> tuple[RoomNames, Claims, Connections, Clock, Metrics]:
    claims, clock, metrics = Claims(), Clock(), Metrics()
    connections = connections or Connections()
    service = RoomNames(claims=claims, connections=connections, metrics=metrics, clock=clock)
    return service, claims, connections, clock, metrics


LOOKALIKES = ["Ana", "ana", "\uff21\uff4e\uff41", "\u0410na"]
ANA = Connection("c-ana", room="lobby", user="Ana", lang="en", version=2)


# Lookalikes are written as escapes: \uff21.. are fullwidth letters, \u0410 a Cyrillic A.
@pytest.mark.parametrize(
    "variant",
    ["Ana", "ana", "\uff21\uff2e\uff21", "\uff21\uff4e\uff41", "\u0410na"],
    ids=["same", "case", "width-upper", "width", "cyrillic-A"],
)
def test_a_taken_name_is_refused_in_every_lookalike_form(variant: str) -> None:
    """Case, width and confusable variants of a held name are NAME_TAKEN, with a clear message."""
    service, claims, _, _, metrics = names(Connections(ANA))
    service.claim(Outbox(), "lobby", "Ana", "c-ana")
    with pytest.raises(NameTakenError) as refused:
        service.claim(Outbox(), "lobby", variant, "c-other")
    assert refused.value.code == "NAME_TAKEN"
    assert refused.value.field == "user"
    assert "'Ana'" in refused.value.message
    assert claims.items[("lobby", name_key("Ana"))].holder == "c-ana"  # nothing changed
    assert metrics.values["NamesRefused"] == 1


def test_the_same_name_is_free_in_another_room_and_for_its_own_holder() -> None:
    """Uniqueness is per room; the holder re-joining with its own name is never refused."""
    service, claims, _, _, _ = names(Connections(ANA))
    service.claim(Outbox(), "lobby", "Ana", "c-ana")
    service.claim(Outbox(), "lobby", "ana", "c-ana")
    service.claim(Outbox(), "music", "Ana", "c-other")
    assert claims.items[("music", name_key("Ana"))].holder == "c-other"


def test_release_frees_the_name_and_never_drops_someone_elses_claim() -> None:
    """Only the holder's release lets the name go."""
    service, claims, _, _, _ = names(Connections(ANA))
    service.claim(Outbox(), "lobby", "Ana", "c-ana")
    service.release("lobby", "Ana", "c-other")
    assert ("lobby", name_key("Ana")) in claims.items
    service.release("lobby", "ANA", "c-ana")
    assert claims.items == {}
    service.claim(Outbox(), "lobby", "Ana", "c-other")


def test_a_holder_that_is_gone_loses_the_name_and_its_record() -> None:
    """@connections says 410 (the server was killed, no $disconnect): the name is taken over and
    the dead connection forgotten, so presence lists one Ana."""
    service, claims, connections, _, metrics = names(Connections(ANA))
    service.claim(Outbox(), "lobby", "Ana", "c-ana")
    outbox = Outbox(gone={"c-ana"})
    service.claim(outbox, "lobby", "Ana", "c-new")
    assert claims.items[("lobby", name_key("Ana"))].holder == "c-new"
    assert outbox.asked == ["c-ana"]
    assert connections.get("c-ana") is None
    assert metrics.values["NameClaimsTakenOver"] == 1


def test_a_live_holder_keeps_its_name() -> None:
    """The holder is in the room under the name and @connections knows it: NAME_TAKEN."""
    service, _, connections, clock, _ = names(Connections(ANA))
    service.claim(Outbox(), "lobby", "Ana", "c-ana")
    clock.now += 10 * NAME_CLAIM_GRACE_MS
    with pytest.raises(NameTakenError):
        service.claim(Outbox(), "lobby", "Ana", "c-new")
    assert connections.get("c-ana") == ANA


def test_a_claim_without_its_connection_is_stale_only_after_the_grace_period() -> None:
    """A fresh claim whose connection is not stored yet belongs to a join under way; once old,
    a claim whose holder is no longer in the room under that name is taken over."""
    service, claims, _, clock, _ = names(Connections())
    service.claim(Outbox(), "lobby", "Ana", "c-joining")
    with pytest.raises(NameTakenError):
        service.claim(Outbox(), "lobby", "Ana", "c-new")
    clock.now += NAME_CLAIM_GRACE_MS + 1
    service.claim(Outbox(), "lobby", "Ana", "c-new")
    assert claims.items[("lobby", name_key("Ana"))].holder == "c-new"


def test_a_holder_that_moved_on_is_stale_after_the_grace_period() -> None:
    """Its connection is now in another room (or renamed): the old claim is free."""
    moved = Connection("c-ana", room="music", user="Ana", lang="en", version=2)
    service, claims, _, clock, _ = names(Connections(moved))
    claims.items[("lobby", name_key("Ana"))] = NameClaim("c-ana", "Ana", START)
    clock.now += NAME_CLAIM_GRACE_MS + 1
    service.claim(Outbox(), "lobby", "Ana", "c-new")
    assert claims.items[("lobby", name_key("Ana"))].holder == "c-new"


def test_two_joins_with_one_name_at_once_exactly_one_wins() -> None:
    """Many threads claim lookalikes of one name at the same moment: one holds it, the rest are
    refused (repeated, so an unlucky interleaving would show)."""
    for _ in range(50):
        service, claims, _, _, _ = names(Connections())
        barrier = threading.Barrier(8)

        def join(n: int, service: RoomNames = service, barrier: threading.Barrier = barrier) -> str:
            barrier.wait()
            try:
                service.claim(Outbox(), "lobby", LOOKALIKES[n % 4], f"c{n}")
            except NameTakenError:
                return "refused"
            return f"c{n}"

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(join, range(8)))
        winners = [r for r in results if r != "refused"]
        assert len(winners) == 1
        assert claims.items[("lobby", name_key("Ana"))].holder == winners[0]
