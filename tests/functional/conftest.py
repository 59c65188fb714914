"""Functional-test harness: the real handler, real-shaped events, moto DynamoDB, stubbed services.

DynamoDB runs under moto's ``mock_aws`` with tables created from template.yaml (one source of
truth for keys and indexes). Comprehend, Translate and @connections are boto3 clients with
``botocore.stub.Stubber``: each test says exactly which requests it expects, in order, and the
harness records every attempted call so an unexpected one fails the test. Pools run one worker so
the order of stubbed calls is deterministic (concurrency is covered by the unit tests).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

# Set before positive_chat.app is imported (module-level Logger/Metrics/Tracer read them).
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "positive-chat")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "PositiveChat")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from localcloud.template import load_template, table_specs
from positive_chat import app
from positive_chat.adapters.resilience import ResiliencePolicy
from positive_chat.config import Settings

EVENTS = Path(__file__).resolve().parents[1] / "events"
REGION = "us-east-1"
TABLES = {
    "ConnectionsTable": "test-connections",
    "MessagesTable": "test-messages",
    "TopicsTable": "test-topics",
    "IdempotencyTable": "test-idempotency",
    "ModerationTable": "test-moderation",
    "CacheTable": "test-cache",
}


@dataclass
class FakeLambdaContext:
    """The parts of the Lambda context Powertools reads."""

    function_name: str = "positive-chat-ChatFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:positive-chat-ChatFunction"
    )
    aws_request_id: str = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

    def get_remaining_time_in_millis(self) -> int:
        """Plenty of time left."""
        return 25_000


class StepClock:
    """Epoch ms that advance by one per reading, so ids and history order are deterministic."""

    def __init__(self, start: int = 1_763_900_000_000) -> None:
        self.now = start

    def now_ms(self) -> int:
        """The next millisecond."""
        self.now += 1
        return self.now


@dataclass
class Harness:
    """Drives the handler and owns the stubs; see the module docstring."""

    runtime: app.Runtime
    dynamodb: Any
    comprehend: Stubber
    translate: Stubber
    connections: Stubber
    calls: list[tuple[str, str]] = field(default_factory=list)
    posts: list[tuple[str, Any]] = field(default_factory=list)
    endpoints: list[str | None] = field(default_factory=list)

    # Events ---------------------------------------------------------------------------------

    def event(self, name: str, connection_id: str, **overrides: Any) -> dict[str, Any]:
        """A copy of tests/events/<name>.json for ``connection_id``."""
        event = copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text("utf-8")))
        event["requestContext"]["connectionId"] = connection_id
        event.update(overrides)
        return event

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the real Lambda handler."""
        return app.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]

    def connect(self, connection_id: str) -> dict[str, Any]:
        """$connect."""
        return self.invoke(self.event("connect", connection_id))

    def disconnect(self, connection_id: str) -> dict[str, Any]:
        """$disconnect."""
        return self.invoke(self.event("disconnect", connection_id))

    def send(self, connection_id: str, frame: Any) -> dict[str, Any]:
        """A frame from the client (dicts are JSON-encoded, strings sent as they are)."""
        body = frame if isinstance(frame, str) else json.dumps(frame)
        event = self.event("message", connection_id, body=body)
        # API Gateway stamps each frame as it receives it (message ids are ordered by it).
        event["requestContext"]["requestTimeEpoch"] = self.runtime.clock.now_ms()
        return self.invoke(event)

    # Expectations ---------------------------------------------------------------------------

    def expect_posts(self, *connection_ids: str) -> None:
        """PostToConnection succeeds for each id, in this order."""
        for connection_id in connection_ids:
            self.connections.add_response(
                "post_to_connection", {}, {"ConnectionId": connection_id, "Data": ANY}
            )

    def expect_post_error(self, connection_id: str, code: str, status: int) -> None:
        """PostToConnection fails for ``connection_id`` (e.g. GoneException, 410)."""
        self.connections.add_client_error(
            "post_to_connection",
            service_error_code=code,
            service_message=code,
            http_status_code=status,
            expected_params={"ConnectionId": connection_id, "Data": ANY},
        )

    def expect_language(self, text: str, code: str, score: float = 0.99) -> None:
        """DetectDominantLanguage answers ``code``."""
        self.comprehend.add_response(
            "detect_dominant_language",
            {"Languages": [{"LanguageCode": code, "Score": score}]},
            {"Text": text},
        )

    def expect_sentiment(self, text: str, lang: str, label: str) -> None:
        """DetectSentiment answers ``label``."""
        scores = {"Positive": 0.01, "Negative": 0.01, "Neutral": 0.01, "Mixed": 0.01}
        scores[label.capitalize()] = 0.97
        self.comprehend.add_response(
            "detect_sentiment",
            {"Sentiment": label, "SentimentScore": scores},
            {"Text": text, "LanguageCode": lang},
        )

    def expect_entities(self, text: str, lang: str, entities: list[str]) -> None:
        """DetectEntities finds ``entities``."""
        found = []
        for name in entities:
            begin = text.find(name)
            found.append(
                {
                    "Score": 0.98,
                    "Type": "OTHER",
                    "Text": name,
                    "BeginOffset": begin,
                    "EndOffset": begin + len(name),
                }
            )
        self.comprehend.add_response(
            "detect_entities", {"Entities": found}, {"Text": text, "LanguageCode": lang}
        )

    def expect_comprehend_error(self, operation: str, code: str = "ThrottlingException") -> None:
        """A Comprehend call fails (what botocore raises once its retries are spent)."""
        self.comprehend.add_client_error(
            operation,
            service_error_code=code,
            service_message="Rate exceeded",
            http_status_code=400,
        )

    def expect_translation(self, text: str, source: str, target: str, result: str) -> None:
        """TranslateText answers ``result``."""
        self.translate.add_response(
            "translate_text",
            {"TranslatedText": result, "SourceLanguageCode": source, "TargetLanguageCode": target},
            {"Text": text, "SourceLanguageCode": source, "TargetLanguageCode": target},
        )

    def expect_translation_error(
        self, text: str, source: str, target: str, code: str = "UnsupportedLanguagePairException"
    ) -> None:
        """TranslateText fails."""
        self.translate.add_client_error(
            "translate_text",
            service_error_code=code,
            service_message=f"Unsupported language pair: {source} to {target}",
            http_status_code=400,
            expected_params={
                "Text": text,
                "SourceLanguageCode": source,
                "TargetLanguageCode": target,
            },
        )

    # Observations ---------------------------------------------------------------------------

    def frames(self, connection_id: str | None = None) -> list[Any]:
        """Frames posted so far (to one connection, or all as (id, frame)); then forgets them."""
        if connection_id is None:
            taken = [(cid, json.loads(data)) for cid, data in self.posts]
            self.posts.clear()
            return taken
        taken = [json.loads(data) for cid, data in self.posts if cid == connection_id]
        self.posts[:] = [(cid, data) for cid, data in self.posts if cid != connection_id]
        return taken

    def raw(self, connection_id: str) -> list[bytes]:
        """The exact bytes posted to ``connection_id`` (not forgotten)."""
        return [data for cid, data in self.posts if cid == connection_id]

    def operations(self, service: str) -> list[str]:
        """Every operation attempted on ``service`` so far."""
        return [op for svc, op in self.calls if svc == service]

    def connection_item(self, connection_id: str) -> dict[str, Any] | None:
        """The raw Connections item."""
        response = self.dynamodb.get_item(
            TableName=TABLES["ConnectionsTable"], Key={"connectionId": {"S": connection_id}}
        )
        return response.get("Item")

    def message_items(self, room: str) -> list[dict[str, Any]]:
        """Every raw Messages item of ``room``, oldest first."""
        response = self.dynamodb.query(
            TableName=TABLES["MessagesTable"],
            KeyConditionExpression="room = :r",
            ExpressionAttributeValues={":r": {"S": room}},
        )
        return list(response["Items"])

    def seed_connection(
        self, connection_id: str, room: str, lang: str, user: str | None, version: int = 2
    ) -> None:
        """A Connections item as an earlier init would have written it."""
        item = {
            "connectionId": {"S": connection_id},
            "room": {"S": room},
            "lang": {"S": lang},
            "v": {"N": str(version)},
            "role": {"S": "user"},
            "connectedAt": {"N": "1763899000000"},
            "ttl": {"N": "1763907100"},
        }
        if user is not None:
            item["user"] = {"S": user}
        self.dynamodb.put_item(TableName=TABLES["ConnectionsTable"], Item=item)

    def join(
        self, connection_id: str, room: str, lang: str, user: str | None = None, **extra: Any
    ) -> None:
        """Join with no one else in the room and an empty history, forgetting the answer."""
        frame: dict[str, Any] = {"action": "init", "room": room, "lang": lang, **extra}
        if user is not None:
            frame.update({"v": 2, "user": user})
            self.expect_posts(*[connection_id] * 4)
        else:
            self.expect_posts(connection_id)
        self.send(connection_id, frame)
        self.frames(connection_id)


