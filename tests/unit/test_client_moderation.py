"""Tester client moderation: /mod-login reads the secret safely, review commands, review frames."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from chat_client import moderation
from chat_client.display import Palette, format_frame
from chat_client.interactive import COMMANDS, Session, handle_line


class RecordingConnection:
    """Records what a command sends (stands in for ChatConnection's send/close/url)."""

    def __init__(self, url: str = "ws://127.0.0.1:9/local") -> None:
        self.url = url
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    async def send(self, frame: dict[str, Any]) -> None:
        self.sent.append(frame)

    async def close(self) -> None:
        self.closed = True


def new_session() -> tuple[Session, io.StringIO]:
    """A session in room lobby, output captured."""
    out = io.StringIO()
    session = Session(RecordingConnection(), "lobby", "Mia", "en", out, Palette())  # type: ignore[arg-type]
    return session, out


def signed_in(session: Session) -> RecordingConnection:
    """Pretend /mod-login succeeded: a moderator connection that records frames."""
    conn = RecordingConnection()
    moderation.state_of(session).conn = conn  # type: ignore[assignment]
    return conn


def test_read_secret_prompts_without_echo_when_no_file_is_named() -> None:
    """With no argument the secret comes from the (getpass) prompt, not the line."""
    prompts: list[str] = []
    secret = moderation.read_secret("", prompt=lambda p: prompts.append(p) or "s3cret-value")
    assert (secret, prompts) == ("s3cret-value", ["moderator secret: "])


def test_read_secret_reads_a_file_without_its_newline(tmp_path: Path) -> None:
    """A file's one line is the secret (the trailing newline is not part of it)."""
    path = tmp_path / "secret"
    path.write_text("from a file\n", encoding="utf-8")
    assert moderation.read_secret(f" {path} ", prompt=pytest.fail) == "from a file"


@pytest.mark.parametrize(
    ("arg", "answer"), [("/no/such/file", ""), ("", "")], ids=["missing-file", "empty-prompt"]
)
def test_read_secret_refuses_unreadable_or_empty(arg: str, answer: str) -> None:
    """A missing file or an empty answer is a clear ValueError, not a sign-in attempt."""
    with pytest.raises(ValueError, match=r"secret"):
        moderation.read_secret(arg, prompt=lambda _p: answer)


def test_commands_are_registered_with_help() -> None:
    """Every moderator command is in the table and listed by /help."""
    for name in ("mod-login", "queue", "approve", "reject", "delete", "mute", "audit"):
        assert COMMANDS.get(name) is not None, name
    assert "/mute USER MINUTES" in COMMANDS.help_text()


async def test_review_commands_need_a_sign_in_first() -> None:
    """Before /mod-login, /queue says so and sends nothing anywhere."""
    session, out = new_session()
    assert await handle_line(session, "/queue")
    assert "use /mod-login first" in out.getvalue()
    assert session.conn.sent == []  # type: ignore[attr-defined]


async def test_decisions_use_the_room_learned_from_the_queue() -> None:
    """/approve ID REASON sends mod.approve with the item's room (from review frames)."""
    session, _ = new_session()
    conn = signed_in(session)
    moderation.state_of(session).remember(
        {"type": "review.flagged", "item": {"room": "music", "messageId": "M1"}}
    )
    await handle_line(session, "/approve M1 irony, not abuse")
    await handle_line(session, "/reject M2")
    approve, reject = conn.sent
    assert {k: approve[k] for k in ("action", "room", "messageId", "reason")} == {
        "action": "mod.approve",
        "room": "music",
        "messageId": "M1",
        "reason": "irony, not abuse",
    }
    assert (reject["action"], reject["room"], "reason" in reject) == ("mod.reject", "lobby", False)


async def test_mute_queue_and_audit_frames() -> None:
    """/mute USER MINUTES (names may hold spaces), /queue ROOM and /audit send their frames."""
    session, out = new_session()
    conn = signed_in(session)
    await handle_line(session, "/mute Jean Luc 15")
    await handle_line(session, "/mute Bo soon")
    await handle_line(session, "/queue music")
    await handle_line(session, "/audit")
    mute, queue, audit = conn.sent
    assert (mute["action"], mute["room"], mute["user"], mute["minutes"]) == (
        "mod.mute",
        "lobby",
        "Jean Luc",
        15,
    )
    assert (queue["action"], queue["room"], audit["action"]) == ("mod.queue", "music", "mod.audit")
    assert "usage: /mute USER MINUTES" in out.getvalue()


def test_review_frames_are_formatted_as_text() -> None:
    """Queue, flag, resolution, audit, decision and deletion frames read as lines, escaped."""
    item = {
        "room": "lobby",
        "messageId": "M1",
        "user": "Bo",
        "status": "rejected",
        "flagReason": "NEGATIVE",
        "scores": {"Negative": 0.97},
        "content": "bad \x1b[31m words",
    }
    queue = format_frame(
        {"type": "review.queue", "items": [item], "counts": {"pending": 1, "rejected": 1}}
    )
    assert queue.splitlines() == [
        "── review queue: 1 pending (1 rejected, 0 held) ──",
        "  M1 #lobby Bo [rejected: NEGATIVE 0.97]: bad \\x1b[31m words",
    ]
    assert format_frame({"type": "review.flagged", "item": item}).startswith("⚑ flagged:\n  M1")
    entry = {"moderator": "Mia", "action": "mute", "user": "Bo", "room": "lobby", "reason": "spam"}
    assert format_frame({"type": "review.resolved", "entry": entry}) == (
        "✓ Mia mute Bo in lobby — spam"
    )
    assert format_frame({"type": "review.audit", "entries": [entry]}).splitlines()[1] == (
        "  Mia mute Bo in lobby — spam"
    )
    assert format_frame({"type": "review.authenticated", "moderator": "Mia"}) == (
        "* signed in as moderator Mia"
    )
    assert format_frame({"type": "review.decided", "messageId": "M1", "decision": "approved"}) == (
        "* a moderator approved your message M1"
    )
    assert format_frame({"type": "deleted", "messageId": "M1"}) == "* message M1 was deleted"
    assert format_frame({"type": "review.queue", "items": "nonsense"}).startswith("── review")
