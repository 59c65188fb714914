"""Unit tests of the delivery function's handler: records in, shards delivered, failures out.

The runtime is replaced by a small double (its delivery records the shards it is given); the
records are real SQS event records carrying bodies the real adapter encoded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "PositiveChat")

from positive_chat import delivery_app
from positive_chat.adapters.delivery_queue import encode_shard
from positive_chat.adapters.resilience import Deadline, DeadlineSlot
from positive_chat.domain.model import Connection, Message, Shard

MESSAGE = Message(
    room="stage",
    message_id="01KB00000000000099",
    user="Ana",
    lang="en",
    content="Hello",
    created_at=1,
    status="published",
)


def record(message_id: str, shard_index: int, *, body: str | None = None) -> dict[str, Any]:
    """An SQS event record as Lambda's event source mapping sends it."""
    shard = Shard(
        "api9/prod", MESSAGE, (Connection(f"r{shard_index}", room="stage"),), shard_index, 9
    )
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": encode_shard(shard) if body is None else body,
        "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": "g-0"},
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:chat-DeliveryQueue.fifo",
        "awsRegion": "us-east-1",
    }


@dataclass
class Context:
    function_name: str = "chat-DeliveryFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:delivery"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@dataclass
class RecordingDelivery:
    failing: set[int] = field(default_factory=set)
    delivered: list[tuple[str, int]] = field(default_factory=list)

    def deliver_shard(self, outbox: Any, shard: Shard) -> None:
        if shard.index in self.failing:
            raise RuntimeError("boom")
        self.delivered.append((outbox, shard.index))


@dataclass
class Counting:
    values: dict[str, float] = field(default_factory=dict)

    def count(self, name: str, value: float = 1) -> None:
        self.values[name] = self.values.get(name, 0) + value


class FakeRuntime:
    def __init__(self, failing: set[int] | None = None) -> None:
        self.deadlines = DeadlineSlot()
        self.delivery = RecordingDelivery(failing or set())
        self.chat = type("Chat", (), {"delivery": self.delivery})()
        self.metrics_sink = Counting()

    def deadline_for(self, context: Any) -> Deadline:
        return Deadline.unlimited()

    def ending_for(self, context: Any) -> Deadline:
        return Deadline.unlimited()

    def outbox_at(self, address: str) -> str:
        return f"outbox of {address}"


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    fake = FakeRuntime(failing={2})
    monkeypatch.setattr(delivery_app, "current_runtime", lambda: fake)
    return fake


def test_every_shard_is_delivered_through_the_outbox_of_its_stage(runtime: FakeRuntime) -> None:
    answer = delivery_app.lambda_handler({"Records": [record("m0", 0), record("m1", 1)]}, Context())
    assert answer == {"batchItemFailures": []}
    assert runtime.delivery.delivered == [("outbox of api9/prod", 0), ("outbox of api9/prod", 1)]


def test_a_failing_shard_and_every_record_after_it_are_reported_unprocessed(
    runtime: FakeRuntime,
) -> None:
    """FIFO: the records after a failure are not processed, so the group keeps its order."""
    event = {"Records": [record("m1", 1), record("m2", 2), record("m3", 3)]}
    answer = delivery_app.lambda_handler(event, Context())
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert runtime.delivery.delivered == [("outbox of api9/prod", 1)]


def test_a_record_that_is_not_a_shard_is_counted_and_not_retried(runtime: FakeRuntime) -> None:
    event = {"Records": [record("bad", 0, body="{not json"), record("m1", 1)]}
    answer = delivery_app.lambda_handler(event, Context())
    assert answer == {"batchItemFailures": []}
    assert runtime.metrics_sink.values == {"ShardsMalformed": 1}
    assert runtime.delivery.delivered == [("outbox of api9/prod", 1)]


def test_an_event_without_records_answers_no_failures(runtime: FakeRuntime) -> None:
    assert delivery_app.lambda_handler({"Records": []}, Context()) == {"batchItemFailures": []}
