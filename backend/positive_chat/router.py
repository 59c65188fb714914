"""The WebSocket router: $connect, $disconnect and $default with an action table.

This module owns dispatch (shaped like Powertools' resolvers: ``on_connect``, ``on_disconnect``,
``on_default``, an action table, one exception handler) and the one place where exceptions become
error frames: ChatError subclasses carry their stable code, anything else is INTERNAL_ERROR
(logged with the request id, nothing leaked). The router and the services under it are built once
per execution environment; the event (read through ``GatewayEvent``) and the outbox its replies
go through are passed to every call, so nothing is kept between events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from positive_chat.domain.chat import Chat
from positive_chat.domain.commands import (
    AuditCommand,
    DecideCommand,
    HistoryCommand,
    JoinCommand,
    LeaveCommand,
    ModAuthCommand,
    MuteCommand,
    PingCommand,
    PostCommand,
    QueueCommand,
)
from positive_chat.domain.errors import (
    ChatError,
    ConnectionGoneError,
    InternalError,
    MissingFieldError,
    ServiceUnavailableError,
    UnknownActionError,
)
from positive_chat.domain.model import Connection
from positive_chat.domain.moderation import Moderation, ModerationDecisions
from positive_chat.domain.ports import (
    Clock,
    Outbox,
)
from positive_chat.domain.ratelimit import RateLimiter
from positive_chat.protocol.frames_in import (
    PARSERS,
    Command,
    action_of,
    check_name,
    client_id_of,
    parse_body,
)
from positive_chat.protocol.frames_out import failure_for
from positive_chat.protocol.gateway_event import GatewayEvent

__all__ = ["Route", "Router", "error_for"]

logger = logging.getLogger(__name__)

OK: dict[str, Any] = {"statusCode": 200}
SUPPORTED_VERSIONS = frozenset({"1", "2"})


@dataclass(frozen=True)
class Route:
    """One action: how to parse its frame and what to do with the command."""

    parse: Callable[[Mapping[str, Any]], Command]
    handle: Callable[[Outbox, str, Any], None]
    role: str | None = None  # e.g. "moderator" for the mod.* actions (NOT_MODERATOR otherwise)


def error_for(exc: BaseException) -> ChatError:
    """The one exception -> error-code table: a ChatError keeps its code; the rest is internal."""
    if isinstance(exc, ChatError):
        return exc
    return InternalError("something went wrong on our side; it has been logged")


class Router:
    """Resolves API Gateway WebSocket events (one router per execution environment)."""

    def __init__(
        self,
        chat: Chat,
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        moderation: Moderation | None = None,
    ) -> None:
        self._rooms = chat.rooms
        self._posting = chat.posting
        self._clock = clock
        self._moderation = moderation  # None: moderation is not configured
        self._limiter = limiter
        self._routes: dict[str, Route] = {
            "init": Route(PARSERS["init"], self._on_init),
            "message": Route(PARSERS["message"], self._on_message),
            "history": Route(PARSERS["history"], self._on_history),
            "leave": Route(PARSERS["leave"], self._on_leave),
            "ping": Route(PARSERS["ping"], self._on_ping),
            "mod.auth": Route(PARSERS["mod.auth"], self._on_mod_auth),
            "mod.queue": Route(PARSERS["mod.queue"], self._on_mod_queue, "moderator"),
            "mod.approve": Route(PARSERS["mod.approve"], self._on_mod_decide, "moderator"),
            "mod.reject": Route(PARSERS["mod.reject"], self._on_mod_decide, "moderator"),
            "mod.delete": Route(PARSERS["mod.delete"], self._on_mod_decide, "moderator"),
            "mod.mute": Route(PARSERS["mod.mute"], self._on_mod_mute, "moderator"),
            "mod.audit": Route(PARSERS["mod.audit"], self._on_mod_audit, "moderator"),
        }

    def resolve(self, event: GatewayEvent, outbox: Outbox) -> dict[str, Any]:
        """Dispatch on the event type (CONNECT, DISCONNECT, MESSAGE)."""
        if event.event_type == "CONNECT":
            return self.on_connect(event)
        if event.event_type == "DISCONNECT":
            return self.on_disconnect(event, outbox)
        return self.on_default(event, outbox)

    # Routes -------------------------------------------------------------------------------

    def on_connect(self, event: GatewayEvent) -> dict[str, Any]:
        """Accept the socket (nothing is stored until the client joins a room).

        A ``?v=`` naming a protocol we do not speak is refused here, with 400, so such a client
        fails at the handshake instead of on its first frame.
        """
        connection_id = event.connection_id
        version = event.version
        if version is not None and version not in SUPPORTED_VERSIONS:
            logger.info("connect refused", extra={"connection_id": connection_id, "v": version[:8]})
            return {"statusCode": 400, "body": "unsupported protocol version"}
        logger.info("connect", extra={"connection_id": connection_id})
        return OK

    def on_disconnect(self, event: GatewayEvent, outbox: Outbox) -> dict[str, Any]:
        """Forget the connection and tell its room (best effort: API Gateway may not call us)."""
        logger.info(
            "disconnect",
            extra={"connection_id": event.connection_id, "status_code": event.disconnect_status},
        )
        try:
            self._rooms.disconnect(outbox, event.connection_id)
        except ChatError as err:
            logger.warning("disconnect cleanup failed", extra={"code": err.code})
            return {"statusCode": 500}
        return OK

    def on_default(self, event: GatewayEvent, outbox: Outbox) -> dict[str, Any]:
        """Parse the frame, run its action; every refusal becomes an error frame to the sender."""
        connection_id = event.connection_id
        frame: Mapping[str, Any] = {}
        action: str | None = None
        seq: int | None = None
        try:
            try:
                frame = parse_body(event.body, is_base64=event.is_base64)
                action = action_of(frame)
            finally:
                # Every frame spends a token, even one that is not JSON; parsed first only so
                # that a RATE_LIMITED answer can name the frame's action and client id. The
                # same write numbers the frame on its connection.
                if self._limiter is not None:
                    seq = self._limiter.spend(connection_id)
            route = self._routes.get(action)
            if route is None:
                raise UnknownActionError(f"unknown action {action[:40]!r}")
            command = route.parse(frame)
            if isinstance(command, ModAuthCommand):  # the IP is API Gateway's, never the frame's
                command = replace(command, source_ip=event.source_ip)
            elif isinstance(command, PostCommand):  # its place among the sender's frames
                command = replace(command, received_at=event.received_at, seq=seq)
            logger.info("action", extra={"action": action, "connection_id": connection_id})
            route.handle(outbox, connection_id, command)
        except ConnectionGoneError:
            # The sender closed before its answer (a ping, then close): nothing to answer, and
            # nothing went wrong. $disconnect cleans up after it.
            logger.info(
                "sender gone before its answer",
                extra={"action": action, "connection_id": connection_id},
            )
            return OK
        except Exception as exc:  # the single exception handler: refuse, log, keep the socket
            error = error_for(exc)
            if isinstance(error, InternalError):
                logger.exception("unhandled error", extra={"action": action})
            else:
                # An unknown action is the client's text (lone surrogates included): log its
                # ASCII repr, so the log line can always be written.
                logged = action if action is None or action in self._routes else ascii(action[:40])
                logger.info("refused", extra={"action": logged, "code": error.code})
            self._refuse(outbox, connection_id, frame, action, error)
            return OK if not isinstance(error, InternalError) else {"statusCode": 500}
        return OK

    # Actions ------------------------------------------------------------------------------

    def _on_init(self, outbox: Outbox, connection_id: str, command: JoinCommand) -> None:
        self._rooms.join(outbox, connection_id, command)

    def _on_message(self, outbox: Outbox, connection_id: str, command: PostCommand) -> None:
        connection = self._rooms.joined(connection_id)
        if connection.user is None:  # v1: the name is bound by the first message
            if command.user is None:
                raise MissingFieldError("user is required on your first message", field="user")
            connection = self._rooms.bind_user(
                outbox, connection, check_name(command.user), command
            )
        elif self._rooms.name_unsettled(connection):
            # An earlier frame may still take the binding over: try ours, wait for the outcome.
            # A name this frame cannot bind is ignored, as a later frame's name always is.
            try:
                user: str | None = check_name(command.user) if command.user is not None else None
            except ChatError:
                user = None
            connection = self._rooms.bind_user(outbox, connection, user, command)
        if self._moderation is not None:
            self._moderation.decisions.check_not_muted(connection)
        self._posting.post(outbox, connection, command)

    def _on_history(self, outbox: Outbox, connection_id: str, command: HistoryCommand) -> None:
        self._rooms.history(outbox, self._rooms.joined(connection_id), command)

    def _on_leave(self, outbox: Outbox, connection_id: str, command: LeaveCommand) -> None:
        self._rooms.leave(outbox, self._rooms.joined(connection_id), command)

    def _on_ping(self, outbox: Outbox, connection_id: str, command: PingCommand) -> None:
        connection = self._rooms.connection(connection_id) or Connection(connection_id, version=2)
        self._rooms.ping(outbox, connection, command)

    # Moderation (every action but mod.auth re-reads the connection's role first) --------

    def _moderation_parts(self) -> Moderation:
        if self._moderation is None:
            raise ServiceUnavailableError("moderation is not configured on this server")
        return self._moderation

    def _on_mod_auth(self, outbox: Outbox, connection_id: str, command: ModAuthCommand) -> None:
        self._moderation_parts().signin.authenticate(outbox, connection_id, command)

    def _moderator(self, connection_id: str) -> tuple[ModerationDecisions, Connection]:
        moderation = self._moderation_parts()
        return moderation.decisions, moderation.signin.require_moderator(connection_id)

    def _on_mod_queue(self, outbox: Outbox, connection_id: str, command: QueueCommand) -> None:
        decisions, moderator = self._moderator(connection_id)
        decisions.queue(outbox, moderator, command)

    def _on_mod_decide(self, outbox: Outbox, connection_id: str, command: DecideCommand) -> None:
        decisions, moderator = self._moderator(connection_id)
        decisions.decide(outbox, moderator, command)

    def _on_mod_mute(self, outbox: Outbox, connection_id: str, command: MuteCommand) -> None:
        decisions, moderator = self._moderator(connection_id)
        decisions.mute(outbox, moderator, command)

    def _on_mod_audit(self, outbox: Outbox, connection_id: str, command: AuditCommand) -> None:
        decisions, moderator = self._moderator(connection_id)
        decisions.audit(outbox, moderator, command)

    # Errors -------------------------------------------------------------------------------

    def _refuse(
        self,
        outbox: Outbox,
        connection_id: str,
        frame: Mapping[str, Any],
        action: str | None,
        error: ChatError,
    ) -> None:
        try:
            connection = self._rooms.connection(connection_id)
        except ChatError:
            connection = None
        if action is not None and action.startswith("mod."):
            version = 2  # moderation speaks v2 only, whatever the connection was
        elif frame.get("action") == "init" and frame.get("v") == 2:
            version = 2  # a v2 client's init fails before the connection knows its version
        elif connection is not None:
            version = connection.version
        else:
            version = 1
        reader = Connection(
            connection_id,
            room=connection.room if connection else None,
            lang=connection.lang if connection else "en",
            version=version,
        )
        failure = failure_for(
            error,
            # An unknown action is echoed cut short: it is the client's text, of any length.
            action=action if action is None or action in self._routes else action[:40],
            client_id=client_id_of(frame),
            room=reader.room,
            timestamp=self._clock.now_ms(),
        )
        try:
            outbox.send(reader, [failure])
        except ConnectionGoneError:
            logger.info("sender gone before its error frame")
        except Exception:  # never let the error path raise
            logger.exception("could not send the error frame")
