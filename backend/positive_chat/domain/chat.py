"""The chat, composed: rooms, posting, delivery and presence over the ports. No boto3 here.

Each part holds one responsibility (see its module); ``compose_chat`` wires them once per
execution environment. Per-event state (where replies go: the ``Outbox`` of the event's API
stage) is an argument of every use case, never a field.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from positive_chat.domain.delivery import Delivery, ShardPlan
from positive_chat.domain.languages import COMPREHEND_SENTIMENT
from positive_chat.domain.notices import Notices
from positive_chat.domain.ports import (
    Analyzer,
    Clock,
    ConnectionRepository,
    FlagListener,
    LanguageGuesser,
    MessageRepository,
    MetricsSink,
    NameClaims,
    OnceGate,
    ShardQueue,
    TopicRepository,
    Translator,
)
from positive_chat.domain.posting import Posting
from positive_chat.domain.presence import RoomPresence
from positive_chat.domain.room_names import RoomNames
from positive_chat.domain.rooms import Rooms
from positive_chat.domain.translation import Translations

__all__ = ["Chat", "compose_chat"]


@dataclass(frozen=True)
class Chat:
    """The chat's use cases, by responsibility."""

    rooms: Rooms
    posting: Posting
    delivery: Delivery
    presence: RoomPresence
    notices: Notices


def compose_chat(
    *,
    connections: ConnectionRepository,
    messages: MessageRepository,
    topics: TopicRepository,
    analyzer: Analyzer,
    translator: Translator,
    once: OnceGate,
    metrics: MetricsSink,
    clock: Clock,
    translate_pool: Executor,
    flag_listener: FlagListener | None = None,
    detector: LanguageGuesser | None = None,
    sentiment_languages: frozenset[str] = COMPREHEND_SENTIMENT,
    name_claims: NameClaims | None = None,
    sleep: Callable[[float], None] = time.sleep,
    shard_queue: ShardQueue | None = None,
    shard_plan: ShardPlan | None = None,
) -> Chat:
    """The chat over its ports (every part is shared by all events of the environment)."""
    translations = Translations(
        translator=translator, messages=messages, metrics=metrics, pool=translate_pool
    )
    notices = Notices(translations, metrics)
    presence = RoomPresence(connections=connections, notices=notices, metrics=metrics, clock=clock)
    delivery = Delivery(
        connections=connections,
        translations=translations,
        presence=presence,
        metrics=metrics,
        queue=shard_queue,
        plan=shard_plan,
    )
    posting = Posting(
        messages=messages,
        topics=topics,
        analyzer=analyzer,
        translator=translator,
        once=once,
        metrics=metrics,
        clock=clock,
        notices=notices,
        delivery=delivery,
        flag_listener=flag_listener,
        detector=detector,
        sentiment_languages=sentiment_languages,
    )
    names = None
    if name_claims is not None:
        names = RoomNames(claims=name_claims, connections=connections, metrics=metrics, clock=clock)
    rooms = Rooms(
        connections=connections,
        messages=messages,
        topics=topics,
        translations=translations,
        presence=presence,
        metrics=metrics,
        clock=clock,
        names=names,
        sleep=sleep,
    )
    return Chat(rooms=rooms, posting=posting, delivery=delivery, presence=presence, notices=notices)
