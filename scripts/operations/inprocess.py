"""The real Lambda handler in process, for the cost report and the benchmarks.

This module owns the in-process rig: moto DynamoDB with the template's tables (with the local
cloud's exact speed-ups), deterministic Comprehend/Translate/@connections fakes, a
``operations.costs.callcount.Meter`` on every client, and a ``Harness`` that sends real-shaped API
Gateway events to ``positive_chat.app.lambda_handler`` and times each invocation.

The fakes answer at botocore's ``before-send`` event, i.e. after the request was built and
signed, as a real endpoint would (the meter's request time starts there too); each operation
can be given a fixed latency (``latency_ms``), e.g. 5 ms per PostToConnection, to make the
fan-out's concurrency visible. Their answers: language from ``language_of`` (the scenario knows
each text's language; unknown texts are English), sentiment NEGATIVE when a word of
``NEGATIVE_WORDS`` appears, entities = capitalised words after the first, translation =
``[target] text``; a PostToConnection to a connection id in ``gone`` answers 410 Gone, as
@connections does for a closed socket.

With ``delivery_queue=True`` the runtime also gets the fan-out's FIFO delivery queue (moto's SQS,
metered): rooms above the shard threshold are handed to it in shards, and
``Harness.deliver_queued`` plays Lambda's SQS event source for the delivery function.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote

__all__ = [
    "NEGATIVE_WORDS",
    "REGION",
    "ROOM",
    "FakeLanguageServices",
    "Harness",
    "handler_in_process",
    "in_process_environment",
    "memory_mb",
]

REGION = "us-east-1"
ROOM = "lobby"
NEGATIVE_WORDS = frozenset({"hate", "déteste", "hasse", "odio"})
ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


def in_process_environment() -> None:
    """Set the Lambda's environment for an in-process run: dummy credentials, us-east-1, quiet
    Powertools, and no endpoint overrides (every call is answered in process). Call it before
    importing positive_chat."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "positive-chat",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",
            "POWERTOOLS_METRICS_NAMESPACE": "PositiveChat",
        }
    )
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]


class _Body:
    """The raw body botocore reads from an AWSResponse."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        """The whole body at once."""
        yield self.data


class FakeLanguageServices:
    """Deterministic answers for Comprehend, Translate and @connections (``before-send``)."""

    def __init__(
        self,
        language_of: Mapping[str, str],
        *,
        latency_ms: Mapping[str, float] | None = None,
        gone: frozenset[str] = frozenset(),
    ) -> None:
        self.language_of = language_of
        self.gone = gone
        self.latency = {op: ms / 1000.0 for op, ms in (latency_ms or {}).items()}
        self.frames: Counter[str] = Counter()  # posted frames by "type" (v2), for checks
        self._lock = threading.Lock()

    def answer(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The parsed response of ``operation`` for the request ``body``."""
        text = str(body.get("Text", ""))
        if operation == "PostToConnection":
            return {}
        if operation == "DetectDominantLanguage":
            lang = self.language_of.get(text, "en")
            return {"Languages": [{"LanguageCode": lang, "Score": 0.99}]}
        if operation == "DetectSentiment":
            negative = bool(NEGATIVE_WORDS & set(text.casefold().split()))
            if negative:
                scores = {"Positive": 0.02, "Negative": 0.95, "Neutral": 0.02, "Mixed": 0.01}
            else:
                scores = {"Positive": 0.9, "Negative": 0.05, "Neutral": 0.04, "Mixed": 0.01}
            return {"Sentiment": "NEGATIVE" if negative else "POSITIVE", "SentimentScore": scores}
        if operation == "DetectEntities":
            return {"Entities": entities_of(text)}
        if operation == "TranslateText":
            return {
                "TranslatedText": f"[{body['TargetLanguageCode']}] {text}",
                "SourceLanguageCode": body["SourceLanguageCode"],
                "TargetLanguageCode": body["TargetLanguageCode"],
            }
        raise ValueError(f"the fake does not answer {operation}")

    def _count_frame(self, data: bytes | None) -> None:
        try:
            frame = json.loads(data or b"null")
        except ValueError:
            frame = None
        kind = str(frame.get("type")) if isinstance(frame, dict) else "other"
        with self._lock:
            self.frames[kind] += 1

    def on_send(self, request: Any, **_: Any) -> Any:
        """A ``before-send`` handler: answer without a network, after the operation's latency."""
        from botocore.awsrequest import AWSResponse, HTTPHeaders

        target = request.headers.get("X-Amz-Target")
        if target:
            operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
            body = json.loads(request.body or b"{}")
        elif "/@connections/" in request.url:
            operation, body = "PostToConnection", {}
            connection_id = unquote(request.url.rsplit("/@connections/", 1)[1])
            if connection_id in self.gone:
                headers = HTTPHeaders()
                headers["x-amzn-ErrorType"] = "GoneException"
                return AWSResponse(request.url, 410, headers, _Body(b'{"message":null}'))
            self._count_frame(request.body)
        else:
            raise ValueError(f"the fake does not answer {request.url}")
        delay = self.latency.get(operation)
        if delay:
            time.sleep(delay)
        parsed = self.answer(operation, body)
        data = json.dumps(parsed).encode() if parsed else b""
        return AWSResponse(request.url, 200, HTTPHeaders(), _Body(data))


