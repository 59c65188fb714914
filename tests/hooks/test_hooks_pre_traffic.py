"""The PreTraffic hook against the local cloud's real chat function, invoked through boto3's
``lambda.invoke`` (the local Lambda Invoke API); CodeDeploy's report checked with Stubber."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from deploy_hooks.pre_traffic import pre_traffic
from hook_support import EVENT, REGION, Context, aws_client, expect_report

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:ChatFunction"


def _env(version: str = "1") -> dict[str, str]:
    return {
        "NEW_VERSION": f"{FUNCTION_ARN}:{version}",
        "WEBSOCKET_API_ID": "localapi01",
        "STAGE_NAME": "local",
        "AWS_REGION": REGION,
        "CONNECTIONS_TABLE": "ConnectionsTable",
        "MESSAGES_TABLE": "MessagesTable",
        "TOPICS_TABLE": "TopicsTable",
    }


class LocalSession:
    """A boto3 session whose clients reach the local cloud's endpoints."""

    def __init__(self, urls: dict[str, str]) -> None:
        self._endpoints = {
            "lambda": urls["lambda_api"],
            "dynamodb": urls["dynamodb"],
            "apigatewaymanagementapi": urls["connections"],
        }

    def client(self, service: str, **kwargs: Any) -> Any:
        kwargs.pop("region_name", None)
        kwargs["endpoint_url"] = self._endpoints[service]
        return aws_client(service, **kwargs)


def _room_items(urls: dict[str, str], table: str, room: str) -> list[dict[str, Any]]:
    dynamodb = aws_client("dynamodb", endpoint_url=urls["dynamodb"])
    return dynamodb.query(
        TableName=table,
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": room}},
    )["Items"]


@pytest.fixture
def codedeploy() -> Any:
    return aws_client("codedeploy")


def test_pre_traffic_passes_a_working_version_and_cleans_up(
    local_cloud: Any, codedeploy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check passes on the real function, Succeeded is reported, the canary leaves nothing."""
    rooms: list[str] = []
    from deploy_hooks import canary

    original = canary.Canary.__init__

    def remember(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        rooms.append(self.room)

    monkeypatch.setattr(canary.Canary, "__init__", remember)
    stubber = Stubber(codedeploy)
    expect_report(stubber, "Succeeded")
    with stubber:
        result = pre_traffic(EVENT, Context(120), codedeploy=codedeploy, env=_env(),
                             session=LocalSession(local_cloud.urls))
        stubber.assert_no_pending_responses()
    assert result["status"] == "Succeeded", result["reason"]
    assert len(result["passed"]) == 5
    assert result["passed"][1].startswith("benign message published")
    (room,) = rooms
    for table in ("MessagesTable", "TopicsTable"):
        assert _room_items(local_cloud.urls, table, room) == [], table


def test_pre_traffic_fails_on_a_version_that_does_not_exist(
    local_cloud: Any, codedeploy: Any
) -> None:
    """An invocation error (no such version: 404) is reported as Failed, never raised."""
    stubber = Stubber(codedeploy)
    expect_report(stubber, "Failed")
    with stubber:
        result = pre_traffic(EVENT, Context(60), codedeploy=codedeploy, env=_env("7"),
                             session=LocalSession(local_cloud.urls))
        stubber.assert_no_pending_responses()
    assert result["status"] == "Failed"
    assert "ResourceNotFoundException" in result["reason"]
    assert result["passed"] == []
