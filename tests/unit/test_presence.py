"""Unit tests of presence in large rooms: the capped member list, the count, and no join/leave
broadcasts above PRESENCE_BROADCAST_MAX readers (in-memory fakes of tests/unit/test_chat.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from positive_chat.config import (
    FRAME_SPLIT_BYTES,
    MODERATORS_ROOM,
    NAME_MAX_CHARS,
    PRESENCE_BROADCAST_MAX,
    PRESENCE_MAX_MEMBERS,
)
from positive_chat.domain.commands import JoinCommand, PostCommand
from positive_chat.domain.events import Event, Presence
from positive_chat.domain.model import Connection
from positive_chat.domain.presence import is_large, roster
from positive_chat.protocol import frames_out

from tests.unit.test_chat import FakeConnections, FakeOutbox, service


def reader(i: int, *, room: str = "big", version: int = 2, named: bool = True) -> Connection:
    """Reader number ``i``: named u0000, u0001... (sorted by number), English."""
    user = f"u{i:04d}" if named else None
    return Connection(f"c{i:04d}", room=room, user=user, lang="en", version=version)


def room_of(n: int, **kwargs: Any) -> FakeConnections:
    return FakeConnections(*(reader(i, **kwargs) for i in range(n)))


@pytest.fixture
def pool() -> Any:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def presences(outbox: FakeOutbox, event: str | None = None) -> list[tuple[str, Presence]]:
    return [
        (cid, e)
        for cid, e in outbox.sent
        if isinstance(e, Presence) and (event is None or e.event == event)
    ]


def join(pool: Any, connections: FakeConnections, user: str) -> FakeOutbox:
    """``user`` (connection "me") joins the room "big" with a v2 init; returns what was sent."""
    outbox = FakeOutbox()
    chat, _ = service(pool, connections=connections, outbox=outbox)
    command = JoinCommand(room="big", lang="fr", version=2, user=user)
    chat.rooms.join(outbox, "me", command)
    return outbox


# The roster --------------------------------------------------------------------------------


def test_roster_lists_everyone_sorted_by_name_under_the_cap() -> None:
    """Under the cap: every named connection, sorted by name (case-insensitively), counted."""
    people = [
        Connection("1", user="bo"),
        Connection("2", user="Ana", lang="fr"),
        Connection("3"),  # a v1 reader not yet named: neither listed nor counted
    ]
    assert roster(people) == roster(reversed(people))
    assert roster(people).members == (("Ana", "fr"), ("bo", "en"))
    assert roster(people).count == 2


def test_roster_is_capped_and_counts_everyone() -> None:
    """Above the cap: the first PRESENCE_MAX_MEMBERS by name, and the count of all."""
    people = [reader(i) for i in range(PRESENCE_MAX_MEMBERS + 50)]
    result = roster(reversed(people))
    assert len(result.members) == PRESENCE_MAX_MEMBERS
    assert result.members == tuple((f"u{i:04d}", "en") for i in range(PRESENCE_MAX_MEMBERS))
    assert result.count == PRESENCE_MAX_MEMBERS + 50


def test_roster_always_lists_the_joiner_in_its_place() -> None:
    """The joiner is listed even when it sorts past the cap; the list stays sorted by name."""
    people = [reader(i) for i in range(PRESENCE_MAX_MEMBERS + 5)]
    me = Connection("me", room="big", user="zed", lang="ja", version=2)
    result = roster([me, *people], first=me)
    assert len(result.members) == PRESENCE_MAX_MEMBERS
    assert result.members[-1] == ("zed", "ja")
    assert result.members[:-1] == tuple(
        (f"u{i:04d}", "en") for i in range(PRESENCE_MAX_MEMBERS - 1)
    )
    assert result.count == PRESENCE_MAX_MEMBERS + 6
    early = Connection("me", room="big", user="a", lang="ja", version=2)  # already listed
    assert roster([early, *people], first=early).members[0] == ("a", "ja")
    assert len(roster([early, *people], first=early).members) == PRESENCE_MAX_MEMBERS


def test_a_presence_frame_of_ten_thousand_fits_one_gateway_frame() -> None:
    """10,000 members with the longest names (4 bytes a character): one frame under 32 KB."""
    longest = "\U0001f600" * NAME_MAX_CHARS
    people = [
        Connection(f"c{i}", user=f"{longest[:-5]}{i:05d}", lang="zh-TW") for i in range(10_000)
    ]
    present = roster(people)
    event = Presence("big", "snapshot", people[0].user, present.members, count=present.count)
    [frame] = frames_out.render(event, 2)
    assert len(frame) < FRAME_SPLIT_BYTES
    assert b'"count":10000' in frame


def test_a_room_is_large_above_the_broadcast_limit() -> None:
    assert not is_large(PRESENCE_BROADCAST_MAX)
    assert is_large(PRESENCE_BROADCAST_MAX + 1)


# Joins -------------------------------------------------------------------------------------


def test_join_at_the_limit_is_told_to_the_room_with_a_capped_list(pool: Any) -> None:
    """A join that makes the room PRESENCE_BROADCAST_MAX readers is told to every other one."""
    others = PRESENCE_BROADCAST_MAX - 1
    outbox = join(pool, room_of(others), "zed")
    told = presences(outbox, "join")
    assert sorted(cid for cid, _ in told) == [f"c{i:04d}" for i in range(others)]
    frame = told[0][1]
    assert frame.count == PRESENCE_BROADCAST_MAX
    assert len(frame.members) == min(PRESENCE_BROADCAST_MAX, PRESENCE_MAX_MEMBERS)
    assert ("zed", "fr") in frame.members  # the joiner is listed in its own join


def test_join_above_the_limit_tells_only_the_joiner(pool: Any) -> None:
    """The join that makes the room large is told to nobody; the joiner gets its snapshot."""
    others = PRESENCE_BROADCAST_MAX
    outbox = join(pool, room_of(others), "zed")
    assert {cid for cid, _ in outbox.sent} == {"me"}
    [(_, snapshot)] = presences(outbox)
    assert snapshot.event == "snapshot"
    assert snapshot.count == others + 1
    assert len(snapshot.members) == PRESENCE_MAX_MEMBERS
    assert ("zed", "fr") in snapshot.members


def test_snapshot_in_a_room_of_two_thousand(pool: Any) -> None:
    """Two thousand readers: one frame to the joiner, 100 members listed, the count of all."""
    connections = room_of(1999)
    connections.items["unnamed"] = Connection("unnamed", room="big", version=1)
    outbox = join(pool, connections, "Ana")
    assert len(outbox.sent) == 4  # joined, history, presence, topics: to the joiner only
    [(_, snapshot)] = presences(outbox)
    assert (snapshot.count, len(snapshot.members)) == (2000, PRESENCE_MAX_MEMBERS)
    assert snapshot.members[0] == ("Ana", "fr")


def test_v1_name_binding_announces_a_join_that_lists_the_joiner(pool: Any) -> None:
    """A v1 reader named by its first message is listed in the join the room hears."""
    connections = room_of(3)
    connections.items["v1"] = Connection("v1", room="big", user="Cy", lang="de", version=1)
    outbox = FakeOutbox()
    chat, _ = service(pool, connections=connections, outbox=outbox)
    chat.presence.announce(outbox, "big", "join", "Cy", exclude="v1")
    told = presences(outbox, "join")
    assert [cid for cid, _ in told] == ["c0000", "c0001", "c0002"]
    assert ("Cy", "de") in told[0][1].members
    assert told[0][1].count == 4


# Leaves ------------------------------------------------------------------------------------


def leave_from(pool: Any, size: int) -> FakeOutbox:
    """The last of ``size`` readers closes its connection; returns what the room was sent."""
    connections = room_of(size)
    outbox = FakeOutbox()
    chat, _ = service(pool, connections=connections, outbox=outbox)
    chat.rooms.disconnect(outbox, f"c{size - 1:04d}")
    return outbox


def test_leave_at_the_limit_is_told_with_the_count(pool: Any) -> None:
    """A leave that leaves PRESENCE_BROADCAST_MAX readers is told to all of them."""
    outbox = leave_from(pool, PRESENCE_BROADCAST_MAX + 1)
    told = presences(outbox, "leave")
    assert len(told) == PRESENCE_BROADCAST_MAX
    assert {e.count for _, e in told} == {PRESENCE_BROADCAST_MAX}
    assert {len(e.members) for _, e in told} == {PRESENCE_MAX_MEMBERS}


def test_leave_in_a_large_room_is_told_to_nobody(pool: Any) -> None:
    outbox = leave_from(pool, PRESENCE_BROADCAST_MAX + 2)
    assert outbox.sent == []


def test_moderators_hear_no_presence(pool: Any) -> None:
    """Moderator connections are no chat room: joins and leaves there are told to nobody."""
    connections = room_of(3, room=MODERATORS_ROOM)
    outbox = FakeOutbox()
    chat, _ = service(pool, connections=connections, outbox=outbox)
    chat.presence.announce(outbox, MODERATORS_ROOM, "leave", "u0009", exclude="c0009")
    assert outbox.sent == []


# Pruning gone readers ----------------------------------------------------------------------


def post_to(pool: Any, size: int, gone: set[str]) -> tuple[FakeOutbox, FakeConnections]:
    """Reader c0000 posts to a room of ``size`` readers, some of them ``gone``."""
    connections = room_of(size)
    outbox = FakeOutbox(gone=gone)
    chat, _ = service(pool, connections=connections, outbox=outbox)
    chat.posting.post(outbox, connections.items["c0000"], PostCommand(content="hello everyone"))
    return outbox, connections


def test_prune_at_the_limit_tells_the_rest(pool: Any) -> None:
    """One reader gone from a room of PRESENCE_BROADCAST_MAX + 1: the rest hear it left."""
    outbox, connections = post_to(pool, PRESENCE_BROADCAST_MAX + 1, {"c0005"})
    assert "c0005" not in connections.items
    told = presences(outbox, "leave")
    assert len(told) == PRESENCE_BROADCAST_MAX
    assert {(e.user, e.count) for _, e in told} == {("u0005", PRESENCE_BROADCAST_MAX)}


def test_prune_in_a_large_room_deletes_but_tells_nobody(pool: Any) -> None:
    """Gone readers of a large room are deleted and counted; nobody hears they left."""
    outbox, connections = post_to(pool, PRESENCE_BROADCAST_MAX + 2, {"c0005"})
    assert "c0005" not in connections.items
    assert presences(outbox) == []
    delivered: list[Event] = [e for cid, e in outbox.sent if cid == "c0006"]
    assert len(delivered) == 1  # the message itself


def test_prune_of_part_of_a_room_tells_nobody(pool: Any) -> None:
    """A delivery shard (``room_readers`` says the room is bigger) prunes, telling nobody."""
    connections = room_of(10)
    outbox = FakeOutbox()
    chat, parts = service(pool, connections=connections, outbox=outbox)
    shard = [connections.items[f"c{i:04d}"] for i in range(5)]
    chat.presence.prune(outbox, "big", shard[:1], shard, room_readers=10)
    assert "c0000" not in connections.items
    assert outbox.sent == []
    assert parts["metrics"].values["StaleConnectionsPruned"] == 1
    chat.presence.prune(outbox, "big", shard[1:2], shard[1:], room_readers=4)
    assert [cid for cid, _ in presences(outbox, "leave")] == ["c0002", "c0003", "c0004"]
