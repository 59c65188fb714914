"""Unit tests of the delivery queue adapter: the shard's body and SendMessageBatch's requests.

Requests are checked with botocore's Stubber on a real SQS client: the exact parameters the
adapter sends (queue URL, entry ids, bodies, group and deduplication ids) and what it does with
SQS's answers (partial failures, sender faults, a failing call).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from positive_chat.adapters.delivery_queue import (
    BATCH_MAX_BYTES,
    SEND_ATTEMPTS,
    ShardFormatError,
    SqsShardQueue,
    decode_shard,
    encode_shard,
    group_id,
)
from positive_chat.domain.model import Connection, Message, Shard

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/chat-DeliveryQueue.fifo"


def shard(index: int = 0, count: int = 1, *, readers: int = 3, text: str = "Hola a todos") -> Shard:
    message = Message(
        room="café-lounge",
        message_id="01KB00000000000042",
        user="Ana",
        lang="es",
        content=text,
        created_at=1_763_900_000_123,
        status="published",
        sentiment="POSITIVE",
        room_topics=("Paris", "música"),
        translations={"en": "Hello everyone", "ja": "皆さんこんにちは"},
    )
    people = tuple(
        Connection(
            f"conn{index}-{n}=", room="café-lounge", user=f"U{n}", lang="en", version=n % 2 + 1
        )
        for n in range(readers)
    )
    return Shard("abc123/prod", message, people, index, count, attempt=1)


def client() -> Any:
    return boto3.client(
        "sqs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_a_shard_survives_the_queue_unchanged() -> None:
    original = shard(2, 5)
    assert decode_shard(encode_shard(original)) == original


@pytest.mark.parametrize(
    "body",
    ["", "[]", "{}", '{"v": 2}', '{"v": 1, "message": {}}', '{"v": 1, "readers": 3}'],
)
def test_what_is_not_a_shard_is_refused_with_its_own_error(body: str) -> None:
    with pytest.raises(ShardFormatError):
        decode_shard(body)


def test_group_ids_are_ascii_per_room_and_shard() -> None:
    assert group_id("café-lounge", 3).isascii()
    assert group_id("café-lounge", 3) == group_id("café-lounge", 3)
    assert group_id("café-lounge", 3) != group_id("café-lounge", 4)
    assert group_id("café-lounge", 3) != group_id("cafe-lounge", 3)
    assert len(group_id("x" * 64, 9999)) <= 128


def test_shards_go_ten_per_call_with_group_and_deduplication_ids() -> None:
    sqs = client()
    shards = [shard(i, 12) for i in range(12)]
    with Stubber(sqs) as stub:
        for first, last in ((0, 10), (10, 12)):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": encode_shard(shards[i]),
                    "MessageGroupId": group_id("café-lounge", i),
                    "MessageDeduplicationId": f"01KB00000000000042-{i}-1",
                }
                for i in range(first, last)
            ]
            stub.add_response(
                "send_message_batch",
                {"Successful": [_ok(e["Id"]) for e in entries], "Failed": []},
                {"QueueUrl": URL, "Entries": entries},
            )
        assert SqsShardQueue(sqs, URL).hand_off(shards) == []
        stub.assert_no_pending_responses()


def test_a_call_never_carries_more_than_the_byte_limit() -> None:
    sqs = client()
    big = "x" * 1900
    shards = [shard(i, 6, readers=1500, text=big) for i in range(6)]
    sizes = [len(encode_shard(s).encode()) for s in shards]
    per_call = BATCH_MAX_BYTES // sizes[0]
    assert 1 <= per_call < 6  # the limit, not the count of ten, splits these
    calls: list[int] = []

    def record(params: Any, **_: Any) -> None:
        calls.append(sum(len(e["MessageBody"].encode()) for e in params["Entries"]))

    sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch", record)
    with Stubber(sqs) as stub:
        for _ in range(-(-6 // per_call)):
            stub.add_response("send_message_batch", {"Successful": [], "Failed": []})
        assert SqsShardQueue(sqs, URL).hand_off(shards) == []
    assert all(total <= BATCH_MAX_BYTES for total in calls)
    assert sum(calls) == sum(sizes)


def test_entries_sqs_failed_are_sent_again_and_only_them() -> None:
    sqs = client()
    shards = [shard(i, 3) for i in range(3)]
    sleeps: list[float] = []
    with Stubber(sqs) as stub:
        stub.add_response(
            "send_message_batch",
            {
                "Successful": [_ok("0"), _ok("2")],
                "Failed": [{"Id": "1", "SenderFault": False, "Code": "InternalError"}],
            },
        )
        stub.add_response(
            "send_message_batch",
            {"Successful": [_ok("1")], "Failed": []},
            {
                "QueueUrl": URL,
                "Entries": [
                    {
                        "Id": "1",
                        "MessageBody": encode_shard(shards[1]),
                        "MessageGroupId": group_id("café-lounge", 1),
                        "MessageDeduplicationId": "01KB00000000000042-1-1",
                    }
                ],
            },
        )
        assert SqsShardQueue(sqs, URL, sleep=sleeps.append).hand_off(shards) == []
        stub.assert_no_pending_responses()
    assert len(sleeps) == 1


def test_entries_failing_every_attempt_are_returned() -> None:
    sqs = client()
    shards = [shard(0, 2), shard(1, 2)]
    failed = {"Id": "1", "SenderFault": False, "Code": "InternalError"}
    with Stubber(sqs) as stub:
        stub.add_response("send_message_batch", {"Successful": [_ok("0")], "Failed": [failed]})
        for _ in range(SEND_ATTEMPTS - 1):
            stub.add_response("send_message_batch", {"Successful": [], "Failed": [failed]})
        assert SqsShardQueue(sqs, URL, sleep=lambda _s: None).hand_off(shards) == [shards[1]]
        stub.assert_no_pending_responses()


def test_a_sender_fault_is_not_sent_again() -> None:
    sqs = client()
    shards = [shard(0, 1)]
    with Stubber(sqs) as stub:
        stub.add_response(
            "send_message_batch",
            {"Successful": [], "Failed": [{"Id": "0", "SenderFault": True, "Code": "TooBig"}]},
        )
        assert SqsShardQueue(sqs, URL).hand_off(shards) == shards
        stub.assert_no_pending_responses()


def test_a_failing_call_returns_its_shards_and_goes_on_with_the_next() -> None:
    sqs = client()
    shards = [shard(i, 11) for i in range(11)]
    with Stubber(sqs) as stub:
        stub.add_client_error(
            "send_message_batch", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400
        )
        stub.add_response("send_message_batch", {"Successful": [_ok("10")], "Failed": []})
        assert SqsShardQueue(sqs, URL).hand_off(shards) == shards[:10]
        stub.assert_no_pending_responses()


def test_the_body_is_compact_json_naming_its_format() -> None:
    body = json.loads(encode_shard(shard(1, 2, readers=2)))
    assert body["v"] == 1
    assert body["readers"] == [["conn1-0=", "en", 1, "U0"], ["conn1-1=", "en", 2, "U1"]]
    assert body["message"]["translations"]["ja"] == "皆さんこんにちは"


def _ok(entry_id: str) -> dict[str, str]:
    return {"Id": entry_id, "MessageId": f"m-{entry_id}", "MD5OfMessageBody": "0" * 32}