def entities_of(text: str) -> list[dict[str, Any]]:
    """Capitalised alphabetic words after the first, as Comprehend entities."""
    found = []
    offset = 0
    for index, word in enumerate(text.split()):
        begin = text.find(word, offset)
        offset = begin + len(word)
        if index and word[:1].isupper() and word.isalpha():
            found.append(
                {
                    "Text": word,
                    "Type": "LOCATION",
                    "Score": 0.99,
                    "BeginOffset": begin,
                    "EndOffset": offset,
                }
            )
    return found


def memory_mb() -> int:
    """The function's MemorySize in template.yaml."""
    from localcloud.template import function_spec, load_template, websocket_api

    template = load_template()
    (function,) = set(websocket_api(template).routes.values())  # the chat function, not a hook
    return function_spec(template, function).memory_mb


class Context:
    """The Lambda context parts Powertools reads."""

    function_name = "in-process"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:in-process"
    aws_request_id = "in-process"

    def __init__(self, remaining_ms: int = 25_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        """Plenty (the deadline the runtime computes from it at the invocation's start)."""
        return self.remaining_ms


@dataclass
class Harness:
    """The pieces of one in-process run."""

    app: Any
    runtime: Any
    meter: Any
    dynamodb: Any
    names: dict[str, str]
    fake: FakeLanguageServices
    durations_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    sqs: Any = None  # the delivery queue's client (metered), with delivery_queue=True
    queue_url: str | None = None
    delivery_ms: list[float] = field(default_factory=list)  # delivery function invocations
    # What each invocation's context says is left; a longer one keeps the deadline guards from
    # refusing calls when moto, in process, is slower than the service (e.g. a 10,000-item Query).
    remaining_ms: int = 25_000
    _seq: int = 0

    def invoke(self, connection_id: str, frame: Mapping[str, Any]) -> dict[str, Any]:
        """One MESSAGE event through the real handler, timed; the frame in is metered."""
        from operations.costs.callcount import Call
        from operations.costs.prices import apigateway_messages

        self._seq += 1
        body = json.dumps(frame)
        event: dict[str, Any] = {
            "requestContext": {
                "routeKey": "$default",
                "eventType": "MESSAGE",
                "stage": "prod",
                "apiId": "abc123",
                "requestId": f"req-{self._seq}",
                "connectionId": connection_id,
                "messageId": f"m{self._seq}",
                "connectedAt": 1_763_900_000_000,
                "requestTimeEpoch": 1_763_900_000_000,
                "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                "identity": {"sourceIp": "127.0.0.1"},
            },
            "body": body,
            "isBase64Encoded": False,
        }
        incoming = Call("apigateway", "IncomingFrame")
        incoming.units["apigateway.message"] += apigateway_messages(len(body.encode()))
        with self.meter.lock:
            self.meter.calls.append(incoming)
        started, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):  # the EMF metric lines
            result: dict[str, Any] = self.app.lambda_handler(event, Context(self.remaining_ms))
        self.durations_ms.append((time.perf_counter() - started) * 1000.0)
        self.cpu_ms.append((time.process_time() - cpu) * 1000.0)
        return result

    def seed_connection(self, connection_id: str, lang: str) -> None:
        """A Connections item as a v2 join leaves it, written directly (setup, not measured:
        joining 1,000 readers through the handler would broadcast presence ~500,000 times)."""
        self.dynamodb.put_item(
            TableName=self.names["ConnectionsTable"],
            Item={
                "connectionId": {"S": connection_id},
                "room": {"S": ROOM},
                "lang": {"S": lang},
                "user": {"S": f"u{connection_id}"},
                "v": {"N": "2"},
                "role": {"S": "user"},
                "connectedAt": {"N": "1763900000000"},
                "ttl": {"N": str(int(time.time()) + 3600)},
            },
        )

    def join(self, connection_id: str, lang: str) -> None:
        """init (v2) into the room."""
        self.invoke(
            connection_id,
            {"action": "init", "v": 2, "room": ROOM, "lang": lang, "user": f"u{connection_id}"},
        )

    def reset(self) -> None:
        """Forget calls and timings so far (after the setup)."""
        self.meter.reset()
        self.durations_ms.clear()
        self.cpu_ms.clear()
        self.delivery_ms.clear()
        self.fake.frames.clear()

    def deliver_queued(self, peek: Any, limit: int | None = None) -> int:
        """Play Lambda's SQS event source (BatchSize 1) until the queue is empty, or for
        ``limit`` invocations; return the delivery function's invocations.

        Per shard: one ReceiveMessage of one message, one invocation of
        ``positive_chat.delivery_app.lambda_handler`` (timed into ``delivery_ms``), and one
        DeleteMessage when the record is not reported failed, all through the metered client, as
        Lambda's pollers bill them to the queue's owner. ``peek`` is an unmetered SQS client:
        whether shards are left is asked through it (the pollers' empty receives are not part of a
        message's cost; the report prices them apart).
        """
        from positive_chat import delivery_app

        invocations = 0
        while (limit is None or invocations < limit) and _visible(peek, self.queue_url) > 0:
            got = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=1, AttributeNames=["All"]
            )
            for message in got.get("Messages", []):
                record = {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "eventSource": "aws:sqs",
                }
                started = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    answer = delivery_app.lambda_handler(
                        {"Records": [record]}, Context(self.remaining_ms)
                    )
                self.delivery_ms.append((time.perf_counter() - started) * 1000.0)
                invocations += 1
                if not answer.get("batchItemFailures"):
                    self.sqs.delete_message(
                        QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
        return invocations


def _visible(sqs: Any, url: str | None) -> int:
    """Messages waiting in the queue (visible and in flight)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(got.get(name, 0)) for name in names)


LEVERS = ("off", "cache", "detector", "all")


@contextlib.contextmanager
def handler_in_process(
    language_of: Mapping[str, str],
    levers: str = "all",
    *,
    latency_ms: Mapping[str, float] | None = None,
    fanout_workers: int = 32,
    delivery_queue: bool = False,
    gone: frozenset[str] = frozenset(),
) -> Iterator[Harness]:
    """moto tables, fake services, a Meter, the real handler with ``levers`` on; with
    ``delivery_queue``, the fan-out's FIFO queue too (moto SQS, metered)."""
    if levers not in LEVERS:
        raise ValueError(f"levers must be one of {', '.join(LEVERS)}, got {levers!r}")
    in_process_environment()
    import boto3
    from localcloud.dynamodb.speedups import install_speedups
    from localcloud.template import load_template, table_specs
    from moto import mock_aws
    from moto.core.models import botocore_stubber
    from positive_chat import app
    from positive_chat.config import Settings
    from positive_chat.levers import CostLevers

    from operations.costs.callcount import Meter

    install_speedups()  # moto, exact, with an indexed Query and a direct item encoder
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        names = {}
        for logical_id, spec in table_specs(load_template()).items():
            names[logical_id] = f"bench-{logical_id}"
            spec.create(dynamodb, names[logical_id])
        fake = FakeLanguageServices(language_of, latency_ms=latency_ms, gone=gone)
        comprehend = boto3.client("comprehend", region_name=REGION)
        translate = boto3.client("translate", region_name=REGION)
        management = boto3.client(
            "apigatewaymanagementapi", region_name=REGION, endpoint_url=ENDPOINT
        )
        for client, service in (
            (comprehend, "comprehend"),
            (translate, "translate"),
            (management, "apigatewaymanagementapi"),
        ):
            # These three are answered by the fake, never by moto.
            client.meta.events.unregister("before-send", cast(Any, botocore_stubber))
            client.meta.events.register(f"before-send.{service}", fake.on_send)
        meter = Meter(gsi_tables=[names["ConnectionsTable"], names["TopicsTable"]])
        metered: list[tuple[Any, str]] = [
            (dynamodb, "dynamodb"),
            (comprehend, "comprehend"),
            (translate, "translate"),
            (management, "apigatewaymanagementapi"),
        ]
        sqs, queue_url = None, None
        if delivery_queue:
            sqs = boto3.client("sqs", region_name=REGION)
            queue_url = sqs.create_queue(
                QueueName="bench-delivery.fifo",
                Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
            )["QueueUrl"]
            metered.append((sqs, "sqs"))
        for client, service in metered:
            meter.attach(client, service)
        settings = Settings(
            connections_table=names["ConnectionsTable"],
            messages_table=names["MessagesTable"],
            topics_table=names["TopicsTable"],
            idempotency_table=names["IdempotencyTable"],
            region=REGION,
            fanout_workers=fanout_workers,
            delivery_queue_url=queue_url,
        )
        cache = {"cache_table": names["CacheTable"], "cache_memory_entries": 4096}
        choice = {
            "off": CostLevers(),
            "cache": CostLevers(**cache),  # type: ignore[arg-type]
            "detector": CostLevers(offline_detector=True),
            "all": CostLevers(**cache, offline_detector=True),  # type: ignore[arg-type]
        }[levers]
        runtime = app.Runtime(
            settings=settings,
            clients=app.Clients(
                dynamodb=dynamodb,
                comprehend=comprehend,
                translate=translate,
                management_api=lambda _endpoint: management,
                sqs=sqs,
            ),
            levers=choice,
        )
        if runtime.language.detector is not None:
            runtime.language.detector.load()
        app.install_runtime(runtime)
        try:
            yield Harness(app, runtime, meter, dynamodb, names, fake, sqs=sqs, queue_url=queue_url)
        finally:
            app.install_runtime(None)
            runtime.fanout_pool.shutdown()
            runtime.translate_pool.shutdown()
