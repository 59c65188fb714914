"""Frames in: parse and validate a client's frame into a command (docs/protocol.md in code).

Inbound frames are checked with JSON Schemas (protocol/schemas.py) through Powertools' validation
utility (fastjsonschema); the rules a schema cannot express (Unicode categories of names and
rooms, control characters, the UTF-8 byte limit) follow. Every refusal is a ChatError subclass
carrying a stable code.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from aws_lambda_powertools.utilities.validation import SchemaValidationError, validate

from positive_chat.config import (
    CLIENT_ID_MAX_CHARS,
    CONTENT_MAX_BYTES,
    FRAME_MAX_BYTES,
    HISTORY_PAGE,
    MOD_PAGE,
    MODERATOR_DEFAULT_NAME,
    NAME_MAX_CHARS,
    NOTICE_USER,
)
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
    ControlCharactersError,
    EmptyFieldError,
    FieldError,
    InvalidFieldError,
    InvalidFrameError,
    InvalidJsonError,
    InvalidNameError,
    InvalidRoomError,
    MissingFieldError,
    TooLongError,
    UnknownActionError,
    UnsupportedLanguageError,
)
from positive_chat.domain.model import Decision
from positive_chat.domain.names import invisible, name_key
from positive_chat.protocol.schemas import (
    _BARE_SCHEMA,
    _HISTORY_SCHEMA,
    _JOIN_SCHEMA,
    _MOD_AUDIT_SCHEMA,
    _MOD_AUTH_SCHEMA,
    _MOD_DECIDE_SCHEMA,
    _MOD_MUTE_SCHEMA,
    _MOD_QUEUE_SCHEMA,
    _POST_SCHEMA,
)

__all__ = [
    "PARSERS",
    "Command",
    "action_of",
    "check_name",
    "client_id_of",
    "parse_body",
    "parse_history",
    "parse_join",
    "parse_leave",
    "parse_mod_audit",
    "parse_mod_auth",
    "parse_mod_decide",
    "parse_mod_mute",
    "parse_mod_queue",
    "parse_ping",
    "parse_post",
]

Command = (
    JoinCommand
    | PostCommand
    | HistoryCommand
    | LeaveCommand
    | PingCommand
    | ModAuthCommand
    | QueueCommand
    | DecideCommand
    | MuteCommand
    | AuditCommand
)


# Which error a broken rule becomes, when the field has its own code.
_FIELD_CODES: Mapping[tuple[str, str], type[FieldError]] = {
    ("room", "maxLength"): InvalidRoomError,
    ("lang", "enum"): UnsupportedLanguageError,
}
_RULE_CODES: Mapping[str, type[FieldError]] = {
    "required": MissingFieldError,
    "minLength": EmptyFieldError,
    "maxLength": TooLongError,
}


def _validated(frame: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    try:
        validate(event=dict(frame), schema=dict(schema))
    except SchemaValidationError as err:
        raise _field_error(frame, err) from err


def _field_error(frame: Mapping[str, Any], err: SchemaValidationError) -> FieldError:
    path = [str(p) for p in (err.path or [])]
    rule = err.rule or ""
    if rule == "required":  # fastjsonschema names the object, not the missing key
        missing = [k for k in (err.rule_definition or []) if k not in frame]
        name = missing[0] if missing else "?"
        return MissingFieldError(f"{name} is required", field=name)
    name = path[1] if len(path) > 1 else "?"
    cls = _FIELD_CODES.get((name, rule)) or _RULE_CODES.get(rule) or InvalidFieldError
    messages = {
        "minLength": f"{name} is empty",
        "maxLength": f"{name} is longer than {err.rule_definition} characters",
        "type": f"{name} must be a {err.rule_definition}",
        "enum": f"{name} is not one of the accepted values",
        "pattern": f"{name} has an invalid format",
        "minimum": f"{name} must be at least {err.rule_definition}",
        "maximum": f"{name} must be at most {err.rule_definition}",
    }
    if cls is UnsupportedLanguageError:
        message = f"{name} is not a language we serve"
    else:
        message = messages.get(rule, f"{name} is invalid")
    return cls(message, field=name)


# --- Text rules a schema cannot express --------------------------------------------------------

_NAME_PUNCTUATION = frozenset(" _-.'")
_ROOM_PUNCTUATION = frozenset("_-.")


def check_name(value: object, *, field: str = "user") -> str:
    """A display name: trimmed, 1-32 letters/marks/digits/spaces/``_-.'``; else a FieldError.

    No invisible code point (``names.invisible``), and not the server's name by ``name_key``.
    """
    if not isinstance(value, str):
        raise InvalidFieldError(f"{field} must be a string", field=field)
    name = value.strip(" ")
    if not name.strip():
        raise EmptyFieldError(f"{field} is empty", field=field)
    if len(name) > NAME_MAX_CHARS:
        raise InvalidNameError(f"{field} is longer than {NAME_MAX_CHARS} characters", field=field)
    for char in name:
        category = unicodedata.category(char)
        if category[0] not in "LMN" and char not in _NAME_PUNCTUATION:
            raise InvalidNameError(
                f"{field} may hold letters, digits, spaces and _ - . ' only", field=field
            )
        if invisible(char):
            raise InvalidNameError(
                f"{field} holds an invisible character (U+{ord(char):04X})", field=field
            )
    if name_key(name) == name_key(NOTICE_USER):  # the server's notices speak as "Positive Chat"
        raise InvalidNameError(f"{field} {NOTICE_USER!r} is reserved for the server", field=field)
    return name


def _check_room(room: str) -> str:
    first = unicodedata.category(room[0])
    if not (first[0] == "L" or first == "Nd"):
        raise InvalidRoomError("room must start with a letter or a digit", field="room")
    for char in room:
        if invisible(char):
            raise InvalidRoomError(
                f"room holds an invisible character (U+{ord(char):04X})", field="room"
            )
        category = unicodedata.category(char)
        if not (category[0] in "LM" or category == "Nd" or char in _ROOM_PUNCTUATION):
            raise InvalidRoomError("room may hold letters, digits and _ - . only", field="room")
    return room


def _check_text(text: str, field: str) -> None:
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":  # a lone surrogate from a "\ud800" escape is not text
            raise InvalidFieldError(f"{field} is not valid Unicode text", field=field)
        if category == "Cc" and char not in "\n\t":
            raise ControlCharactersError(
                f"{field} holds control characters (only newline and tab are allowed)",
                field=field,
            )


def _check_content(content: str) -> str:
    if not content.strip():
        raise EmptyFieldError("content is only whitespace", field="content")
    _check_text(content, "content")
    if len(content.encode("utf-8")) > CONTENT_MAX_BYTES:
        raise TooLongError(
            f"content is longer than {CONTENT_MAX_BYTES} UTF-8 bytes", field="content"
        )
    return content


# --- Parsing ------------------------------------------------------------------------------------


def parse_body(body: str | None, *, is_base64: bool = False) -> dict[str, Any]:
    """The frame as a JSON object; InvalidJsonError / InvalidFrameError otherwise."""
    if body is None:
        raise InvalidJsonError("the frame is empty")
    if is_base64:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as err:
            raise InvalidJsonError("the frame is not UTF-8 JSON text") from err
    if len(body.encode("utf-8", "surrogatepass")) > FRAME_MAX_BYTES:
        raise InvalidFrameError(f"the frame is larger than {FRAME_MAX_BYTES} bytes")
    try:
        frame = json.loads(
            body,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_parse_object,
        )
    except json.JSONDecodeError as err:
        raise InvalidJsonError("the frame is not JSON") from err
    except RecursionError as err:
        raise InvalidFrameError(_TOO_DEEP) from err
    if not isinstance(frame, dict):
        raise InvalidFrameError("the frame must be a JSON object")
    _check_depth(frame)
    return frame


# JSON that parses but that no frame needs, refused before it can cost anything (docs/protocol.md,
# "Parsing"): Python's own limits (int() refuses more than 4,300 digits with a ValueError, and is
# quadratic below that; the parser recurses) must never surface as an internal error.
JSON_MAX_DIGITS = 100
JSON_MAX_DEPTH = 32
_TOO_DEEP = f"the frame is nested more than {JSON_MAX_DEPTH} levels deep"


def _parse_int(text: str) -> int:
    if len(text) - text.startswith("-") > JSON_MAX_DIGITS:
        raise InvalidFrameError(f"a number in the frame has more than {JSON_MAX_DIGITS} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidFrameError("a number in the frame is out of range")
    return value


def _parse_constant(name: str) -> NoReturn:
    raise InvalidJsonError(f"{name} is not JSON (RFC 8259 has no such number)")


def _parse_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise InvalidFrameError("the frame repeats a key in an object")
    return obj


def _check_depth(frame: dict[str, Any]) -> None:
    """InvalidFrameError when containers nest deeper than JSON_MAX_DEPTH (no recursion here)."""
    level: list[Any] = [frame]
    for _ in range(JSON_MAX_DEPTH):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            return
    raise InvalidFrameError(_TOO_DEEP)


def action_of(frame: Mapping[str, Any]) -> str:
    """The frame's ``action``; UnknownActionError when it is missing or not a string."""
    action = frame.get("action")
    if not isinstance(action, str) or not action:
        raise UnknownActionError("action is missing")
    return action


