"""Moderator sign-in: a secret compared in constant time, attempts throttled before evaluation.

Attempts are counted per source IP and per connection in fixed 15-minute windows, *before* the
secret is evaluated: one conditional increment per key (``n < 5``), and only an attempt that got
its increments is evaluated, so at most 5 wrong secrets are ever evaluated per key and window,
however many connections guess at once. A right secret gives its attempt back, so the count is
failures (plus evaluations in flight); 5 throttle both keys until the window ends, even for the
right secret. The secret is never logged. A signed-in connection becomes a moderator connection
(role ``moderator``, in the reserved ``#moderators`` room key, so flags can be pushed to it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence

from positive_chat.config import (
    CONNECTION_TTL_SECONDS,
    MOD_AUTH_MAX_FAILURES,
    MOD_AUTH_WINDOW_SECONDS,
    MODERATORS_ROOM,
)
from positive_chat.domain.commands import (
    ModAuthCommand,
)
from positive_chat.domain.errors import (
    AuthFailedError,
    AuthThrottledError,
    ChatError,
    NotModeratorError,
)
from positive_chat.domain.events import (
    ModeratorSignedIn,
)
from positive_chat.domain.model import (
    AuditEntry,
    Connection,
    new_message_id,
)
from positive_chat.domain.moderation_feed import AuditTrail, answer_moderator
from positive_chat.domain.ports import (
    Clock,
    ConnectionRepository,
    MetricsSink,
    ModerationLedger,
    ModeratorSessions,
    Outbox,
    SecretSource,
)
from positive_chat.domain.presence import RoomPresence

__all__ = ["ModeratorSignIn", "secrets_match"]

logger = logging.getLogger(__name__)

_AUTH_COUNTER_SLACK_SECONDS = 3600


def secrets_match(given: str, expected: str) -> bool:
    """Constant-time comparison of SHA-256 digests (the time says nothing about the secret)."""
    digest_given = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    digest_expected = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(digest_given, digest_expected)


class ModeratorSignIn:
    """Signs moderators in and checks, on every moderation action, that they are."""

    def __init__(
        self,
        *,
        connections: ConnectionRepository,
        sessions: ModeratorSessions,
        ledger: ModerationLedger,
        secret: SecretSource,
        presence: RoomPresence,
        audit: AuditTrail,
        metrics: MetricsSink,
        clock: Clock,
    ) -> None:
        self._connections = connections
        self._sessions = sessions
        self._ledger = ledger
        self._secret = secret
        self._presence = presence
        self._audit = audit
        self._metrics = metrics
        self._clock = clock

    def authenticate(self, outbox: Outbox, connection_id: str, command: ModAuthCommand) -> None:
        """Check the secret (throttled); make the connection a moderator connection."""
        now = self._clock.now_ms()
        window = now // 1000 // MOD_AUTH_WINDOW_SECONDS
        keys = [f"conn#{connection_id}"]
        if command.source_ip:
            keys.insert(0, f"ip#{command.source_ip}")
        attempts = self._reserve_attempt(connection_id, command, keys, window, now)
        if not secrets_match(command.secret, self._secret_or_release(keys, window)):
            logger.warning(
                "moderator sign-in failed",
                extra={
                    "connection_id": connection_id,
                    "source_ip": command.source_ip,
                    "failures_in_window": attempts,
                },
            )
            self._metrics.count("ModeratorSignInsFailed")
            raise AuthFailedError("wrong moderator secret")
        self._give_back_attempt(keys, window)  # a right secret is no failure
        self._promote(outbox, connection_id, command, now)

    def require_moderator(self, connection_id: str) -> Connection:
        """The connection, read now, if it is a moderator connection; else NotModeratorError."""
        connection = self._connections.get(connection_id)
        if connection is None or connection.role != "moderator":
            raise NotModeratorError("sign in as a moderator first (mod.auth)")
        return connection

    def _reserve_attempt(
        self,
        connection_id: str,
        command: ModAuthCommand,
        keys: Sequence[str],
        window: int,
        now: int,
    ) -> int:
        """Count the attempt first: only an attempt that got under the limit is evaluated, so
        concurrent guesses cannot all slip past a check made before any of them counted."""
        ttl = (window + 1) * MOD_AUTH_WINDOW_SECONDS + _AUTH_COUNTER_SLACK_SECONDS
        attempts = self._ledger.reserve_auth_attempt(
            keys, window, limit=MOD_AUTH_MAX_FAILURES, ttl=ttl
        )
        if attempts is None:
            retry_after = (window + 1) * MOD_AUTH_WINDOW_SECONDS - now // 1000
            logger.warning(
                "moderator sign-in throttled",
                extra={"connection_id": connection_id, "source_ip": command.source_ip},
            )
            self._metrics.count("ModeratorSignInsThrottled")
            raise AuthThrottledError(
                "too many failed sign-ins; try again later", retry_after=max(1, retry_after)
            )
        return attempts

    def _promote(
        self, outbox: Outbox, connection_id: str, command: ModAuthCommand, now: int
    ) -> None:
        previous = self._sessions.promote(
            connection_id, command.name, now=now, ttl=now // 1000 + CONNECTION_TTL_SECONDS
        )
        if (
            previous is not None
            and previous.room not in (None, MODERATORS_ROOM)
            and previous.user
            and previous.role != "moderator"
        ):
            # It was chatting: the room sees it leave (a moderator connection is in no room).
            self._presence.announce(
                outbox, previous.room, "leave", previous.user, exclude=connection_id
            )
        self._audit.add(
            AuditEntry(
                entry_id=new_message_id(now),
                at=now,
                moderator=command.name,
                action="signin",
                connection_id=connection_id,
            )
        )
        logger.info(
            "moderator signed in", extra={"connection_id": connection_id, "moderator": command.name}
        )
        self._metrics.count("ModeratorSignIns")
        answer_moderator(
            outbox,
            self._connections,
            connection_id,
            ModeratorSignedIn(command.name, command.client_id),
        )

    def _secret_or_release(self, keys: Sequence[str], window: int) -> str:
        """The configured secret; if it cannot be read, the attempt is given back (nothing was
        evaluated) before the error goes on."""
        try:
            return self._secret.secret()
        except ChatError:
            self._give_back_attempt(keys, window)
            raise

    def _give_back_attempt(self, keys: Sequence[str], window: int) -> None:
        """Best effort: if this fails, the attempt stays counted (errs on the closed side)."""
        try:
            self._ledger.release_auth_attempt(keys, window)
        except ChatError as err:
            logger.warning("could not give a sign-in attempt back", extra={"code": err.code})
