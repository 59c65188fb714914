"""The backend's one exception tree: every refusal the client can see carries a stable error code.

::

    PositiveChatError                   the root: everything the backend raises on purpose
    ChatError (code)                    a refusal the client sees as an error frame
    ├── FrameError
    │   ├── InvalidJsonError            INVALID_JSON
    │   ├── InvalidFrameError           INVALID_FRAME
    │   └── UnknownActionError          UNKNOWN_ACTION
    ├── FieldError (field)
    │   ├── MissingFieldError           MISSING_FIELD
    │   ├── EmptyFieldError             EMPTY_FIELD
    │   ├── InvalidFieldError           INVALID_FIELD
    │   ├── TooLongError                TOO_LONG
    │   ├── ControlCharactersError      CONTROL_CHARACTERS
    │   ├── InvalidNameError            INVALID_NAME
    │   ├── InvalidRoomError            INVALID_ROOM
    │   └── UnsupportedLanguageError    UNSUPPORTED_LANGUAGE
    ├── NotJoinedError                  NOT_JOINED
    ├── NameTakenError                  NAME_TAKEN
    ├── RateLimitedError                RATE_LIMITED (retry_after)
    ├── ModerationError
    │   ├── NotModeratorError           NOT_MODERATOR
    │   ├── AuthFailedError             AUTH_FAILED
    │   ├── AuthThrottledError          AUTH_THROTTLED (retry_after)
    │   ├── NotFoundError               NOT_FOUND
    │   ├── AlreadyDecidedError         ALREADY_DECIDED
    │   ├── NotPublishedError           NOT_PUBLISHED
    │   └── MutedError                  MUTED (retry_after)
    ├── InProgressError                 IN_PROGRESS
    ├── ServiceUnavailableError         SERVICE_UNAVAILABLE
    └── InternalError                   INTERNAL_ERROR

Adapter-level failures that the domain handles itself (never shown as an error frame), also
under the root:

    ConnectionGoneError(connection_id)  the reader's socket is gone (@connections 410)
    LanguageServiceError                Comprehend failed after botocore's retries
    TranslationError                    Translate failed or cannot translate this pair

Outside the domain, also under the root: config.ConfigurationError (bad environment) and
adapters.resilience.CallRefused (a breaker or deadline refused a call). One exception is not:
adapters.resilience.DeadlineExceeded must be a botocore error so botocore stops retrying.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlreadyDecidedError",
    "AuthFailedError",
    "AuthThrottledError",
    "ChatError",
    "ConnectionGoneError",
    "ControlCharactersError",
    "EmptyFieldError",
    "FieldError",
    "FrameError",
    "InProgressError",
    "InternalError",
    "InvalidFieldError",
    "InvalidFrameError",
    "InvalidJsonError",
    "InvalidNameError",
    "InvalidRoomError",
    "LanguageServiceError",
    "MissingFieldError",
    "ModerationError",
    "MutedError",
    "NameTakenError",
    "NotFoundError",
    "NotJoinedError",
    "NotModeratorError",
    "NotPublishedError",
    "PositiveChatError",
    "RateLimitedError",
    "ServiceUnavailableError",
    "TooLongError",
    "TranslationError",
    "UnknownActionError",
    "UnsupportedLanguageError",
    "UnsupportedPairError",
]


class PositiveChatError(Exception):
    """The root of every exception the backend raises on purpose."""


class ChatError(PositiveChatError):
    """A refusal with a stable code from docs/protocol.md; its message is safe to show."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    #: Seconds until the client may try again (sent as ``retryAfter``), for the codes that say so.
    retry_after: int | None = None

    def __init__(
        self, message: str, *, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if retry_after is not None:
            self.retry_after = retry_after


class FrameError(ChatError):
    """The frame as a whole is unusable."""


class InvalidJsonError(FrameError):
    """The frame is not JSON."""

    code = "INVALID_JSON"


class InvalidFrameError(FrameError):
    """The frame is JSON but not an object, or too large."""

    code = "INVALID_FRAME"


class UnknownActionError(FrameError):
    """``action`` is missing or names nothing we serve."""

    code = "UNKNOWN_ACTION"


class FieldError(ChatError):
    """One field of the frame breaks its rule (``field`` names it)."""


class MissingFieldError(FieldError):
    """A required field is absent."""

    code = "MISSING_FIELD"


class EmptyFieldError(FieldError):
    """A required field is empty or only whitespace."""

    code = "EMPTY_FIELD"


class InvalidFieldError(FieldError):
    """A field has the wrong type or format."""

    code = "INVALID_FIELD"


class TooLongError(FieldError):
    """A field is over its limit."""

    code = "TOO_LONG"


class ControlCharactersError(FieldError):
    """Text holds control characters."""

    code = "CONTROL_CHARACTERS"


class InvalidNameError(FieldError):
    """The user name breaks the name rules."""

    code = "INVALID_NAME"


class InvalidRoomError(FieldError):
    """The room name breaks the room rules."""

    code = "INVALID_ROOM"


class UnsupportedLanguageError(FieldError):
    """``lang`` is not one of the languages we serve."""

    code = "UNSUPPORTED_LANGUAGE"


class NotJoinedError(ChatError):
    """The connection has not joined a room yet."""

    code = "NOT_JOINED"


class NameTakenError(ChatError):
    """Someone else in the room already uses this name (compared by ``names.name_key``)."""

    code = "NAME_TAKEN"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="user")


class RateLimitedError(ChatError):
    """Too many frames from this connection; ``retry_after`` says when one more is allowed."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        retry_after = max(1, retry_after)
        super().__init__(f"too many frames; try again in {retry_after} s", retry_after=retry_after)


class ModerationError(ChatError):
    """A moderation action (or a moderator's decision reaching a user) was refused."""


class NotModeratorError(ModerationError):
    """A ``mod.*`` action from a connection that has not signed in as a moderator."""

    code = "NOT_MODERATOR"


class AuthFailedError(ModerationError):
    """The moderator secret is wrong."""

    code = "AUTH_FAILED"


class AuthThrottledError(ModerationError):
    """Too many failed sign-ins from this IP or connection; ``retry_after`` seconds to wait."""

    code = "AUTH_THROTTLED"


class NotFoundError(ModerationError):
    """No message with this room and id."""

    code = "NOT_FOUND"


class AlreadyDecidedError(ModerationError):
    """The message is no longer in the state the decision needs (another decision came first)."""

    code = "ALREADY_DECIDED"


class NotPublishedError(ModerationError):
    """Delete of a message that is awaiting review."""

    code = "NOT_PUBLISHED"


class MutedError(ModerationError):
    """A moderator muted this user in this room; ``retry_after`` seconds are left."""

    code = "MUTED"


class InProgressError(ChatError):
    """The same client id is being processed right now."""

    code = "IN_PROGRESS"


class ServiceUnavailableError(ChatError):
    """A dependency failed after retries; nothing was stored."""

    code = "SERVICE_UNAVAILABLE"


class InternalError(ChatError):
    """A bug: logged with the request id, nothing leaked."""

    code = "INTERNAL_ERROR"


class ConnectionGoneError(PositiveChatError):
    """The @connections API answered 410 Gone for this connection."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id} is gone")
        self.connection_id = connection_id


class LanguageServiceError(PositiveChatError):
    """Comprehend failed (after botocore's retries)."""


class TranslationError(PositiveChatError):
    """Translate failed, or cannot translate this language pair."""


class UnsupportedPairError(TranslationError):
    """Translate answered that it does not translate this language pair (an expected outcome)."""
