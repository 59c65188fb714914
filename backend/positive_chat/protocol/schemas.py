"""The JSON Schemas of the inbound frames (v1 and v2; moderation frames are v2 only)."""

from __future__ import annotations

from typing import Any

from positive_chat.config import (
    CLIENT_ID_MAX_CHARS,
    CONTENT_MAX_CHARS,
    HISTORY_MAX_PAGE,
    MOD_MUTE_MAX_MINUTES,
    MOD_REASON_MAX_CHARS,
    MOD_SECRET_MAX_CHARS,
    ROOM_MAX_CHARS,
)
from positive_chat.domain.languages import LANGUAGES

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
