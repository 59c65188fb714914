"""The wire format: frames in (parse and validate into commands), events out (v1 and v2 frames).

This module owns docs/protocol.md in code. Inbound frames are checked with JSON Schemas through
Powertools' validation utility (fastjsonschema); the rules a schema cannot express (Unicode
categories of names and rooms, control characters, the UTF-8 byte limit) follow. Every refusal is
a ChatError subclass carrying a stable code. Outbound, ``render`` turns one domain event into the
frames one reader gets: JSON objects with a ``type`` for v2, the 2019 original's arrays of message
objects for v1. Frames are UTF-8 JSON: v2 text is sent exactly as typed; v1 text is HTML-escaped,
because the 2019 original page inserts it with ``innerHTML`` (see ``html_escaped``).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NoReturn

from aws_lambda_powertools.utilities.validation import SchemaValidationError, validate

from .config import (
    CLIENT_ID_MAX_CHARS,
    CONTENT_MAX_BYTES,
    CONTENT_MAX_CHARS,
    FRAME_MAX_BYTES,
    FRAME_SPLIT_BYTES,
    HISTORY_MAX_PAGE,
    HISTORY_PAGE,
    MOD_MUTE_MAX_MINUTES,
    MOD_PAGE,
    MOD_REASON_MAX_CHARS,
    MOD_SECRET_MAX_CHARS,
    MODERATOR_DEFAULT_NAME,
    NAME_MAX_CHARS,
    NOTICE_USER,
    ROOM_MAX_CHARS,
)
from .errors import (
    ChatError,
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
from .languages import LANGUAGES
from .model import (
    Accepted,
    AuditCommand,
    AuditEntry,
    AuditPage,
    DecideCommand,
    Decided,
    Decision,
    Deleted,
    Event,
    Failure,
    Flagged,
    HistoryCommand,
    HistoryPage,
    JoinCommand,
    Joined,
    LeaveCommand,
    Left,
    Message,
    ModAuthCommand,
    ModeratorSignedIn,
    MuteCommand,
    PingCommand,
    Pong,
    PostCommand,
    Presence,
    QueueCommand,
    Reading,
    Refused,
    Resolved,
    ReviewQueue,
    RoomTopics,
)
from .names import invisible, name_key

__all__ = [
    "LIMITS",
    "PARSERS",
    "Command",
    "action_of",
    "audit_entry",
    "check_name",
    "client_id_of",
    "encode",
    "failure_for",
    "html_escaped",
    "json_default",
    "name_key",
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
    "render",
    "review_item",
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

LIMITS: Mapping[str, int] = {
    "contentChars": CONTENT_MAX_CHARS,
    "contentBytes": CONTENT_MAX_BYTES,
    "historyPage": HISTORY_PAGE,
    "historyMaxPage": HISTORY_MAX_PAGE,
    "nameChars": NAME_MAX_CHARS,
    "roomChars": ROOM_MAX_CHARS,
}

# --- Schemas ------------------------------------------------------------------------------------

_MESSAGE_ID = r"^[0-9]{14}-[0-9A-HJKMNP-TV-Z]{10}$"
_CLIENT_ID = {"type": "string", "pattern": f"^[A-Za-z0-9_:.\\-]{{1,{CLIENT_ID_MAX_CHARS}}}$"}
_STRING = {"type": "string"}

_JOIN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["room", "lang"],
    "properties": {
        "room": {"type": "string", "minLength": 1, "maxLength": ROOM_MAX_CHARS},
        "lang": {"type": "string", "minLength": 1, "enum": sorted(LANGUAGES)},
        "v": {"type": "integer", "enum": [1, 2]},
        "user": _STRING,
        "after": {"type": "string", "pattern": _MESSAGE_ID},
        "id": _CLIENT_ID,
    },
    # v2 names the user at init; v1 names it on the first message.
    "if": {"required": ["v"], "properties": {"v": {"const": 2}}},
    "then": {"required": ["user"]},
}
_POST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["content"],
    "properties": {
        "content": {"type": "string", "minLength": 1, "maxLength": CONTENT_MAX_CHARS},
        "user": _STRING,
        "id": _CLIENT_ID,
    },
}
_HISTORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["before"],
    "properties": {
        "before": {"type": "string", "minLength": 1, "pattern": _MESSAGE_ID},
        "limit": {"type": "integer", "minimum": 1, "maximum": HISTORY_MAX_PAGE},
        "id": _CLIENT_ID,
    },
}
_BARE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"id": _CLIENT_ID}}

# Moderation (v2 only)
_ROOM = {"type": "string", "minLength": 1, "maxLength": ROOM_MAX_CHARS}
_MESSAGE_ID_FIELD = {"type": "string", "minLength": 1, "pattern": _MESSAGE_ID}
_REASON = {"type": "string", "maxLength": MOD_REASON_MAX_CHARS}
_MOD_LIMIT = {"type": "integer", "minimum": 1, "maximum": HISTORY_MAX_PAGE}
_MOD_AUTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["secret"],
    "properties": {
        "secret": {"type": "string", "minLength": 1, "maxLength": MOD_SECRET_MAX_CHARS},
        "name": _STRING,
        "id": _CLIENT_ID,
    },
}
_MOD_QUEUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "room": _ROOM,
        "after": _MESSAGE_ID_FIELD,
        "limit": _MOD_LIMIT,
        "id": _CLIENT_ID,
    },
}
_MOD_DECIDE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["room", "messageId"],
    "properties": {
        "room": _ROOM,
        "messageId": _MESSAGE_ID_FIELD,
        "reason": _REASON,
        "id": _CLIENT_ID,
    },
}
_MOD_MUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["room", "user", "minutes"],
    "properties": {
        "room": _ROOM,
        "user": _STRING,
        "minutes": {"type": "integer", "minimum": 0, "maximum": MOD_MUTE_MAX_MINUTES},
        "reason": _REASON,
        "id": _CLIENT_ID,
    },
}
_MOD_AUDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"after": _MESSAGE_ID_FIELD, "limit": _MOD_LIMIT, "id": _CLIENT_ID},
}

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


def failure_for(
    err: ChatError, *, action: str | None, client_id: str | None, room: str | None, timestamp: int
) -> Failure:
    """The error event for a refusal."""
    return Failure(
        code=err.code,
        message=err.message,
        action=action,
        field=err.field,
        room=room,
        timestamp=timestamp,
        client_id=client_id,
        retry_after=err.retry_after,  # RATE_LIMITED, MUTED, AUTH_THROTTLED
    )


# --- Rendering ----------------------------------------------------------------------------------


def json_default(value: object) -> object:
    """JSON for what the json module does not know (also Powertools Logger's ``json_default``).

    DynamoDB's Decimal becomes int or float (Powertools' own default would make it a string);
    sets and tuples become lists; anything else its ``str``, so logging never fails.
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def encode(payload: object) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as UTF-8, not escaped).

    Text holding a lone surrogate (a client's ``"\\ud800"`` echoed back) has no UTF-8 form: such
    a payload is sent with every non-ASCII character escaped, which is the same JSON text.
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=json_default)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":"), default=json_default).encode("ascii")