def client_id_of(frame: Mapping[str, Any]) -> str | None:
    """The client id if it is well-formed (used to address error frames), else None."""
    value = frame.get("id")
    well_formed = (
        isinstance(value, str)
        and 0 < len(value) <= CLIENT_ID_MAX_CHARS
        and all(c.isascii() and (c.isalnum() or c in "_-:.") for c in value)
    )
    return value if well_formed else None


def parse_join(frame: Mapping[str, Any]) -> JoinCommand:
    """``init``."""
    _validated(frame, _JOIN_SCHEMA)
    version = int(frame.get("v", 1))
    user = check_name(frame["user"]) if version == 2 else None
    return JoinCommand(
        room=_check_room(frame["room"]),
        lang=frame["lang"],
        version=version,
        user=user,
        after=frame.get("after") if version == 2 else None,
        client_id=frame.get("id") if version == 2 else None,
    )


def parse_post(frame: Mapping[str, Any]) -> PostCommand:
    """``message``: ``user`` is only type-checked here; it is checked as a name when bound."""
    _validated(frame, _POST_SCHEMA)
    return PostCommand(
        content=_check_content(frame["content"]),
        user=frame.get("user"),
        client_id=frame.get("id"),
    )


def parse_history(frame: Mapping[str, Any]) -> HistoryCommand:
    """``history``."""
    _validated(frame, _HISTORY_SCHEMA)
    return HistoryCommand(
        before=frame["before"],
        limit=int(frame.get("limit", HISTORY_PAGE)),
        client_id=frame.get("id"),
    )


