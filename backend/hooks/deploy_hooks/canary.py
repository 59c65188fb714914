"""The PreTraffic canary: the new version, invoked directly, runs a chat in a room of its own.

The synthetic connection is no real socket: every PostToConnection the function makes to it is
answered 410 Gone by API Gateway (and by the local cloud's gateway). The checks therefore read
what the function returns and what it recorded, and each is chosen so that only a working
version passes it:

1. ``$connect`` answers ``statusCode`` 200.
2. A joined connection (written as the function writes one: it stands for a socket that sent
   ``init``) posts a benign message: 200; the message is stored ``published``; and the
   connection is gone afterwards, which the function does only when its fan-out's
   PostToConnection got 410 (a refused or failing post leaves it), so the @connections path and
   its permission work.
3. It posts a hostile message: 200; stored ``rejected`` for ``NEGATIVE`` (Comprehend, or the
   local stand-in, judged it).
4. ``init`` in Spanish: 200; the room's history was translated on the way (the published message
   now holds its Spanish translation: Translate works, and DynamoDB writes do); the joiner, gone,
   was forgotten.
5. ``$disconnect``: 200, and the connection's item is deleted.

Before all this, the hook posts to its synthetic connection id itself (PostToConnection, the
one action it may take on @connections) and expects 410: the checks above rely on API Gateway
answering so for an id that is not connected. Any other answer, an error of the function
(``FunctionError``), or running out of time fails the check. Whatever happens, everything the
canary created is deleted afterwards: the room's messages and topic counters, and the
connection. The room is ``canary.<random>``: no person is in it, and its name says what it is.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from .lifecycle import Budget, HookFailure

__all__ = ["BENIGN", "HOSTILE", "Canary", "CanaryConfig", "synthetic_event"]

logger = logging.getLogger("deploy_hooks.canary")

BENIGN = "Deployment check: thank you all, have a wonderful day together!"
HOSTILE = "Deployment check: I hate you all, you are stupid and this is awful."
USER = "DeployCheck"
_STEP_MIN_S = 2.0  # an invocation is not started with less time than this left
_THROTTLE_RETRIES = 3
_DESERIALIZER = TypeDeserializer()


@dataclass(frozen=True)
class CanaryConfig:
    """What the canary needs to know about the stack (template.yaml sets these variables)."""

    function: str  # the new version's ARN
    api_id: str
    stage: str
    region: str
    connections_table: str
    messages_table: str
    topics_table: str
    # The @connections endpoint, when not API Gateway's own (the local cloud's).
    connections_endpoint: str | None = None

    @property
    def management_endpoint(self) -> str:
        """Where PostToConnection goes for this stage (as the chat function computes it)."""
        return self.connections_endpoint or (
            f"https://{self.api_id}.execute-api.{self.region}.amazonaws.com/{self.stage}"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CanaryConfig:
        """Read NEW_VERSION, WEBSOCKET_API_ID, STAGE_NAME, AWS_REGION and the table names."""
        names = {
            "function": "NEW_VERSION",
            "api_id": "WEBSOCKET_API_ID",
            "stage": "STAGE_NAME",
            "region": "AWS_REGION",
            "connections_table": "CONNECTIONS_TABLE",
            "messages_table": "MESSAGES_TABLE",
            "topics_table": "TOPICS_TABLE",
        }
        missing = [var for var in names.values() if not env.get(var)]
        if missing:
            raise HookFailure(f"the hook is not configured: {', '.join(missing)} unset")
        return cls(
            **{field: env[var] for field, var in names.items()},
            connections_endpoint=env.get("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI") or None,
        )


def _new_id() -> str:
    return base64.b64encode(os.urandom(11)).decode("ascii")  # API Gateway's id shape


def synthetic_event(
    config: CanaryConfig,
    connection_id: str,
    event_type: str,
    *,
    body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway WebSocket proxy event (CONNECT, MESSAGE or DISCONNECT) for this stage."""
    now_ms = time.time_ns() // 1_000_000
    route = {"CONNECT": "$connect", "DISCONNECT": "$disconnect"}.get(event_type, "$default")
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": _new_id(),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "messageDirection": "IN",
        "stage": config.stage,
        "connectedAt": now_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"userAgent": "positive-chat-pretraffic", "sourceIp": "192.0.2.1"},
        "requestId": _new_id(),
        "domainName": f"{config.api_id}.execute-api.{config.region}.amazonaws.com",
        "connectionId": connection_id,
        "apiId": config.api_id,
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if event_type == "CONNECT":
        event["queryStringParameters"] = {"v": "2"}
        event["multiValueQueryStringParameters"] = {"v": ["2"]}
        event["headers"] = {"Host": context["domainName"], "User-Agent": "positive-chat-pretraffic"}
    elif event_type == "DISCONNECT":
        context["disconnectStatusCode"] = 1000
        context["disconnectReason"] = ""
    else:
        context["messageId"] = _new_id()
        event["body"] = json.dumps(body or {})
    return event


