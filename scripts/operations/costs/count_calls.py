"""Count the AWS calls Positive Chat makes per operation, beside the 2019 original's.

This script owns the "AWS calls per operation" table of BENCHMARKS.md. It runs the real Lambda
handler (``positive_chat.app.lambda_handler``) in process: DynamoDB is moto (tables from
template.yaml), and Comprehend, Translate and @connections answer from a botocore ``before-send``
hook with canned, correctly shaped responses (no network). Every API call is counted with a
``before-parameter-build`` hook, i.e. once per boto3 call (botocore retries would not add to it).

The scenario (DESIGN.md §7): a room of 10 readers in 3 languages (4 en, 3 fr, 3 de), all v2, with
50 English messages of history already translated into fr and de.

The original is not modelled: its own ``app.js`` (``../shared/original-client/``, used from there,
never copied) runs unmodified under node against a counting fake of the AWS SDK
(``scripts/original/``) on the same work, once on a warm container (one container served the room
so far, so its per-container translation cache holds what it translated before) and once with a
fresh container for each counted operation.

    .venv/bin/chat-count-calls            # prints the markdown table
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from operations.inprocess import in_process_environment

in_process_environment()

import boto3  # noqa: E402
from botocore.awsrequest import AWSResponse, HTTPHeaders  # noqa: E402
from localcloud.template import load_template, table_specs  # noqa: E402
from moto import mock_aws  # noqa: E402
from positive_chat import app  # noqa: E402
from positive_chat.config import Settings  # noqa: E402

__all__ = ["Scenario", "main", "original_steps", "run_original"]

REGION = "us-east-1"
ROOM = "lobby"
READERS = [
    ("r00", "en"),
    ("r01", "en"),
    ("r02", "en"),
    ("r03", "en"),
    ("r04", "fr"),
    ("r05", "fr"),
    ("r06", "fr"),
    ("r07", "de"),
    ("r08", "de"),
    ("r09", "de"),
]
HISTORY = 50
ACCEPTED = "We are planning a trip to Paris next spring, so exciting!"
REJECTED = "I hate this stupid room and everyone in it"

ROOT = Path(__file__).resolve().parents[3]  # the repository (an editable install)
# The original's own code, run under node with a counting fake SDK (scripts/original/).
ORIGINAL_APP = ROOT.parent / "shared" / "original-client" / "app.js"
ORIGINAL_RUNNER = ROOT / "scripts" / "original" / "count.js"
# The original's containers: "warm" = one container served every event so far (its translation
# cache kept what it translated for earlier messages); "fresh" = a new container for the operation.
CONTAINERS = ("warm", "fresh")


def _original_event(connection_id: str, event_type: str, frame: dict[str, Any] | None) -> Any:
    event: dict[str, Any] = {
        "requestContext": {
            "eventType": event_type,
            "connectionId": connection_id,
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "stage": "prod",
        }
    }
    if frame is not None:
        event["body"] = json.dumps(frame)
    return event


def original_steps(container: str) -> list[dict[str, Any]]:
    """The same work as ours, in the original's protocol (v1), for ``node count.js``.

    Setup, not counted: the 10 readers join, then one English reader sends the 50 history
    messages, all through the original's handler (so its cache holds their fr and de
    translations, as it would on a container that has served this room).
    """

    def message(who: str, content: str) -> Any:
        return _original_event(
            who, "MESSAGE", {"action": "message", "user": who, "content": content}
        )

    def init(who: str, lang: str) -> Any:
        return _original_event(who, "MESSAGE", {"action": "init", "room": ROOM, "lang": lang})

    fresh = container == "fresh"
    setup = [init(who, lang) for who, lang in READERS]
    setup += [message("r00", f"History message number {n}") for n in range(HISTORY)]
    return [
        {"name": "setup", "fresh": False, "events": setup},
        {"name": "accepted message", "fresh": fresh, "events": [message("r00", ACCEPTED)]},
        {"name": "rejected message", "fresh": fresh, "events": [message("r01", REJECTED)]},
        {
            "name": "join (history translated before)",
            "fresh": fresh,
            "events": [init("new1", "fr")],
        },
        {"name": "leave", "fresh": False, "events": [_original_event("new1", "DISCONNECT", None)]},
        {
            "name": "join (first reader of a new language)",
            "fresh": fresh,
            "events": [init("new2", "ja")],
        },
    ]


def run_original(container: str, app_js: Path = ORIGINAL_APP) -> dict[str, Any]:
    """Run the original's app.js under node on :func:`original_steps`: calls and posts per step."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("count_calls: node (Node.js) is needed to run the original's app.js")
    if not app_js.is_file():
        raise SystemExit(f"count_calls: the original's app.js is not at {app_js}")
    done = subprocess.run(
        [node, str(ORIGINAL_RUNNER), str(app_js)],
        input=json.dumps(original_steps(container)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"count_calls: the original's run failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _fake_language_services(model: Any, params: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
    """Comprehend/Translate/@connections answers, shaped as the real services answer.

    A ``before-call`` handler that returns (http response, parsed response) short-circuits the
    request, exactly like botocore's Stubber; moto never sees these calls.
    """
    http = AWSResponse(params.get("url", ""), 200, HTTPHeaders(), None)
    operation = model.name
    if operation == "PostToConnection":
        return http, {"ResponseMetadata": {"HTTPStatusCode": 200}}
    body = json.loads(params.get("body") or b"{}")
    if operation == "DetectDominantLanguage":
        return http, {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}
    if operation == "DetectSentiment":
        label = "NEGATIVE" if "hate" in body["Text"] else "POSITIVE"
        scores = {"Positive": 0.9, "Negative": 0.05, "Neutral": 0.04, "Mixed": 0.01}
        return http, {"Sentiment": label, "SentimentScore": scores}
    if operation == "DetectEntities":
        text = body["Text"]
        begin = text.find("Paris")
        entities = (
            [
                {
                    "Text": "Paris",
                    "Type": "LOCATION",
                    "Score": 0.99,
                    "BeginOffset": begin,
                    "EndOffset": begin + 5,
                }
            ]
            if begin >= 0
            else []
        )
        return http, {"Entities": entities}
    if operation == "TranslateText":
        return http, {
            "TranslatedText": f"[{body['TargetLanguageCode']}] {body['Text']}",
            "SourceLanguageCode": body["SourceLanguageCode"],
            "TargetLanguageCode": body["TargetLanguageCode"],
        }
    raise ValueError(f"unexpected call {operation}")


class Scenario:
    """The room, the counting hooks and the handler."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        # Answered by the fake before-call hook; moto only ever sees DynamoDB requests.
        self.comprehend = boto3.client("comprehend", region_name=REGION)
        self.translate = boto3.client("translate", region_name=REGION)
        self.management = boto3.client(
            "apigatewaymanagementapi",
            region_name=REGION,
            endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        )
        for client in (self.comprehend, self.translate, self.management):
            client.meta.events.register("before-call", _fake_language_services)  # type: ignore[arg-type]

    def count(self, client: Any, service: str) -> None:
        """Count every API call of ``client`` under ``service``."""

        def hook(model: Any, **_: Any) -> None:
            self.calls[f"{service}:{model.name}"] += 1

        client.meta.events.register("before-parameter-build", hook)

    def run(self) -> dict[str, Counter[str]]:
        """Run each operation and return its calls by service:operation."""
        results: dict[str, Counter[str]] = {}
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            names = {}
            for logical_id, spec in table_specs(load_template()).items():
                names[logical_id] = f"count-{logical_id}"
                spec.create(dynamodb, names[logical_id])
            for client, service in (
                (dynamodb, "dynamodb"),
                (self.comprehend, "comprehend"),
                (self.translate, "translate"),
                (self.management, "apigatewaymanagementapi"),
            ):
                self.count(client, service)
            settings = Settings(
                connections_table=names["ConnectionsTable"],
                messages_table=names["MessagesTable"],
                topics_table=names["TopicsTable"],
                idempotency_table=names["IdempotencyTable"],
                region=REGION,
            )
            runtime = app.Runtime(
                settings=settings,
                clients=app.Clients(
                    dynamodb=dynamodb,
                    comprehend=self.comprehend,
                    translate=self.translate,
                    management_api=lambda _endpoint: self.management,
                ),
            )
            app.install_runtime(runtime)
            self._seed(dynamodb, names)
            invoke = self._invoker()
            results["accepted message"] = self._measure(
                lambda: invoke("r00", {"action": "message", "content": ACCEPTED, "id": "a1"})
            )
            results["rejected message"] = self._measure(
                lambda: invoke("r01", {"action": "message", "content": REJECTED, "id": "b1"})
            )
            results["join (history translated before)"] = self._measure(
                lambda: invoke(
                    "new1",
                    {"action": "init", "v": 2, "room": ROOM, "lang": "fr", "user": "Newcomer"},
                )
            )
            invoke("new1", {"action": "leave"})
            results["join (first reader of a new language)"] = self._measure(
                lambda: invoke(
                    "new2", {"action": "init", "v": 2, "room": ROOM, "lang": "ja", "user": "Nao"}
                )
            )
            runtime.fanout_pool.shutdown()
            runtime.translate_pool.shutdown()
            app.install_runtime(None)
        return results

    def _measure(self, operation: Callable[[], Any]) -> Counter[str]:
        self.calls.clear()
        operation()
        return Counter(self.calls)

    def _invoker(self) -> Callable[[str, dict[str, Any]], Any]:
        template = {
            "requestContext": {
                "routeKey": "$default",
                "eventType": "MESSAGE",
                "stage": "prod",
                "apiId": "abc123",
                "requestId": "count",
                "connectionId": "",
            },
            "isBase64Encoded": False,
        }

        class Context:
            function_name = "count"
            memory_limit_in_mb = 512
            invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:count"
            aws_request_id = "count"

            def get_remaining_time_in_millis(self) -> int:
                return 25_000

        def invoke(connection_id: str, frame: dict[str, Any]) -> Any:
            event = json.loads(json.dumps(template))
            event["requestContext"]["connectionId"] = connection_id
            event["body"] = json.dumps(frame)
            return app.lambda_handler(event, Context())

        return invoke

    def _seed(self, dynamodb: Any, names: dict[str, str]) -> None:
        for connection_id, lang in READERS:
            dynamodb.put_item(
                TableName=names["ConnectionsTable"],
                Item={
                    "connectionId": {"S": connection_id},
                    "room": {"S": ROOM},
                    "lang": {"S": lang},
                    "user": {"S": f"user-{connection_id}"},
                    "v": {"N": "2"},
                    "role": {"S": "user"},
                    "connectedAt": {"N": "1763900000000"},
                    "ttl": {"N": "1763908100"},
                },
            )
        for n in range(HISTORY):
            content = f"History message number {n}"
            dynamodb.put_item(
                TableName=names["MessagesTable"],
                Item={
                    "room": {"S": ROOM},
                    "msgId": {"S": f"{1_763_000_000_000 + n:014d}-ABCDEFGHJK"},
                    "user": {"S": "Old"},
                    "lang": {"S": "en"},
                    "content": {"S": content},
                    "createdAt": {"N": str(1_763_000_000_000 + n)},
                    "status": {"S": "published"},
                    "sentiment": {"S": "POSITIVE"},
                    "topics": {"M": {}},
                    "roomTopics": {"L": []},
                    "translations": {
                        "M": {"fr": {"S": f"[fr] {content}"}, "de": {"S": f"[de] {content}"}}
                    },
                },
            )


def _by_service(calls: Counter[str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key, n in calls.items():
        service = key.split(":", 1)[0]
        totals[service] = totals.get(service, 0) + n
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Print the BENCHMARKS.md table and each operation's detail."""
    parser = argparse.ArgumentParser(prog="chat-count-calls", description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    results = Scenario().run()
    original = {c: run_original(c)["steps"] for c in CONTAINERS}
    services = ["comprehend", "translate", "dynamodb", "apigatewaymanagementapi"]
    print("| operation | service | ours | original, warm container | original, fresh container |")
    print("|---|---|---:|---:|---:|")
    for operation, calls in results.items():
        ours = _by_service(calls)
        theirs = {c: _by_service(Counter(original[c][operation])) for c in CONTAINERS}
        for service in services:
            cells = " | ".join(str(theirs[c].get(service, 0)) for c in CONTAINERS)
            print(f"| {operation} | {service} | {ours.get(service, 0)} | {cells} |")
        totals = " | ".join(f"**{sum(theirs[c].values())}**" for c in CONTAINERS)
        print(f"| {operation} | **total** | **{sum(ours.values())}** | {totals} |")
    print()
    for operation, calls in results.items():
        print(f"- {operation}, ours: {_detail(calls)}")
        for container in CONTAINERS:
            detail = _detail(Counter(original[container][operation]))
            print(f"  - original, {container} container: {detail}")
    return 0


def _detail(calls: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))


if __name__ == "__main__":
    sys.exit(main())