def render(event: Event, version: int) -> list[bytes]:
    """The frames one reader of protocol ``version`` gets for ``event`` (possibly none)."""
    return _render_v2(event) if version == 2 else _render_v1(event)


def _with_id(payload: dict[str, Any], client_id: str | None) -> dict[str, Any]:
    if client_id is not None:
        payload["id"] = client_id
    return payload


def _message_v2(reading: Reading) -> dict[str, Any]:
    message = reading.message
    payload: dict[str, Any] = {
        "type": "message",
        "room": message.room,
        "messageId": message.message_id,
    }
    if message.client_id is not None:
        payload["clientId"] = message.client_id
    payload.update(
        {
            "user": message.user,
            "timestamp": message.created_at,
            "lang": message.lang,
            "content": message.content,
            "text": reading.text,
            "textLang": reading.text_lang,
            "translation": reading.translation,
            "topics": dict(message.topics),
            "sentiment": message.sentiment,
            "status": message.status,
            "roomTopics": list(message.room_topics),
        }
    )
    return payload


def _render_v2(event: Event) -> list[bytes]:  # one branch per frame type
    if isinstance(event, Reading):
        return [encode(_message_v2(event))]
    if isinstance(event, Joined):
        payload = _with_id({"type": "joined"}, event.client_id)
        payload.update(
            {"room": event.room, "user": event.user, "lang": event.lang, "limits": LIMITS}
        )
        return [encode(payload)]
    if isinstance(event, HistoryPage):
        return _history_v2(event)
    if isinstance(event, Presence):
        return [
            encode(
                {
                    "type": "presence",
                    "room": event.room,
                    "event": event.event,
                    "user": event.user,
                    "members": [{"user": u, "lang": lang} for u, lang in event.members],
                }
            )
        ]
    if isinstance(event, RoomTopics):
        topics = [{"topic": t, "count": n} for t, n in event.topics]
        return [encode({"type": "topics", "room": event.room, "topics": topics})]
    if isinstance(event, Accepted):
        payload = _with_id({"type": "ack"}, event.client_id)
        payload.update({"messageId": event.message_id, "status": event.status})
        return [encode(payload)]
    if isinstance(event, Refused):
        payload = _with_id({"type": event.kind}, event.client_id)
        payload.update(
            {
                "messageId": event.message_id,
                "reason": event.reason,
                "notice": event.notice.text,
                "noticeLang": event.notice.lang,
            }
        )
        return [encode(payload)]
    if isinstance(event, Pong):
        return [
            encode(_with_id({"type": "pong"}, event.client_id) | {"timestamp": event.timestamp})
        ]
    if isinstance(event, Left):
        return [encode(_with_id({"type": "left"}, event.client_id) | {"room": event.room})]
    if not isinstance(event, Failure):
        return _render_review(event)
    payload = _with_id({"type": "error"}, event.client_id)
    payload.update(
        {"action": event.action, "code": event.code, "field": event.field, "message": event.message}
    )
    if event.retry_after is not None:
        payload["retryAfter"] = event.retry_after
    return [encode(payload)]