def emitted_metrics(output: str) -> dict[str, float]:
    """Sum of every EMF metric value printed on stdout."""
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                values = value if isinstance(value, list) else [value]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(values)
    return totals


def pytest_configure(config: pytest.Config) -> None:
    """Invocations that count nothing are normal here (connect, ping, errors)."""
    config.addinivalue_line(
        "filterwarnings", "ignore:No application metrics to publish:UserWarning"
    )


@dataclass
class Backend:
    """moto DynamoDB with the template's tables, and the boto3 clients of one test module."""

    dynamodb: Any
    comprehend: Any
    translate: Any
    management: Any

    def truncate(self) -> None:
        """Empty every table (cheaper than creating the tables again for each test)."""
        for logical_id, table in TABLES.items():
            keys = [k["AttributeName"] for k in self.specs[logical_id].key_schema]
            for page in self.dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    self.dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})

    specs: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    """Fake credentials, no endpoint overrides, moto active, tables built from template.yaml."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        for name in list(os.environ):
            if name.startswith("AWS_ENDPOINT_URL"):
                patch.delenv(name)
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            specs = table_specs(load_template())
            for logical_id, spec in specs.items():
                spec.create(dynamodb, TABLES[logical_id])
            yield Backend(
                dynamodb=dynamodb,
                comprehend=boto3.client("comprehend", region_name=REGION),
                translate=boto3.client("translate", region_name=REGION),
                management=boto3.client(
                    "apigatewaymanagementapi",
                    region_name=REGION,
                    endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod",
                ),
                specs=specs,
            )


@pytest.fixture
def settings() -> Settings:
    """Test settings: template tables, one worker per pool."""
    return Settings(
        connections_table=TABLES["ConnectionsTable"],
        messages_table=TABLES["MessagesTable"],
        topics_table=TABLES["TopicsTable"],
        idempotency_table=TABLES["IdempotencyTable"],
        region=REGION,
        fanout_workers=1,
        translate_workers=1,
    )


@pytest.fixture
def harness(backend: Backend, settings: Settings) -> Iterator[Harness]:
    """The handler wired to moto DynamoDB and stubbed Comprehend/Translate/@connections."""
    backend.truncate()
    endpoints: list[str | None] = []

    def management_api(endpoint: str | None) -> Any:
        endpoints.append(endpoint)
        return backend.management

    harness = Harness(
        runtime=app.Runtime(
            settings=settings,
            clients=app.Clients(
                dynamodb=backend.dynamodb,
                comprehend=backend.comprehend,
                translate=backend.translate,
                management_api=management_api,
            ),
            clock=StepClock(),
            # The Stubber answers as botocore would once its retries are spent: no retries here
            # (the fault tests run the production retries; tests/functional/test_faults.py).
            resilience=ResiliencePolicy.single_attempt(),
        ),
        dynamodb=backend.dynamodb,
        comprehend=Stubber(backend.comprehend),
        translate=Stubber(backend.translate),
        connections=Stubber(backend.management),
        endpoints=endpoints,
    )

    def record(service: str) -> Any:
        def hook(model: Any, params: Any, **_: Any) -> None:
            harness.calls.append((service, model.name))
            if model.name == "PostToConnection":
                harness.posts.append((params["ConnectionId"], params["Data"]))

        return hook

    hooks = (
        ("comprehend", backend.comprehend),
        ("translate", backend.translate),
        ("apigatewaymanagementapi", backend.management),
    )
    for service, client in hooks:
        # Registered before the Stubber activates, so every attempted call is seen.
        client.meta.events.register(
            f"before-parameter-build.{service}", record(service), unique_id="test-recorder"
        )
    stubs = (harness.comprehend, harness.translate, harness.connections)
    for stub in stubs:
        stub.activate()
    app.install_runtime(harness.runtime)
    app.metrics.clear_metrics()
    try:
        yield harness
        for stub in stubs:
            stub.assert_no_pending_responses()
    finally:
        for stub in stubs:
            stub.deactivate()
        for service, client in hooks:
            client.meta.events.unregister(
                f"before-parameter-build.{service}", unique_id="test-recorder"
            )
        app.install_runtime(None)
        app.metrics.clear_metrics()
        harness.runtime.fanout_pool.shutdown(wait=True)
        harness.runtime.translate_pool.shutdown(wait=True)
