"""The PreTraffic hook's failure paths: a wrong answer, a function error and a timeout, each
from a real function run by the local cloud's runtime behind its Lambda Invoke API, with the
local DynamoDB; the report to CodeDeploy checked with Stubber. Also the Invoke API's shapes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from deploy_hooks.pre_traffic import pre_traffic
from hook_support import EVENT, REGION, Context, aws_client, expect_report
from localcloud.dynamodb import LocalDynamoDB
from localcloud.gateway import Gateway
from localcloud.lambda_api import LambdaApi

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = Path(__file__).parent / "handlers"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      {{Name: t, ProtocolType: WEBSOCKET, RouteSelectionExpression: "$request.body.action"}}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Join ["", ["arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                                  !GetAtt Impostor.Arn, "/invocations"]]
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {{ApiId: !Ref Api, RouteKey: "$default", Target: !Sub "integrations/${{Integ}}"}}
  Impostor:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: impostor.handler
      Runtime: python3.12
      Timeout: 20
      AutoPublishAlias: live
"""


class Stage:
    """The impostor behind the local gateway and Lambda API, and a local DynamoDB."""

    def __init__(self, lambda_url: str, dynamodb_url: str, connections_url: str) -> None:
        self.lambda_url = lambda_url
        self.dynamodb_url = dynamodb_url
        self.connections_url = connections_url

    def client(self, service: str, **kwargs: Any) -> Any:
        kwargs.pop("region_name", None)
        kwargs["endpoint_url"] = {
            "lambda": self.lambda_url,
            "dynamodb": self.dynamodb_url,
            "apigatewaymanagementapi": self.connections_url,
        }[service]
        return aws_client(service, **kwargs)


@pytest.fixture(scope="module")
def dynamodb_url() -> Any:
    store = LocalDynamoDB(data_dir=None, template_path=ROOT / "template.yaml", isolation="thread")
    url = store.start()
    yield url
    store.stop()


@pytest_asyncio.fixture
async def start_stage(
    tmp_path: Path, dynamodb_url: str
) -> AsyncIterator[Callable[..., Any]]:
    started: list[Any] = []

    async def start(mode: str, **env: str) -> Stage:
        template = tmp_path / "template.yaml"
        template.write_text(TEMPLATE.format(code=HANDLERS))
        gateway = Gateway(template_path=template,
                          function_env={"IMPOSTOR_MODE": mode, **env}, workers=2)
        await gateway.start()
        started.append(gateway)
        api = LambdaApi(gateway.invoke_function, {"Impostor": "live"},
                        credentials=("local", "local"), region=REGION)
        started.append(api)
        return Stage(await api.start(), dynamodb_url, gateway.connections_url)

    yield start
    for item in reversed(started):
        await item.stop()


def _env() -> dict[str, str]:
    return {
        "NEW_VERSION": f"arn:aws:lambda:{REGION}:123456789012:function:Impostor:1",
        "WEBSOCKET_API_ID": "abc123",
        "STAGE_NAME": "prod",
        "AWS_REGION": REGION,
        "CONNECTIONS_TABLE": "ConnectionsTable",
        "MESSAGES_TABLE": "MessagesTable",
        "TOPICS_TABLE": "TopicsTable",
    }


async def _run_hook(stage: Stage, seconds: float) -> tuple[dict[str, Any], float]:
    codedeploy = aws_client("codedeploy")
    stubber = Stubber(codedeploy)
    expect_report(stubber, "Failed")
    started = time.monotonic()
    with stubber:
        result = await asyncio.to_thread(
            pre_traffic, EVENT, Context(seconds), codedeploy=codedeploy, env=_env(),
            session=stage,
        )
        stubber.assert_no_pending_responses()
    return result, time.monotonic() - started


def _leftovers(stage: Stage) -> int:
    dynamodb = aws_client("dynamodb", endpoint_url=stage.dynamodb_url)
    return sum(
        len(dynamodb.scan(TableName=table)["Items"])
        for table in ("ConnectionsTable", "MessagesTable", "TopicsTable")
    )


