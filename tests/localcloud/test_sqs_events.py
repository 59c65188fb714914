"""SQS queues and the functions they trigger, from a template, against a real moto SQS server.

Each test creates the queues of a small template in its own moto server, starts the event
source mappings (``localcloud.sqs_events.QueueTriggers``) for the probe handler
(tests/localcloud/handlers/queue_probe.py), talks to the queues with a real boto3 client and
reads what the function saw from the probe's log. The last test runs the project's template in
``python -m localcloud``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import pytest_asyncio
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from localcloud.queues import QueueInfo, create_queues, queue_refs, sqs_event_sources
from localcloud.sqs_events import QueueTriggers, batch_failures, sqs_event
from localcloud.template import function_spec, load_template
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

HANDLERS = Path(__file__).parent / "handlers"
ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Work:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dead.Arn
        maxReceiveCount: 2
  Ordered:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
      DeduplicationScope: messageGroup
      FifoThroughputLimit: perMessageGroupId
      VisibilityTimeout: 30
      MessageRetentionPeriod: 900
  Dead:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${{AWS::StackName}}-dead-letters"
      MessageRetentionPeriod: 1209600
  Probe:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: queue_probe.handler
      Runtime: python3.12
      Timeout: 5
      MemorySize: 128
      Environment:
        Variables:
          WORK_URL: !Ref Work
          DEAD_NAME: !GetAtt Dead.QueueName
          ORDERED_ARN: !GetAtt Ordered.Arn
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 3
            FunctionResponseTypes: [ReportBatchItemFailures]
        Ordered:
          Type: SQS
          Properties:
            Queue: !GetAtt Ordered.Arn
            BatchSize: 1
            ScalingConfig:
              MaximumConcurrency: 2
"""


@dataclass
class Sqs:
    """One test's moto server, its queues, a boto3 client and the probe's log."""

    url: str
    client: Any
    queues: dict[str, QueueInfo]
    template: dict[str, Any]
    template_dir: Path
    log: Path
    triggers: QueueTriggers | None = None

    async def start_triggers(self, *, workers: int = 2) -> QueueTriggers:
        """Start polling every SQS event of the template."""
        spec = function_spec(self.template, "Probe", template_dir=self.template_dir)
        env = spec.resolved_environment(queue_refs(self.queues))
        env.update({"PROBE_LOG": str(self.log), "AWS_ENDPOINT_URL_SQS": self.url})
        self.triggers = QueueTriggers(
            template=self.template, template_dir=self.template_dir,
            events=sqs_event_sources(self.template), queues=self.queues,
            function_env={"Probe": env}, sqs_url=self.url, region=REGION,
            account_id="123456789012", workers=workers,
        )
        await self.triggers.start()
        return self.triggers

    async def send(self, queue: str, *bodies: dict[str, Any], **extra: Any) -> list[str]:
        """Send each body (as JSON) to ``queue``; their message ids, in order."""
        ids = []
        for body in bodies:
            answer = await asyncio.to_thread(
                self.client.send_message, QueueUrl=self.queues[queue].url,
                MessageBody=json.dumps(body), **extra,
            )
            ids.append(answer["MessageId"])
        return ids

    def invocations(self) -> list[dict[str, Any]]:
        """What the probe logged, one entry per invocation, in the order they ended."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines()]

    def received(self) -> list[tuple[str, str]]:
        """(messageId, ApproximateReceiveCount) of every record the probe got."""
        return [(r["messageId"], r["attributes"]["ApproximateReceiveCount"])
                for i in self.invocations() for r in i["event"]["Records"]]

    async def dead_letters(self) -> list[dict[str, Any]]:
        """Read (and leave) what is in the dead-letter queue now."""
        answer = await asyncio.to_thread(
            self.client.receive_message, QueueUrl=self.queues["Dead"].url,
            MaxNumberOfMessages=10, VisibilityTimeout=0,
        )
        return list(answer.get("Messages", []))


async def _until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something true (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        await asyncio.sleep(0.1)


@pytest_asyncio.fixture
async def sqs(tmp_path: Path) -> AsyncIterator[Sqs]:
    """A moto server with the template's queues; the triggers, if started, are stopped.

    moto's state is shared by every server of the process: each test has queues of its own
    names, and the state is reset at the end (a long poll abandoned at the stop could otherwise
    take a message of the next test).
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client("sqs", endpoint_url=url, region_name=REGION,
                          aws_access_key_id="local", aws_secret_access_key="local")
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(code=HANDLERS), encoding="utf-8")
    template = load_template(path)
    stack = f"probe-{uuid.uuid4().hex[:8]}"
    queues = create_queues(template, {"AWS::StackName": stack}, client, stack_name=stack)
    state = Sqs(url, client, queues, template, tmp_path, tmp_path / "probe.log")
    yield state
    if state.triggers is not None:
        await state.triggers.stop()
    urllib.request.urlopen(
        urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10
    ).close()
    server.stop()