def _history_v2(page: HistoryPage) -> list[bytes]:
    head = _with_id({"type": "history"}, page.client_id)
    head.update({"room": page.room, "mode": page.mode})
    return _parts(head, "messages", [encode(_message_v2(r)) for r in page.readings], page.has_more)


def _parts(head: dict[str, Any], key: str, items: Sequence[bytes], has_more: bool) -> list[bytes]:
    """``head`` plus ``key: [items]`` in frames under 32 KB; only the last has ``final: true``."""
    encoded_head = encode(head)
    groups = _split(items, overhead=len(encoded_head) + len(key) + 64)
    frames = []
    for index, group in enumerate(groups):
        final = index == len(groups) - 1
        # Join pre-encoded items: the same bytes json would produce, without re-encoding.
        frames.append(
            encoded_head[:-1]
            + b',"'
            + key.encode()
            + b'":['
            + b",".join(group)
            + b'],"hasMore":'
            + (b"true" if has_more else b"false")
            + b',"final":'
            + (b"true" if final else b"false")
            + b"}"
        )
    return frames


# Moderation frames (v2 only).


def review_item(message: Message) -> dict[str, Any]:
    """A message awaiting review, as ``review.queue`` and ``review.flagged`` show it."""
    return {
        "room": message.room,
        "messageId": message.message_id,
        "user": message.user,
        "lang": message.lang,
        "content": message.content,
        "status": message.status,
        "flagReason": message.flag_reason,
        "sentiment": message.sentiment,
        "scores": dict(message.sentiment_score) or None,
        "createdAt": message.created_at,
    }