async def test_a_version_that_answers_200_but_does_nothing_fails(
    start_stage: Callable[..., Any],
) -> None:
    """A wrong answer: 200 everywhere yet nothing stored fails the deployment, and cleans up."""
    stage = await start_stage("idle")
    result, _ = await _run_hook(stage, 60)
    assert result["status"] == "Failed"
    assert result["passed"] == ["$connect answered 200"]
    assert "stored once" in result["reason"]
    assert "found it 0 times" in result["reason"]
    assert _leftovers(stage) == 0  # the seeded connection was deleted


async def test_a_refused_connect_fails(start_stage: Callable[..., Any]) -> None:
    """A wrong status on $connect fails at once."""
    stage = await start_stage("refuse")
    result, _ = await _run_hook(stage, 60)
    assert result["status"] == "Failed"
    assert result["reason"].startswith("$connect: the function answered {'statusCode': 500}")


async def test_a_function_error_fails(start_stage: Callable[..., Any]) -> None:
    """An Unhandled function error is reported as Failed with the function's error."""
    stage = await start_stage("raise")
    result, _ = await _run_hook(stage, 60)
    assert result["status"] == "Failed"
    assert "Unhandled" in result["reason"]
    assert "broken on purpose" in result["reason"]


async def test_a_slow_version_fails_within_the_hooks_own_time(
    start_stage: Callable[..., Any],
) -> None:
    """A version slower than the hook's remaining time: Failed is reported before the hook's
    own timeout (its reserve is kept), not after the function finally answers."""
    stage = await start_stage("sleep", IMPOSTOR_SLEEP="15")
    result, took = await _run_hook(stage, 15)  # 15 s left, 10 s of it kept for the report
    assert result["status"] == "Failed"
    assert "timeout" in result["reason"].lower()
    assert took < 15


# --- the Invoke API itself ------------------------------------------------------------------


async def test_invoke_api_answers_like_lambda(start_stage: Callable[..., Any]) -> None:
    """Result, executed version, 404s and unsigned requests, as boto3 sees them."""
    stage = await start_stage("idle")
    client = aws_client("lambda", endpoint_url=stage.lambda_url)

    def call(**kwargs: Any) -> Any:
        return client.invoke(Payload=json.dumps({"requestContext": {}}).encode(), **kwargs)

    ok = await asyncio.to_thread(call, FunctionName="Impostor", Qualifier="live")
    assert ok["StatusCode"] == 200
    assert ok["ExecutedVersion"] == "1"
    assert json.loads(ok["Payload"].read()) == {"statusCode": 200}
    for name in ("nope", f"arn:aws:lambda:{REGION}:123456789012:function:Impostor:9"):
        with pytest.raises(ClientError) as caught:
            await asyncio.to_thread(call, FunctionName=name)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    stranger = aws_client("lambda", endpoint_url=stage.lambda_url,
                          aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(stranger.invoke, FunctionName="Impostor", Payload=b"{}")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


async def test_invoke_api_reports_unhandled_errors(start_stage: Callable[..., Any]) -> None:
    """A handler exception comes back as 200 + FunctionError Unhandled + the error payload."""
    stage = await start_stage("raise")
    client = aws_client("lambda", endpoint_url=stage.lambda_url)
    answer = await asyncio.to_thread(client.invoke, FunctionName="Impostor", Payload=b"{}")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "impostor: broken on purpose"


async def test_invoke_api_refuses_what_a_web_page_sends(start_stage: Callable[..., Any]) -> None:
    """A request with another Origin is refused before anything runs, even if it were signed."""
    stage = await start_stage("raise")
    client = aws_client("lambda", endpoint_url=stage.lambda_url)

    def with_origin(request: Any, **_kwargs: Any) -> None:
        request.headers["Origin"] = "http://elsewhere.example"

    client.meta.events.register("before-sign.lambda.Invoke", with_origin)
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client.invoke, FunctionName="Impostor", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "another origin" in caught.value.response["Error"]["Message"]