def test_queues_created_from_the_template_with_their_attributes(sqs: Sqs) -> None:
    """FIFO settings, retention, visibility and a redrive policy naming the dead-letter queue."""
    ordered, work, dead = sqs.queues["Ordered"], sqs.queues["Work"], sqs.queues["Dead"]
    stack = work.name.removesuffix("-Work")
    assert stack.startswith("probe-")
    assert ordered.name == f"{stack}-Ordered.fifo"
    assert ordered.fifo
    assert not work.fifo
    assert dead.name == f"{stack}-dead-letters"  # QueueName wins (a !Sub of the stack name)

    def attributes(info: QueueInfo) -> dict[str, str]:
        return dict(sqs.client.get_queue_attributes(QueueUrl=info.url,
                                                    AttributeNames=["All"])["Attributes"])

    fifo = attributes(ordered)
    assert fifo["FifoQueue"] == "true"
    assert fifo["ContentBasedDeduplication"] == "true"
    assert fifo["DeduplicationScope"] == "messageGroup"
    assert fifo["FifoThroughputLimit"] == "perMessageGroupId"
    assert fifo["VisibilityTimeout"] == "30"
    assert fifo["MessageRetentionPeriod"] == "900"
    assert fifo["QueueArn"] == ordered.arn
    standard = attributes(work)
    assert "FifoQueue" not in standard
    assert json.loads(standard["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead.arn, "maxReceiveCount": 2,
    }
    assert attributes(dead)["MessageRetentionPeriod"] == "1209600"
    refs = queue_refs(sqs.queues)
    assert refs["Work"] == work.url
    assert refs["Dead.Arn"] == dead.arn
    assert refs["Dead.QueueName"] == dead.name


def test_queue_that_references_a_missing_queue_is_refused(tmp_path: Path) -> None:
    """A RedrivePolicy naming no queue of the template is an error, not a queue without one."""
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Gone", "Arn"]},
                          "maxReceiveCount": 1}}}}}
    with pytest.raises(KeyError, match=r"Gone\.Arn"):
        create_queues(template, {}, client=None, stack_name="s")


def test_sqs_event_sources_read_from_the_template(sqs: Sqs) -> None:
    """Batch size, partial batch responses and the concurrency cap come from each event."""
    work, ordered = sqs_event_sources(sqs.template)
    assert (work.function_id, work.event_name, work.batch_size) == ("Probe", "Work", 3)
    assert work.report_batch_item_failures
    assert work.maximum_concurrency is None
    assert (ordered.batch_size, ordered.maximum_concurrency) == (1, 2)
    assert not ordered.report_batch_item_failures