class Canary:
    """One run of the checks against one version; ``run`` returns what passed."""

    def __init__(self, config: CanaryConfig, lambda_client: Callable[[], Any], dynamodb: Any,
                 connections: Any, budget: Budget, *, passed: list[str] | None = None,
                 sleep: Any = time.sleep) -> None:
        """``lambda_client`` makes a Lambda client for one invocation (timeouts set then)."""
        self.config = config
        self._lambda = lambda_client
        self._dynamodb = dynamodb
        self._connections = connections
        self._budget = budget
        self._sleep = sleep
        self.room = f"canary.{uuid.uuid4().hex[:12]}"
        self.connection_id = _new_id()
        self.passed: list[str] = passed if passed is not None else []

    def run(self) -> list[str]:
        """Every check in order (HookFailure on the first that fails), then the cleanup."""
        try:
            self._checks()
        finally:
            if self._budget.left() > 0:
                self.cleanup()
            else:  # the report comes first: CodeDeploy must hear the outcome
                logger.error("no time left to clean up %s and connection %s", self.room,
                             self.connection_id)
        return self.passed

    def _checks(self) -> None:
        self._expect_gone()
        self._expect_ok("$connect", synthetic_event(self.config, self.connection_id, "CONNECT"))
        self._pass("$connect answered 200")

        self._seed_connection()
        self._post(BENIGN)
        benign = self._stored(BENIGN)
        _expect(benign.get("status") == "published",
                f"the benign message was stored {benign.get('status')!r} "
                f"({benign.get('flagReason')}), not 'published'")
        _expect(self._connection() is None,
                "the fan-out did not prune the synthetic connection after its 410: "
                "@connections failed otherwise (permission? endpoint?)")
        self._pass("benign message published, delivered through @connections (410 pruned)")

        self._seed_connection()
        self._post(HOSTILE)
        hostile = self._stored(HOSTILE)
        _expect(hostile.get("status") == "rejected" and hostile.get("flagReason") == "NEGATIVE",
                f"the hostile message was stored {hostile.get('status')!r} "
                f"({hostile.get('flagReason')}), not 'rejected' (NEGATIVE)")
        self._pass("hostile message refused (rejected, NEGATIVE)")

        self._message("init", {"action": "init", "v": 2, "room": self.room, "user": USER,
                               "lang": "es"})
        translations = self._stored(BENIGN).get("translations") or {}
        _expect(bool(translations.get("es")),
                "init in Spanish did not translate the room's history (no 'es' translation saved)")
        _expect(self._connection() is None, "the joiner's 410 did not delete its connection")
        self._pass("init answered with history translated into Spanish")

        self._seed_connection()
        self._expect_ok("$disconnect",
                        synthetic_event(self.config, self.connection_id, "DISCONNECT"))
        _expect(self._connection() is None, "$disconnect did not delete the connection")
        self._pass("$disconnect forgot the connection")

    def _expect_gone(self) -> None:
        """API Gateway must answer 410 for the synthetic id (as for a client that left)."""
        try:
            self._connections.post_to_connection(ConnectionId=self.connection_id, Data=b"{}")
        except self._connections.exceptions.GoneException:
            return
        except ClientError as err:
            error = err.response.get("Error", {})
            raise HookFailure(
                f"API Gateway answered {error.get('Code')} ({error.get('Message')}), not 410, "
                f"for the synthetic connection {self.connection_id}: the canary cannot judge "
                "the new version with it"
            ) from None
        raise HookFailure(f"a post to the synthetic connection {self.connection_id} succeeded")

    def _pass(self, what: str) -> None:
        logger.info("PASS %s", what)
        self.passed.append(what)

    # Invocations ---------------------------------------------------------------------------

    def _post(self, text: str) -> None:
        self._message("message", {"action": "message", "content": text})

    def _message(self, step: str, body: Mapping[str, Any]) -> None:
        event = synthetic_event(self.config, self.connection_id, "MESSAGE", body=body)
        self._expect_ok(step, event)

    def _expect_ok(self, step: str, event: Mapping[str, Any]) -> None:
        payload = self._invoke(step, event)
        status = payload.get("statusCode") if isinstance(payload, dict) else None
        _expect(status == 200, f"{step}: the function answered {str(payload)[:300]}, "
                               "expected statusCode 200")

    def _invoke(self, step: str, event: Mapping[str, Any]) -> Any:
        """The new version's answer to ``event``; HookFailure on a function error."""
        data = json.dumps(event).encode()
        for attempt in range(_THROTTLE_RETRIES + 1):
            self._budget.require(_STEP_MIN_S, step)
            client = self._lambda()
            try:
                response = client.invoke(
                    FunctionName=self.config.function,
                    InvocationType="RequestResponse",
                    Payload=data,
                )
                break
            except client.exceptions.TooManyRequestsException:
                if attempt == _THROTTLE_RETRIES:
                    raise HookFailure(f"{step}: the new version stayed throttled") from None
                self._sleep(min(0.5 * 2**attempt, max(self._budget.left() - _STEP_MIN_S, 0)))
        raw = response["Payload"].read()
        if response.get("FunctionError"):
            raise HookFailure(f"{step}: the function failed ({response['FunctionError']}): "
                              f"{raw[:500].decode('utf-8', 'replace')}")
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise HookFailure(f"{step}: the function's answer is not JSON: {raw[:200]!r}") from None

    # DynamoDB ------------------------------------------------------------------------------

    def _seed_connection(self) -> None:
        """The connection as the function stores it after an ``init`` (DESIGN: Connections)."""
        now_ms = time.time_ns() // 1_000_000
        self._dynamodb.put_item(
            TableName=self.config.connections_table,
            Item={
                "connectionId": {"S": self.connection_id},
                "room": {"S": self.room},
                "user": {"S": USER},
                "lang": {"S": "en"},
                "v": {"N": "2"},
                "role": {"S": "user"},
                "connectedAt": {"N": str(now_ms)},
                "ttl": {"N": str(now_ms // 1000 + 3600)},
            },
        )

    def _connection(self) -> dict[str, Any] | None:
        item = self._dynamodb.get_item(
            TableName=self.config.connections_table,
            Key={"connectionId": {"S": self.connection_id}},
            ConsistentRead=True,
        ).get("Item")
        return _plain(item) if item else None

    def _messages(self) -> list[dict[str, Any]]:
        return [_plain(item) for item in self._query(self.config.messages_table)]

    def _stored(self, text: str) -> dict[str, Any]:
        found = [m for m in self._messages() if m.get("content") == text]
        _expect(len(found) == 1, f"expected the message {text!r} stored once in "
                                 f"{self.room}, found it {len(found)} times")
        return found[0]

    def _query(self, table: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "#room = :room",
            "ExpressionAttributeNames": {"#room": "room"},
            "ExpressionAttributeValues": {":room": {"S": self.room}},
            "ConsistentRead": True,
        }
        while True:
            page = self._dynamodb.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def cleanup(self) -> None:
        """Delete the canary's connection, messages and topic counters (errors are logged)."""
        deletions: list[tuple[str, dict[str, Any]]] = [
            (self.config.connections_table, {"connectionId": {"S": self.connection_id}})
        ]
        for table, sort_key in ((self.config.messages_table, "msgId"),
                                (self.config.topics_table, "topic")):
            try:
                deletions += [(table, {"room": item["room"], sort_key: item[sort_key]})
                              for item in self._query(table)]
            except Exception:
                logger.exception("cleanup: could not list %s of %s", table, self.room)
        for table, key in deletions:
            try:
                self._dynamodb.delete_item(TableName=table, Key=key)
            except Exception:
                logger.exception("cleanup: could not delete %s from %s", key, table)


def _expect(condition: bool, failure: str) -> None:
    if not condition:
        raise HookFailure(failure)


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}
