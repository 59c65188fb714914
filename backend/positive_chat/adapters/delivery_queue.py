"""The delivery queue: large rooms' shards on an SQS FIFO queue, for the delivery function.

This module owns the shard's encoding on the queue (a versioned JSON body of our own, not the
clients' wire format) and ``SendMessageBatch``:

- ten entries per call at most, and no more than ``BATCH_MAX_BYTES`` of bodies per call;
- ``MessageDeduplicationId`` = message id, shard index and attempt: a send botocore retries after
  a lost answer is dropped by SQS, so a shard is never queued (and delivered) twice;
- ``MessageGroupId`` = a digest of the room and the shard index: a shard's readers get the room's
  messages in order, and shards of one message run in parallel (group ids allow only ASCII,
  room names do not);
- entries SQS reports failed are sent again (``SEND_ATTEMPTS`` in all, with jittered backoff);
  what still fails, or a call that fails as a whole, is returned to the caller, who posts it
  from where it is (domain/delivery.py).

The client is bound to the invocation (resilience.bind_to_invocation): no attempt outlives it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from positive_chat.domain.model import Connection, Message, Shard

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

__all__ = [
    "BATCH_MAX_BYTES",
    "SEND_ATTEMPTS",
    "SHARD_FORMAT",
    "ShardFormatError",
    "SqsShardQueue",
    "decode_shard",
    "encode_shard",
]

logger = logging.getLogger(__name__)

SHARD_FORMAT = 1
# SQS takes up to 1 MiB per message and per batch; staying under 256 KiB keeps every shard
# within the older limit and any event source's payload.
BATCH_MAX_BYTES = 240 * 1024
BATCH_MAX_ENTRIES = 10
SEND_ATTEMPTS = 3


class ShardFormatError(ValueError):
    """A queue message that is not a shard this code can read."""


def encode_shard(shard: Shard) -> str:
    """The shard as the queue message's body."""
    m = shard.message
    body = {
        "v": SHARD_FORMAT,
        "address": shard.address,
        "shard": [shard.index, shard.count],
        "attempt": shard.attempt,
        "message": {
            "room": m.room,
            "id": m.message_id,
            "user": m.user,
            "lang": m.lang,
            "content": m.content,
            "createdAt": m.created_at,
            "status": m.status,
            "sentiment": m.sentiment,
            "roomTopics": list(m.room_topics),
            "translations": dict(m.translations),
        },
        # [connection id, lang, protocol version, user]: what rendering and pruning need.
        "readers": [[r.connection_id, r.lang, r.version, r.user] for r in shard.readers],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decode_shard(body: str) -> Shard:
    """The shard in a queue message's body; ShardFormatError when it is not one."""
    try:
        data = json.loads(body)
        if data.get("v") != SHARD_FORMAT:
            raise ShardFormatError(f"unknown shard format {data.get('v')!r}")
        m = data["message"]
        message = Message(
            room=str(m["room"]),
            message_id=str(m["id"]),
            user=str(m["user"]),
            lang=str(m["lang"]),
            content=str(m["content"]),
            created_at=int(m["createdAt"]),
            status=m["status"],
            sentiment=m.get("sentiment"),
            room_topics=tuple(str(t) for t in m.get("roomTopics", ())),
            translations={str(k): str(v) for k, v in dict(m.get("translations", {})).items()},
        )
        readers = tuple(
            Connection(
                connection_id=str(cid),
                room=message.room,
                lang=str(lang),
                version=int(version),
                user=None if user is None else str(user),
            )
            for cid, lang, version, user in data["readers"]
        )
        index, count = (int(n) for n in data["shard"])
        return Shard(
            address=str(data["address"]),
            message=message,
            readers=readers,
            index=index,
            count=count,
            attempt=int(data.get("attempt", 1)),
        )
    except ShardFormatError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise ShardFormatError(f"not a shard: {err}") from err


def group_id(room: str, index: int) -> str:
    """The shard's MessageGroupId: same room and index, same group (and order)."""
    return f"{hashlib.sha256(room.encode()).hexdigest()[:40]}-{index}"


def _batches(entries: Sequence[SendMessageBatchRequestEntryTypeDef]) -> list[list[Any]]:
    """Entries in calls of at most ten, and at most BATCH_MAX_BYTES of bodies."""
    batches: list[list[Any]] = []
    size = 0
    for entry in entries:
        length = len(entry["MessageBody"].encode())
        if not batches or len(batches[-1]) == BATCH_MAX_ENTRIES or size + length > BATCH_MAX_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += length
    return batches


class SqsShardQueue:
    """The domain's ShardQueue over one SQS FIFO queue."""

    def __init__(
        self,
        client: SQSClient,
        queue_url: str,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        base_delay: float = 0.05,
    ) -> None:
        self._client = client
        self._url = queue_url
        self._sleep = sleep
        self._base_delay = base_delay

    def hand_off(self, shards: Sequence[Shard]) -> list[Shard]:
        """Queue every shard; return those not queued after SEND_ATTEMPTS."""
        by_id: dict[str, Shard] = {}
        entries: list[SendMessageBatchRequestEntryTypeDef] = []
        for position, shard in enumerate(shards):
            entry_id = str(position)
            by_id[entry_id] = shard
            entries.append(
                {
                    "Id": entry_id,
                    "MessageBody": encode_shard(shard),
                    "MessageGroupId": group_id(shard.message.room, shard.index),
                    "MessageDeduplicationId": (
                        f"{shard.message.message_id}-{shard.index}-{shard.attempt}"
                    ),
                }
            )
        left: list[Shard] = []
        for batch in _batches(entries):
            left.extend(by_id[entry["Id"]] for entry in self._send(batch))
        return left

    def _send(self, batch: list[Any]) -> list[Any]:
        """Send one batch, again for its failed entries; return the entries never accepted."""
        pending = batch
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                answer = self._client.send_message_batch(QueueUrl=self._url, Entries=pending)
            except (BotoCoreError, ClientError) as err:
                # botocore retried the call already (standard mode); the whole batch is left.
                logger.warning("delivery queue unavailable", extra={"error": str(err)})
                return pending
            failed = {f["Id"]: f for f in answer.get("Failed", [])}
            if not failed:
                return []
            _log_failures(failed)
            pending = [entry for entry in pending if entry["Id"] in failed]
            if attempt < SEND_ATTEMPTS and not any(f.get("SenderFault") for f in failed.values()):
                self._sleep(random.uniform(0, self._base_delay * 2**attempt))  # noqa: S311
            else:
                break
        return pending


def _log_failures(failed: Mapping[str, Any]) -> None:
    codes = sorted({str(f.get("Code")) for f in failed.values()})
    logger.warning("shards refused by the queue", extra={"count": len(failed), "codes": codes})