def audit_entry(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as ``review.audit`` and ``review.resolved`` show it."""
    return {
        "entryId": entry.entry_id,
        "at": entry.at,
        "moderator": entry.moderator,
        "action": entry.action,
        "room": entry.room,
        "messageId": entry.message_id,
        "user": entry.user,
        "reason": entry.reason,
        "until": entry.until,
    }


def _render_review(event: Event) -> list[bytes]:
    """The v2 frames of a moderation event (none for an event that is not one)."""
    if isinstance(event, ModeratorSignedIn):
        return [
            encode(
                _with_id({"type": "review.authenticated"}, event.client_id)
                | {"moderator": event.moderator}
            )
        ]
    if isinstance(event, ReviewQueue):
        head = _with_id({"type": "review.queue"}, event.client_id)
        head["room"] = event.room
        head["counts"] = {
            "pending": event.counts.pending,
            "rejected": event.counts.rejected,
            "held": event.counts.held,
            "rooms": dict(event.counts.rooms),
        }
        items = [encode(review_item(m)) for m in event.items]
        return _parts(head, "items", items, event.has_more)
    if isinstance(event, Flagged):
        return [encode({"type": "review.flagged", "item": review_item(event.message)})]
    if isinstance(event, Resolved):
        payload = _with_id({"type": "review.resolved"}, event.client_id)
        payload["entry"] = audit_entry(event.entry)
        return [encode(payload)]
    if isinstance(event, AuditPage):
        head = _with_id({"type": "review.audit"}, event.client_id)
        entries = [encode(audit_entry(e)) for e in event.entries]
        return _parts(head, "entries", entries, event.has_more)
    if isinstance(event, Decided):
        return [
            encode(
                {
                    "type": "review.decided",
                    "room": event.room,
                    "messageId": event.message_id,
                    "decision": event.decision,
                }
            )
        ]
    if isinstance(event, Deleted):
        return [encode({"type": "deleted", "room": event.room, "messageId": event.message_id})]
    return []


def _split(items: Sequence[bytes], *, overhead: int) -> list[list[bytes]]:
    """Group encoded items so each group's frame stays under 32 KB (one item per group at least)."""
    groups: list[list[bytes]] = [[]]
    size = overhead
    for item in items:
        if groups[-1] and size + len(item) + 1 > FRAME_SPLIT_BYTES:
            groups.append([])
            size = overhead
        groups[-1].append(item)
        size += len(item) + 1
    return groups


# v1: arrays of the original's message objects.


def _message_v1(reading: Reading) -> dict[str, Any]:
    message: Message = reading.message
    payload: dict[str, Any] = {
        "room": message.room,
        "timestamp": message.created_at,
        "user": message.user,
        "lang": message.lang,
        "content": message.content,
        "topics": dict(message.topics),
        "sentiment": message.sentiment,
        "roomTopics": list(message.room_topics),
    }
    if reading.translation == "translated":
        payload["destLang"] = reading.text_lang
        payload["translated"] = reading.text
    return payload


def _notice_v1(room: str | None, timestamp: int, text: str, lang: str) -> dict[str, Any]:
    return {
        "room": room or "",
        "timestamp": timestamp,
        "user": NOTICE_USER,
        "lang": lang,
        "content": text,
        "topics": {},
        "sentiment": "NEUTRAL",
        "roomTopics": [],
    }


def html_escaped(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) HTML-escaped: ``& < > " '``.

    The 2019 original page inserts v1 message objects with ``innerHTML`` and strips only closed
    tags, so every text of a v1 frame is escaped: that page shows the text as typed, literally,
    and no markup in it can run. v2 frames are JSON text, never escaped.
    """
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {html.escape(k, quote=True): html_escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [html_escaped(v) for v in value]
    return value


def _encode_v1(payload: object) -> bytes:
    return encode(html_escaped(payload))


def _render_v1(event: Event) -> list[bytes]:
    if isinstance(event, Reading):
        return [_encode_v1([_message_v1(event)])]
    if isinstance(event, HistoryPage):
        groups = _split([_encode_v1(_message_v1(r)) for r in event.readings], overhead=2)
        return [b"[" + b",".join(group) + b"]" for group in groups]
    if isinstance(event, Presence):
        if event.event == "snapshot" or event.notice is None:
            return []
        notice = _notice_v1(event.room, event.timestamp, event.notice.text, event.notice.lang)
        return [_encode_v1([notice])]
    if isinstance(event, Refused):
        notice = _notice_v1(event.room, event.timestamp, event.notice.text, event.notice.lang)
        return [_encode_v1([notice])]
    if isinstance(event, Failure):
        notice = _notice_v1(event.room, event.timestamp, event.message, "en")
        notice["error"] = event.code
        return [_encode_v1([notice])]
    # joined, topics, ack, pong, left: the original protocol has no such frames.
    return []
