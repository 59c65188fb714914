"""The canary's precondition: API Gateway must answer 410 for its synthetic connection id.
Checked with botocore's Stubber on a real apigatewaymanagementapi client (exact request)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from deploy_hooks.canary import Canary, CanaryConfig, synthetic_event
from deploy_hooks.lifecycle import Budget, HookFailure
from hook_support import REGION, aws_client

CONFIG = CanaryConfig(
    function=f"arn:aws:lambda:{REGION}:123456789012:function:chat:3",
    api_id="abc123", stage="prod", region=REGION, connections_table="C",
    messages_table="M", topics_table="T",
)


def _canary(connections: Any) -> Canary:
    return Canary(CONFIG, lambda: aws_client("lambda"), aws_client("dynamodb"), connections,
                  Budget.of(_Ctx()))


class _Ctx:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def test_the_endpoint_is_the_stages_own() -> None:
    """Without an override, PostToConnection goes where the chat function posts."""
    assert CONFIG.management_endpoint == f"https://abc123.execute-api.{REGION}.amazonaws.com/prod"


@pytest.mark.parametrize(
    ("code", "status", "accepted"),
    [("GoneException", 410, True), ("BadRequestException", 400, False),
     ("ForbiddenException", 403, False)],
)
def test_probe_accepts_only_410(code: str, status: int, accepted: bool) -> None:
    """Only GoneException lets the canary go on; another answer is a clear HookFailure."""
    connections = aws_client("apigatewaymanagementapi", endpoint_url=CONFIG.management_endpoint)
    canary = _canary(connections)
    with Stubber(connections) as stubber:
        stubber.add_client_error(
            "post_to_connection", code, "nope", http_status_code=status,
            expected_params={"ConnectionId": canary.connection_id, "Data": b"{}"},
        )
        if accepted:
            canary._expect_gone()
        else:
            with pytest.raises(HookFailure, match=f"answered {code} .*not 410"):
                canary._expect_gone()
        stubber.assert_no_pending_responses()


def test_synthetic_events_look_like_api_gateways() -> None:
    """CONNECT carries ?v=2, MESSAGE a JSON body and message id, DISCONNECT a status code; all
    name this stage's API, so the function posts its replies to this stage."""
    connect = synthetic_event(CONFIG, "R0oXAdfD0kwCH6w=", "CONNECT")
    message = synthetic_event(CONFIG, "R0oXAdfD0kwCH6w=", "MESSAGE", body={"action": "ping"})
    gone = synthetic_event(CONFIG, "R0oXAdfD0kwCH6w=", "DISCONNECT")
    for event in (connect, message, gone):
        context = event["requestContext"]
        assert context["apiId"] == "abc123"
        assert context["stage"] == "prod"
        assert context["connectionId"] == "R0oXAdfD0kwCH6w="
        assert context["domainName"] == f"abc123.execute-api.{REGION}.amazonaws.com"
    assert connect["queryStringParameters"] == {"v": "2"}
    assert connect["requestContext"]["routeKey"] == "$connect"
    assert message["body"] == '{"action": "ping"}'
    assert message["requestContext"]["messageId"]
    assert gone["requestContext"]["disconnectStatusCode"] == 1000
