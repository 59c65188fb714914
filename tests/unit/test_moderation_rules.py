"""Moderation policy without AWS: secret comparison, parsing, mutes, sign-in throttling."""

from __future__ import annotations

from typing import Any

import pytest
from positive_chat.domain.errors import AuthFailedError, AuthThrottledError, MutedError
from positive_chat.domain.model import Connection
from positive_chat.domain.moderation import Moderation, compose_moderation
from positive_chat.domain.moderator_signin import secrets_match
from positive_chat.domain.names import name_key
from positive_chat.protocol.frames_in import parse_mod_auth, parse_mod_mute


class Clock:
    """A settable epoch-ms clock."""

    def __init__(self, now: int) -> None:
        self.now = now

    def now_ms(self) -> int:
        """Now."""
        return self.now


class Ledger:
    """An in-memory ModerationLedger (only what these tests touch)."""

    def __init__(self) -> None:
        self.failures: dict[tuple[str, int], int] = {}
        self.mutes: dict[tuple[str, str], int] = {}

    def reserve_auth_attempt(self, keys: Any, window: int, *, limit: int, ttl: int) -> int | None:
        if any(self.failures.get((k, window), 0) >= limit for k in keys):
            return None
        for key in keys:
            self.failures[(key, window)] = self.failures.get((key, window), 0) + 1
        return max(self.failures[(k, window)] for k in keys)

    def release_auth_attempt(self, keys: Any, window: int) -> None:
        for key in keys:
            self.failures[(key, window)] -= 1

    def muted_until(self, room: str, user: str) -> int | None:
        return self.mutes.get((room, user))


class Secret:
    """The configured secret."""

    def secret(self) -> str:
        return "the right secret"


class Metrics:
    """Counts nothing."""

    def count(self, name: str, value: float = 1) -> None:
        del name, value


class NoOutbox:
    """Refusals send nothing (an answer would fail the test)."""

    def send(self, *_: Any) -> None:
        raise AssertionError("a refused sign-in sends nothing")

    def broadcast(self, *_: Any) -> list[Any]:
        raise AssertionError("a refused sign-in tells nobody")


def service(ledger: Ledger, clock: Clock) -> Moderation:
    """Moderation with only the collaborators sign-in refusals and mute checks use."""
    unused: Any = None
    return compose_moderation(
        connections=unused,
        sessions=unused,
        reviews=unused,
        ledger=ledger,  # type: ignore[arg-type]
        secret=Secret(),
        analyzer=unused,
        translator=unused,
        topics=unused,
        presence=unused,
        delivery=unused,
        notifier=unused,
        clock=clock,
        metrics=Metrics(),
        audit_retention_days=400,
    )


@pytest.mark.parametrize(
    ("given", "expected", "match"),
    [
        ("s3cret", "s3cret", True),
        ("s3cret", "s3cret ", False),
        ("", "s3cret", False),
        ("caf\u00e9", "caf\u00e9", True),
        ("\ud800", "x", False),  # a lone surrogate from JSON is compared, never a crash
    ],
    ids=["equal", "trailing-space", "empty", "non-ascii", "lone-surrogate"],
)
def test_secrets_match_compares_exactly(given: str, expected: str, match: bool) -> None:
    """Only the exact secret matches, and odd input never raises."""
    assert secrets_match(given, expected) is match


def test_mod_auth_command_never_shows_the_secret_in_its_repr() -> None:
    """The parsed command's repr (what a log line would print) holds no secret."""
    command = parse_mod_auth({"action": "mod.auth", "secret": "hunter2-hunter2"})
    assert command.name == "moderator"
    assert "hunter2" not in repr(command)


def test_parse_mod_mute_checks_the_user_name() -> None:
    """mod.mute's user follows the display-name rules."""
    command = parse_mod_mute({"room": "lobby", "user": " Bo ", "minutes": 0})
    assert (command.user, command.minutes, command.reason) == ("Bo", 0, None)


def test_throttle_starts_after_five_failures_and_ends_with_the_window() -> None:
    """The sixth attempt in a window is throttled until the window's end, then allowed again."""
    ledger = Ledger()
    clock = Clock(900_000 * 10)  # the start of a 15-minute window
    moderation = service(ledger, clock)
    wrong = parse_mod_auth({"secret": "guess", "name": "Eve"})
    for _ in range(5):
        with pytest.raises(AuthFailedError):
            moderation.signin.authenticate(NoOutbox(), "c1", wrong)
    clock.now += 60_000
    with pytest.raises(AuthThrottledError) as raised:
        moderation.signin.authenticate(NoOutbox(), "c1", wrong)
    assert raised.value.retry_after == 840
    clock.now += 840_000  # the next window
    with pytest.raises(AuthFailedError):
        moderation.signin.authenticate(NoOutbox(), "c1", wrong)


def test_check_not_muted_counts_down_and_expires() -> None:
    """A mute refuses with the whole seconds left, and nothing once its end has passed."""
    ledger = Ledger()
    clock = Clock(1_000_000)
    ledger.mutes[("lobby", name_key("Bo"))] = 1_000_000 + 90_500  # mutes are keyed by name key
    moderation = service(ledger, clock)
    bo = Connection("c1", room="lobby", user="Bo")
    with pytest.raises(MutedError) as raised:
        moderation.decisions.check_not_muted(bo)
    assert raised.value.retry_after == 91
    moderation.decisions.check_not_muted(Connection("c2", room="music", user="Bo"))
    clock.now += 90_500
    moderation.decisions.check_not_muted(bo)
