"""Settings and limits of the chat Lambda.

This module owns every number the protocol promises (docs/protocol.md, "Limits and validation")
and reading the environment once, explicitly: nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from positive_chat.domain.errors import PositiveChatError
from positive_chat.domain.languages import COMPREHEND_SENTIMENT, is_served

__all__ = [
    "AUDIT_RETENTION_DAYS",
    "CLIENT_ID_MAX_CHARS",
    "CONNECTION_TTL_SECONDS",
    "CONTENT_MAX_BYTES",
    "CONTENT_MAX_CHARS",
    "DETECTION_MIN_CHARS",
    "DETECTION_MIN_SCORE",
    "FRAME_MAX_BYTES",
    "FRAME_SPLIT_BYTES",
    "HISTORY_MAX_PAGE",
    "HISTORY_PAGE",
    "MODERATORS_ROOM",
    "MODERATOR_DEFAULT_NAME",
    "MOD_AUTH_MAX_FAILURES",
    "MOD_AUTH_WINDOW_SECONDS",
    "MOD_MUTE_MAX_MINUTES",
    "MOD_PAGE",
    "MOD_REASON_MAX_CHARS",
    "MOD_SECRET_CACHE_SECONDS",
    "MOD_SECRET_MAX_CHARS",
    "NAME_CLAIM_GRACE_MS",
    "NAME_MAX_CHARS",
    "NOTICE_USER",
    "PRESENCE_BROADCAST_MAX",
    "PRESENCE_MAX_MEMBERS",
    "RATE_LIMIT_BURST",
    "RATE_LIMIT_PER_SECOND",
    "ROOM_MAX_CHARS",
    "TOPIC_MAX_CHARS",
    "TOP_TOPICS",
    "V1_NAME_SETTLE_MS",
    "ConfigurationError",
    "Settings",
]

# Text limits
NAME_MAX_CHARS = 32
ROOM_MAX_CHARS = 64
CLIENT_ID_MAX_CHARS = 64
CONTENT_MAX_CHARS = 2000
CONTENT_MAX_BYTES = 5000  # Comprehend DetectSentiment accepts at most 5 KB of UTF-8.

# Frames: API Gateway refuses messages over 128 KB and splits frames at 32 KB.
FRAME_MAX_BYTES = 128 * 1024
FRAME_SPLIT_BYTES = 32 * 1024 - 512  # keep every multi-part frame under 32 KB, with headroom

# History
HISTORY_PAGE = 50
HISTORY_MAX_PAGE = 100

# Language detection: Comprehend is unreliable under ~20 characters.
DETECTION_MIN_CHARS = 20
DETECTION_MIN_SCORE = 0.5

# Rooms
TOP_TOPICS = 3
TOPIC_MAX_CHARS = 100
NOTICE_USER = "Positive Chat"

# Presence in large rooms (docs/protocol.md, "presence"). Telling a room of N readers about every
# join costs N posts, so N joins cost N² (2 million posts for a room of 2,000); and a member list
# of ~40 bytes a member passes the 128 KB frame limit near 3,000 members. So a presence frame
# lists at most PRESENCE_MAX_MEMBERS members and always carries the total ("count"), and joins
# and leaves are told to the room only while it has at most PRESENCE_BROADCAST_MAX readers
# (above that a joiner still gets its snapshot; nobody else is told).
PRESENCE_MAX_MEMBERS = 100
PRESENCE_BROADCAST_MAX = 100

# Rate limiting per connection (docs/reliability.md): a token bucket; every frame costs a token.
RATE_LIMIT_PER_SECOND = 5.0  # tokens earned back per second (sustained frames per second)
RATE_LIMIT_BURST = 30  # bucket size: frames a quiet connection may send at once

# v1 binds a name on a connection's first message. Frames of one connection run concurrently, so
# a binding stays open this long to an earlier frame (by gateway time, then frame number) whose
# invocation got there later; messages wait until it has settled (docs/reliability.md).
V1_NAME_SETTLE_MS = 300
# A name claim whose holder has no connection in the room yet (it is joining) is never taken
# over before this; after it, a claim without its connection is stale.
NAME_CLAIM_GRACE_MS = 10_000

# API Gateway closes a connection after 2 h; $disconnect is best effort, so TTL cleans leftovers.
CONNECTION_TTL_SECONDS = 2 * 3600 + 15 * 60


# Moderation
# Moderator connections sit in the ByRoom index under this key; room names cannot hold "#".
MODERATORS_ROOM = "#moderators"
MODERATOR_DEFAULT_NAME = "moderator"
MOD_SECRET_MAX_CHARS = 1024
MOD_SECRET_CACHE_SECONDS = 300  # Powertools Parameters cache: one SSM read per 5 min per container
MOD_AUTH_MAX_FAILURES = 5  # failed sign-ins per source IP, and per connection, per window
MOD_AUTH_WINDOW_SECONDS = 15 * 60
MOD_REASON_MAX_CHARS = 500
MOD_MUTE_MAX_MINUTES = 7 * 24 * 60
MOD_PAGE = 50
AUDIT_RETENTION_DAYS = 400  # a year and a bit; DynamoDB TTL removes older audit entries


class ConfigurationError(PositiveChatError, RuntimeError):
    """A required environment variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """What the handler needs from its environment (template.yaml sets these variables)."""

    # Tables
    connections_table: str
    messages_table: str
    topics_table: str
    idempotency_table: str
    # Where @connections lives: None means "build it from the event" (apiId + region + stage).
    connections_endpoint: str | None = None
    region: str = "us-east-1"
    # Concurrency
    fanout_workers: int = 32
    translate_workers: int = 8
    # Idempotency window for client ids (seconds)
    idempotency_seconds: int = 24 * 3600
    # Per-connection token bucket (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST)
    rate_limit_per_second: float = RATE_LIMIT_PER_SECOND
    rate_limit_burst: int = RATE_LIMIT_BURST
    # Moderation: both None means moderation is off (sign-in answers SERVICE_UNAVAILABLE and
    # mutes are not checked); template.yaml always sets both.
    moderation_table: str | None = None
    moderator_secret_parameter: str | None = None
    audit_retention_days: int = AUDIT_RETENTION_DAYS
    # Languages sent to DetectSentiment as they are (SENTIMENT_LANGUAGES, comma-separated);
    # any other language is translated to English first. Comprehend's 12 by default; the local
    # cloud names every language its offline stand-in judges.
    sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT
    # The outbox posts through the lean PostToConnection (adapters.lean_post) when the runtime
    # has the session's credentials; LEAN_POST_TO_CONNECTION=off keeps boto3's client for it.
    lean_post: bool = True
    # Large rooms (docs/architecture.md, "Fan-out"): with a delivery queue, a room of more than
    # ``fanout_shard_threshold`` readers is posted by the delivery function, in shards of
    # ``fanout_shard_size`` readers; without one (None), every room is posted directly.
    delivery_queue_url: str | None = None
    fanout_shard_threshold: int = 300
    fanout_shard_size: int = 500

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read the settings from ``environ`` (pass ``os.environ``); raise ConfigurationError."""
        missing = [
            name
            for name in ("CONNECTIONS_TABLE", "MESSAGES_TABLE", "TOPICS_TABLE", "IDEMPOTENCY_TABLE")
            if not environ.get(name)
        ]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            connections_table=environ["CONNECTIONS_TABLE"],
            messages_table=environ["MESSAGES_TABLE"],
            topics_table=environ["TOPICS_TABLE"],
            idempotency_table=environ["IDEMPOTENCY_TABLE"],
            # The standard boto3 variable: when set, boto3 itself uses it for @connections.
            connections_endpoint=environ.get("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI") or None,
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            fanout_workers=_positive_int(environ, "FANOUT_WORKERS", 32),
            translate_workers=_positive_int(environ, "TRANSLATE_WORKERS", 8),
            rate_limit_per_second=_positive_float(
                environ, "RATE_LIMIT_PER_SECOND", RATE_LIMIT_PER_SECOND
            ),
            rate_limit_burst=_positive_int(environ, "RATE_LIMIT_BURST", RATE_LIMIT_BURST),
            moderation_table=environ.get("MODERATION_TABLE") or None,
            moderator_secret_parameter=environ.get("MODERATOR_SECRET_PARAMETER") or None,
            audit_retention_days=_positive_int(
                environ, "AUDIT_RETENTION_DAYS", AUDIT_RETENTION_DAYS
            ),
            sentiment_languages=_language_set(environ, "SENTIMENT_LANGUAGES", COMPREHEND_SENTIMENT),
            lean_post=_on_off(environ, "LEAN_POST_TO_CONNECTION", default=True),
            delivery_queue_url=environ.get("DELIVERY_QUEUE_URL") or None,
            fanout_shard_threshold=_positive_int(environ, "FANOUT_SHARD_THRESHOLD", 300),
            fanout_shard_size=_positive_int(environ, "FANOUT_SHARD_SIZE", 500),
        )


def _language_set(
    environ: Mapping[str, str], name: str, default: frozenset[str]
) -> frozenset[str]:
    raw = environ.get(name)
    if not raw or not raw.strip():
        return default
    codes = frozenset(code for code in re.split(r"[\s,]+", raw.strip()) if code)
    unknown = sorted(code for code in codes if not is_served(code))
    if unknown:
        raise ConfigurationError(f"{name} names languages we do not serve: {', '.join(unknown)}")
    return codes


def _on_off(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise ConfigurationError(f"{name} must be on or off, got {raw!r}")
    return raw == "on"


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from err
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


def _positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as err:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from err
    if not 0 < value < float("inf"):
        raise ConfigurationError(f"{name} must be a positive number, got {raw!r}")
    return value
