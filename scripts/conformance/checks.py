"""The checks of `scripts/smoke`: each runs in a room of its own, with clients of its own.

Every check returns a one-line note on success, raises ``Skip`` when the stage itself says the
feature is unavailable (only translation may be skipped, and only so), and raises
``CheckFailed`` on a wrong or missing answer. Texts: one plainly friendly English message and
one plainly hostile one, which Comprehend and the local cloud's offline judge both decide the
same way.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.peer import CheckFailed, Frame, Peer

__all__ = ["CHECKS", "FRIENDLY", "HOSTILE", "Skip", "Stage"]

FRIENDLY = "Good morning friends, I hope you all have a lovely day together."
FRIENDLY_2 = "Thank you for the wonderful music recommendations, they are great."
HOSTILE = "I hate you all, you are stupid and this chat is awful."


class Skip(Exception):
    """The stage says the feature is unavailable (the message says so)."""


@dataclass
class Stage:
    """The stage under test, and the clients a check opened (closed after it)."""

    url: str
    timeout: float
    run_id: str
    peers: list[Peer]

    def room(self, check: str) -> str:
        """A fresh room for one check."""
        return f"smoke-{self.run_id}-{check}"

    async def peer(self, name: str) -> Peer:
        """A new connected client, closed when the check ends."""
        peer = await Peer.open(self.url, f"{name}{self.run_id[:4]}", timeout=self.timeout)
        self.peers.append(peer)
        return peer


def _of(kind: str, **fields: Any) -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


def _is_message(content: str) -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == "message" and f.get("content") == content


async def _post(peer: Peer, text: str, client_id: str) -> Frame:
    """Send a message and wait for its ack (published)."""
    await peer.send(action="message", content=text, id=client_id)
    ack = await peer.error_or("ack", client_id, f"the ack of {text[:30]!r}")
    if ack.get("status") != "published":
        raise CheckFailed(f"{text[:30]!r} was acked {ack.get('status')!r}, not published")
    return ack


async def _history(peer: Peer, client_id: str, what: str) -> list[Frame]:
    """Every message of one history page (all its frames, up to the final one)."""
    await peer.expect(_of("history", id=client_id, final=True), what)
    return [m for f in peer.frames if f.get("type") == "history" and f.get("id") == client_id
            for m in f.get("messages", [])]


def _members(frame: Frame) -> set[str]:
    """The names a presence frame lists; its ``count`` (the room's total) must agree in a small
    room, where nobody is left off the list."""
    names = {str(m.get("user")) for m in frame.get("members", []) if isinstance(m, dict)}
    if frame.get("count") != len(frame.get("members", [])):
        raise CheckFailed(f"presence count {frame.get('count')!r} for {sorted(names)}")
    return names


# --- the checks -------------------------------------------------------------------------------


async def check_join(stage: Stage) -> str:
    """init is answered by joined, then history, presence (snapshot) and topics."""
    room = stage.room("join")
    ana = await stage.peer("Ana")
    joined = await ana.join(room, "en")
    if joined.get("room") != room or joined.get("user") != ana.name:
        raise CheckFailed(f"joined names the wrong room or user: {joined}")
    history = await _history(ana, "j", "the join's history")
    if history:
        raise CheckFailed(f"a new room's history is not empty: {len(history)} messages")
    snapshot = await ana.expect(_of("presence", event="snapshot"), "the presence snapshot")
    if ana.name not in _members(snapshot):
        raise CheckFailed(f"the snapshot does not list the joiner: {snapshot.get('members')}")
    await ana.expect(_of("topics", room=room), "the room's topics")
    return "joined, then history (empty), presence snapshot and topics"


async def check_presence(stage: Stage) -> str:
    """The room hears who joins and who leaves; a joiner's snapshot lists everyone."""
    room = stage.room("presence")
    ana, bo = await stage.peer("Ana"), await stage.peer("Bo")
    await ana.join(room, "en")
    await bo.join(room, "es")
    heard = await ana.expect(_of("presence", event="join", user=bo.name), "Bo's join")
    if _members(heard) != {ana.name, bo.name}:
        raise CheckFailed(f"members after Bo's join: {heard.get('members')}")
    snapshot = await bo.expect(_of("presence", event="snapshot"), "Bo's snapshot")
    if _members(snapshot) != {ana.name, bo.name}:
        raise CheckFailed(f"Bo's snapshot lists {snapshot.get('members')}")
    await bo.close()
    left = await ana.expect(_of("presence", event="leave", user=bo.name), "Bo's leave")
    if _members(left) != {ana.name}:
        raise CheckFailed(f"members after Bo left: {left.get('members')}")
    return "join and leave heard by the room, snapshot complete, counts right"


async def check_translate(stage: Stage) -> str:
    """An English message reaches a Spanish reader translated (en -> es)."""
    room = stage.room("translate")
    ana, bo = await stage.peer("Ana"), await stage.peer("Bo")
    await ana.join(room, "en")
    await bo.join(room, "es")
    await _post(ana, FRIENDLY, "t1")
    got = await bo.expect(_is_message(FRIENDLY), "the message, for the Spanish reader")
    if got.get("translation") == "unavailable":
        raise Skip("the stage says translation en->es is unavailable "
                   "(\"translation\": \"unavailable\"); delivered in the original")
    text = got.get("text")
    if got.get("translation") != "translated" or got.get("textLang") != "es" or not text:
        raise CheckFailed(f"expected a Spanish translation, got translation="
                          f"{got.get('translation')!r} textLang={got.get('textLang')!r}")
    if text == FRIENDLY:
        raise CheckFailed("the 'translated' text is the English original")
    own = await ana.expect(_is_message(FRIENDLY), "the sender's own copy")
    if own.get("translation") != "original":
        raise CheckFailed(f"the sender's copy is marked {own.get('translation')!r}")
    return f"en -> es: {text[:50]!r}"


async def check_refuse(stage: Stage) -> str:
    """A hostile message is refused (rejected, NEGATIVE) and reaches nobody."""
    room = stage.room("refuse")
    ana, bo = await stage.peer("Ana"), await stage.peer("Bo")
    await ana.join(room, "en")
    await bo.join(room, "en")
    await ana.send(action="message", content=HOSTILE, id="r1")
    refused = await ana.error_or("rejected", "r1", "the refusal of the hostile message")
    if refused.get("reason") != "NEGATIVE" or not refused.get("notice"):
        raise CheckFailed(f"rejected without reason NEGATIVE and a notice: {refused}")
    # A later message from the same sender reaches Bo after anything sent before it would have.
    await _post(ana, FRIENDLY, "r2")
    await bo.expect(_is_message(FRIENDLY), "the friendly message after it")
    if bo.saw(_is_message(HOSTILE)) or ana.saw(_is_message(HOSTILE)):
        raise CheckFailed("the hostile message was delivered to the room")
    return f"rejected (NEGATIVE), notice {str(refused.get('notice'))[:40]!r}"


async def check_history(stage: Stage) -> str:
    """A joiner gets the published messages, oldest first, without the refused one; paging
    back with `history` returns the older page."""
    room = stage.room("history")
    ana = await stage.peer("Ana")
    await ana.join(room, "en")
    first = await _post(ana, FRIENDLY, "h1")
    await ana.send(action="message", content=HOSTILE, id="h2")
    await ana.error_or("rejected", "h2", "the refusal of the hostile message")
    second = await _post(ana, FRIENDLY_2, "h3")
    cy = await stage.peer("Cy")
    await cy.join(room, "en")
    ids = [m.get("messageId") for m in await _history(cy, "j", "the join's history")]
    expected = [first["messageId"], second["messageId"]]
    if ids != expected:
        raise CheckFailed(f"join history {ids}, expected {expected}")
    await cy.send(action="history", before=second["messageId"], limit=1, id="p1")
    page = await cy.expect(_of("history", id="p1", final=True), "the older page")
    older = [m.get("messageId") for m in await _history(cy, "p1", "the older page")]
    if page.get("mode") != "before" or older != [first["messageId"]]:
        raise CheckFailed(f"history before the newest: mode {page.get('mode')}, {older}")
    return "2 published in order, the refused one absent; paging back works"


async def check_resume(stage: Stage) -> str:
    """A client that reconnects with `after` gets exactly what it missed."""
    room = stage.room("resume")
    ana, cy = await stage.peer("Ana"), await stage.peer("Cy")
    await ana.join(room, "en")
    await cy.join(room, "en")
    seen = await _post(ana, FRIENDLY, "s1")
    await cy.expect(_is_message(FRIENDLY), "the first message, live")
    await cy.close()
    missed = await _post(ana, FRIENDLY_2, "s2")
    back = await stage.peer("Cy")
    back.name = cy.name
    await back.join(room, "en", after=seen["messageId"])
    ids = [m.get("messageId") for m in await _history(back, "j", "the resumed history")]
    mode = next(f.get("mode") for f in back.frames if f.get("type") == "history")
    if mode != "after" or ids != [missed["messageId"]]:
        raise CheckFailed(f"resume: mode {mode}, {ids}, expected [{missed['messageId']}]")
    return "only the missed message, nothing twice"


async def check_moderation_refusal(stage: Stage) -> str:
    """A moderator sign-in with a wrong secret is refused with AUTH_FAILED."""
    mod = await stage.peer("Mod")
    await mod.send(action="mod.auth", secret=f"smoke-wrong-{secrets.token_hex(8)}",
                   name=mod.name, id="a1")
    answer = await mod.expect(lambda f: f.get("id") == "a1", "the answer to mod.auth")
    if answer.get("type") == "error" and answer.get("code") == "AUTH_THROTTLED":
        return "refused with AUTH_THROTTLED (earlier failed sign-ins from this address)"
    if answer.get("type") != "error" or answer.get("code") != "AUTH_FAILED":
        raise CheckFailed(f"a wrong secret was answered {answer.get('type')} "
                          f"{answer.get('code') or ''}".rstrip())
    await mod.send(action="mod.queue", id="q1")
    queue = await mod.expect(lambda f: f.get("id") == "q1", "the answer to mod.queue")
    if queue.get("code") != "NOT_MODERATOR":
        raise CheckFailed(f"after a refused sign-in, mod.queue got {queue.get('type')}")
    return "AUTH_FAILED, and the connection is no moderator"


async def check_gone_cleanup(stage: Stage) -> str:
    """A client that vanishes (no close frame) leaves the room: the others hear it left."""
    room = stage.room("gone")
    ana, ghost = await stage.peer("Ana"), await stage.peer("Ghost")
    await ana.join(room, "en")
    await ghost.join(room, "en")
    await ana.expect(_of("presence", event="join", user=ghost.name), "the ghost's join")
    ghost.vanish()
    # Posting makes the fan-out meet the vanished client (410) if $disconnect has not come yet.
    for attempt in range(6):
        await _post(ana, f"{FRIENDLY} ({attempt})", f"g{attempt}")
        try:
            await ana.expect(_of("presence", event="leave", user=ghost.name), "the ghost's leave",
                             timeout=stage.timeout / 6)
            break
        except CheckFailed:
            continue
    else:
        raise CheckFailed(f"no presence 'leave' for the vanished client in {stage.timeout:g} s")
    late = await stage.peer("Late")
    await late.join(room, "en")
    snapshot = await late.expect(_of("presence", event="snapshot"), "a newcomer's snapshot")
    if ghost.name in _members(snapshot):
        raise CheckFailed("the vanished client is still listed in the room")
    return "the room heard it leave; newcomers no longer see it"


CHECKS: Sequence[tuple[str, Callable[[Stage], Awaitable[str]]]] = (
    ("join", check_join),
    ("presence", check_presence),
    ("translate", check_translate),
    ("refuse", check_refuse),
    ("history", check_history),
    ("resume", check_resume),
    ("moderation", check_moderation_refusal),
    ("410-cleanup", check_gone_cleanup),
)


async def close_all(peers: Sequence[Peer]) -> None:
    """Close what a check opened."""
    await asyncio.gather(*(p.close() for p in peers), return_exceptions=True)