async def test_function_gets_lambda_sqs_event(sqs: Sqs) -> None:
    """A FIFO message reaches the function in the shape Lambda gives it, then is deleted."""
    await sqs.start_triggers()
    body = {"op": "ok", "text": "héllo"}
    [message_id] = await sqs.send(
        "Ordered", body, MessageGroupId="room-1", MessageDeduplicationId="dedup-1",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "shard"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    [invocation] = await _until(sqs.invocations)
    [record] = invocation["event"]["Records"]
    assert list(record) == ["messageId", "receiptHandle", "body", "attributes",
                            "messageAttributes", "md5OfBody", "md5OfMessageAttributes",
                            "eventSource", "eventSourceARN", "awsRegion"]
    assert record["messageId"] == message_id
    assert json.loads(record["body"]) == body
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == sqs.queues["Ordered"].arn
    assert record["awsRegion"] == REGION
    attributes = record["attributes"]
    assert set(attributes) == {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                               "ApproximateFirstReceiveTimestamp", "SequenceNumber",
                               "MessageGroupId", "MessageDeduplicationId"}
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["MessageGroupId"] == "room-1"
    assert attributes["MessageDeduplicationId"] == "dedup-1"
    assert all(isinstance(v, str) for v in attributes.values())
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "shard", "stringListValues": [], "binaryListValues": [],
                 "dataType": "String"},
        "blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [],
                 "dataType": "Binary"},
    }
    env = invocation["env"]
    assert env["WORK_URL"] == sqs.queues["Work"].url
    assert env["DEAD_NAME"] == sqs.queues["Dead"].name
    assert env["ORDERED_ARN"] == sqs.queues["Ordered"].arn
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Probe"

    def queue_empty() -> bool:
        counts = sqs.client.get_queue_attributes(
            QueueUrl=sqs.queues["Ordered"].url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return set(counts.values()) == {"0"}

    await _until(queue_empty)  # deleted after the success


async def test_partial_batch_failure_keeps_only_the_failed_record(sqs: Sqs) -> None:
    """With ReportBatchItemFailures, the records listed stay and come back; the rest go."""
    ok1, failing, ok2 = await sqs.send("Work", {"op": "ok"}, {"op": "fail"}, {"op": "ok"})
    await sqs.start_triggers()  # after sending: the first receive gets the three at once
    await _until(lambda: (failing, "2") in sqs.received())
    first = sqs.invocations()[0]["event"]["Records"]
    assert sorted(r["messageId"] for r in first) == sorted([ok1, failing, ok2]), sqs.received()
    # Received twice (maxReceiveCount 2), the failing record moves to the dead letters; the
    # two that succeeded were deleted after the first invocation and never came back.
    [dead] = await _until(sqs.dead_letters)
    assert dead["MessageId"] == failing
    assert sorted(sqs.received()) == sorted([(ok1, "1"), (ok2, "1"), (failing, "1"),
                                             (failing, "2")])


async def test_invalid_batch_response_keeps_the_whole_batch(sqs: Sqs) -> None:
    """An empty itemIdentifier fails the whole batch: the record that succeeded comes back."""
    ok, invalid = await sqs.send("Work", {"op": "ok"}, {"op": "invalid"})
    await sqs.start_triggers()
    await _until(lambda: {(ok, "2"), (invalid, "2")} <= set(sqs.received()))


async def test_failing_function_sends_the_message_to_the_dead_letter_queue(sqs: Sqs) -> None:
    """A function error deletes nothing; after maxReceiveCount receives SQS moves it aside."""
    await sqs.start_triggers()
    [message_id] = await sqs.send("Work", {"op": "raise"})
    [dead] = await _until(sqs.dead_letters)
    assert dead["MessageId"] == message_id
    assert sqs.received() == [(message_id, "1"), (message_id, "2")]


async def test_fifo_groups_in_order_one_batch_at_a_time(sqs: Sqs) -> None:
    """A group's messages run one after another in send order; at most 2 batches in flight."""
    sent: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    for i in range(4):
        for group, ids in sent.items():
            # Distinct bodies: moto deduplicates content across the queue, whatever the scope.
            body = {"op": "ok", "sleep": 0.15, "n": f"{group}{i}"}
            [message_id] = await sqs.send("Ordered", body, MessageGroupId=group)
            ids.append(message_id)
    await sqs.start_triggers(workers=3)
    await _until(lambda: len(sqs.invocations()) == 12, timeout=30)
    runs = []
    for invocation in sqs.invocations():
        [record] = invocation["event"]["Records"]
        runs.append((invocation["started"], invocation["ended"],
                     record["attributes"]["MessageGroupId"], record["messageId"]))
    runs.sort()
    for group, ids in sent.items():
        mine = [run for run in runs if run[2] == group]
        assert [run[3] for run in mine] == ids  # in send order
        for before, after in itertools.pairwise(mine):
            assert before[1] <= after[0]  # never two of one group at once
    for start, *_ in runs:  # ScalingConfig.MaximumConcurrency: 2, though 3 environments
        assert sum(1 for s, e, *_ in runs if s <= start < e) <= 2


async def test_stop_lets_the_batch_in_flight_finish_and_leaves_no_process(sqs: Sqs) -> None:
    """Stopping mid-invocation: polling stops, the batch finishes and is deleted, no process
    is left behind."""
    triggers = await sqs.start_triggers()
    await sqs.send("Ordered", {"op": "ok", "sleep": 1.0}, MessageGroupId="g")
    pids = await _until(triggers.worker_pids)
    await asyncio.sleep(0.3)  # the invocation is running
    await triggers.stop()
    sqs.triggers = None
    assert len(sqs.invocations()) == 1
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    counts = sqs.client.get_queue_attributes(
        QueueUrl=sqs.queues["Ordered"].url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert set(counts.values()) == {"0"}  # deleted before the stop returned


def test_sqs_event_and_batch_failures_units() -> None:
    """The event of a standard queue's message has no FIFO attributes, and failures parse."""
    attributes = {"ApproximateReceiveCount": "1", "SentTimestamp": "5", "SenderId": "AIDA",
                  "ApproximateFirstReceiveTimestamp": "6"}
    event = sqs_event([{"MessageId": "m1", "ReceiptHandle": "r1", "Body": "x",
                        "MD5OfBody": "9dd4e461268c8034f5c8564e155c67a6",
                        "Attributes": attributes}], "arn:aws:sqs:us-east-1:1:q", REGION)
    [record] = event["Records"]
    assert record["messageAttributes"] == {}
    assert "md5OfMessageAttributes" not in record
    assert set(record["attributes"]) == {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                         "ApproximateFirstReceiveTimestamp"}
    ids = ["a", "b"]
    assert batch_failures(None, ids) == set()
    assert batch_failures({}, ids) == set()
    assert batch_failures({"batchItemFailures": None}, ids) == set()
    assert batch_failures({"batchItemFailures": []}, ids) == set()
    assert batch_failures({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids) == {"b"}
    for invalid in ({"batchItemFailures": [{"itemIdentifier": ""}]},
                    {"batchItemFailures": [{"itemIdentifier": None}]},
                    {"batchItemFailures": [{"itemId": "a"}]},
                    {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
                    {"batchItemFailures": "a"},
                    "ok"):
        assert batch_failures(invalid, ids) is None, invalid


def test_real_template_runs_the_delivery_queue_and_function(local_cloud: RunningCloud) -> None:
    """`python -m localcloud` creates the delivery queues as the template says and serves the
    delivery function through the Invoke API (its module is imported at the first invocation,
    not at the start)."""
    client = boto3.client("sqs", endpoint_url=local_cloud.urls["sqs"], region_name=REGION,
                          aws_access_key_id="local", aws_secret_access_key="local")
    urls = client.list_queues(QueueNamePrefix="positive-chat-local-")["QueueUrls"]
    names = {url.rsplit("/", 1)[1]: url for url in urls}
    queue = client.get_queue_attributes(QueueUrl=names["positive-chat-local-DeliveryQueue.fifo"],
                                        AttributeNames=["All"])["Attributes"]
    dead = client.get_queue_attributes(
        QueueUrl=names["positive-chat-local-DeliveryDeadLetterQueue.fifo"],
        AttributeNames=["All"])["Attributes"]
    resources = load_template(ROOT / "template.yaml")["Resources"]
    wanted = resources["DeliveryQueue"]["Properties"]
    assert queue["FifoQueue"] == "true"
    assert queue["DeduplicationScope"] == wanted["DeduplicationScope"] == "messageGroup"
    assert queue["FifoThroughputLimit"] == wanted["FifoThroughputLimit"] == "perMessageGroupId"
    assert queue["ContentBasedDeduplication"] == "false"
    assert queue["VisibilityTimeout"] == str(wanted["VisibilityTimeout"])
    assert queue["MessageRetentionPeriod"] == str(wanted["MessageRetentionPeriod"])
    assert json.loads(queue["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead["QueueArn"],
        "maxReceiveCount": wanted["RedrivePolicy"]["maxReceiveCount"],
    }
    assert dead["FifoQueue"] == "true"
    assert dead["MessageRetentionPeriod"] == str(
        resources["DeliveryDeadLetterQueue"]["Properties"]["MessageRetentionPeriod"])
    # The Lambda Invoke API knows the delivery function (an empty batch: nothing to deliver).
    url = f"{local_cloud.urls['lambda_api']}/2015-03-31/functions/DeliveryFunction/invocations"
    request = AWSRequest(method="POST", url=url, data=b'{"Records": []}')
    SigV4Auth(Credentials("local", "local"), "lambda", REGION).add_auth(request)
    with urllib.request.urlopen(urllib.request.Request(
        url, data=b'{"Records": []}', headers=dict(request.headers.items()), method="POST",
    ), timeout=30) as response:
        assert response.status == 200
        assert response.headers["X-Amz-Executed-Version"] == "1"


def test_local_cloud_delivers_the_delivery_queue_to_its_function(
    start_local_cloud: Callable[..., RunningCloud], tmp_path: Path,
) -> None:
    """`python -m localcloud` on the project's template, with the delivery function's code
    swapped for the probe: a message sent to the delivery queue reaches it, with the variables
    the template gives it and the local endpoints, and is deleted."""
    text = (ROOT / "template.yaml").read_text("utf-8")
    delivery = "      CodeUri: backend/\n      Handler: positive_chat.delivery_app.lambda_handler\n"
    assert text.count(delivery) == 1
    path = tmp_path / "template.yaml"
    path.write_text(text.replace(delivery, f"      CodeUri: {HANDLERS}\n"
                                           "      Handler: queue_probe.handler\n"), "utf-8")
    log = tmp_path / "probe.log"
    cloud = start_local_cloud("--template", str(path), "--ephemeral",
                              "--env", f"PROBE_LOG={log}")
    client = boto3.client("sqs", endpoint_url=cloud.urls["sqs"], region_name=REGION,
                          aws_access_key_id="local", aws_secret_access_key="local")
    url = client.get_queue_url(QueueName="positive-chat-local-DeliveryQueue.fifo")["QueueUrl"]
    sent = client.send_message(QueueUrl=url, MessageBody='{"op": "ok"}', MessageGroupId="room",
                               MessageDeduplicationId="message-1-shard-0")
    deadline = time.monotonic() + 30
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    [invocation] = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    [record] = invocation["event"]["Records"]
    assert record["messageId"] == sent["MessageId"]
    assert record["attributes"]["MessageDeduplicationId"] == "message-1-shard-0"
    env = invocation["env"]
    assert env["DELIVERY_QUEUE_URL"] == url
    assert env["CONNECTIONS_TABLE"]  # a table of the local DynamoDB, resolved from !Ref
    assert env["AWS_ENDPOINT_URL_SQS"] == cloud.urls["sqs"]
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == cloud.urls["dynamodb"]
    assert env["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"] == cloud.urls["connections"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "DeliveryFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert (env["POWERTOOLS_TRACE_DISABLED"], env["AWS_ACCESS_KEY_ID"]) == ("true", "local")
    while time.monotonic() < deadline:
        counts = client.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        if set(counts["Attributes"].values()) == {"0"}:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the message was not deleted: {counts}")