def parse_leave(frame: Mapping[str, Any]) -> LeaveCommand:
    """``leave``."""
    _validated(frame, _BARE_SCHEMA)
    return LeaveCommand(client_id=frame.get("id"))


def parse_ping(frame: Mapping[str, Any]) -> PingCommand:
    """``ping``."""
    _validated(frame, _BARE_SCHEMA)
    return PingCommand(client_id=frame.get("id"))


def parse_mod_auth(frame: Mapping[str, Any]) -> ModAuthCommand:
    """``mod.auth``: the secret is only length-checked; ``name`` defaults to "moderator"."""
    _validated(frame, _MOD_AUTH_SCHEMA)
    name = frame.get("name")
    return ModAuthCommand(
        secret=frame["secret"],
        name=check_name(name, field="name") if name is not None else MODERATOR_DEFAULT_NAME,
        client_id=frame.get("id"),
    )


def parse_mod_queue(frame: Mapping[str, Any]) -> QueueCommand:
    """``mod.queue``."""
    _validated(frame, _MOD_QUEUE_SCHEMA)
    room = frame.get("room")
    return QueueCommand(
        room=_check_room(room) if room is not None else None,
        after=frame.get("after"),
        limit=int(frame.get("limit", MOD_PAGE)),
        client_id=frame.get("id"),
    )


def _reason(frame: Mapping[str, Any]) -> str | None:
    reason = frame.get("reason")
    if reason is None or not reason.strip():
        return None
    _check_text(reason, "reason")
    return str(reason)


def parse_mod_decide(decision: Decision) -> Callable[[Mapping[str, Any]], DecideCommand]:
    """The parser of ``mod.approve``, ``mod.reject`` or ``mod.delete``."""

    def parse(frame: Mapping[str, Any]) -> DecideCommand:
        _validated(frame, _MOD_DECIDE_SCHEMA)
        return DecideCommand(
            decision=decision,
            room=_check_room(frame["room"]),
            message_id=frame["messageId"],
            reason=_reason(frame),
            client_id=frame.get("id"),
        )

    return parse


def parse_mod_mute(frame: Mapping[str, Any]) -> MuteCommand:
    """``mod.mute``."""
    _validated(frame, _MOD_MUTE_SCHEMA)
    return MuteCommand(
        room=_check_room(frame["room"]),
        user=check_name(frame["user"]),
        minutes=int(frame["minutes"]),
        reason=_reason(frame),
        client_id=frame.get("id"),
    )


def parse_mod_audit(frame: Mapping[str, Any]) -> AuditCommand:
    """``mod.audit``."""
    _validated(frame, _MOD_AUDIT_SCHEMA)
    return AuditCommand(
        after=frame.get("after"),
        limit=int(frame.get("limit", MOD_PAGE)),
        client_id=frame.get("id"),
    )


PARSERS: Mapping[str, Callable[[Mapping[str, Any]], Command]] = {
    "init": parse_join,
    "message": parse_post,
    "history": parse_history,
    "leave": parse_leave,
    "ping": parse_ping,
    "mod.auth": parse_mod_auth,
    "mod.queue": parse_mod_queue,
    "mod.approve": parse_mod_decide("approve"),
    "mod.reject": parse_mod_decide("reject"),
    "mod.delete": parse_mod_decide("delete"),
    "mod.mute": parse_mod_mute,
    "mod.audit": parse_mod_audit,
}
