"""The handler's small actions and wiring: leave, ping, endpoint choice, logging, metrics."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from botocore.credentials import Credentials
from conftest import FakeLambdaContext, Harness, emitted_metrics
from positive_chat import app
from positive_chat.config import Settings


def test_leave_answers_left_and_tells_the_room(harness: Harness) -> None:
    """leave keeps the socket, forgets the room, answers left and tells the others."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.seed_connection("b-bo", "lobby", "en", "Bo")
    harness.expect_posts("a-ana", "b-bo")
    harness.send("a-ana", {"action": "leave", "id": "l1"})
    assert harness.frames("a-ana") == [{"type": "left", "id": "l1", "room": "lobby"}]
    assert harness.frames("b-bo")[0]["event"] == "leave"
    assert "room" not in harness.connection_item("a-ana")  # type: ignore[operator]
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "message", "content": "still here?"})
    assert harness.frames("a-ana")[0]["code"] == "NOT_JOINED"


def test_ping_answers_pong_with_time(harness: Harness) -> None:
    """ping is answered with pong, the client id and the server time in epoch ms."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana")
    harness.expect_posts("a-ana")
    harness.send("a-ana", {"action": "ping", "id": "p1"})
    [pong] = harness.frames("a-ana")
    assert pong == {"type": "pong", "id": "p1", "timestamp": pong["timestamp"]}
    assert pong["timestamp"] > 1_700_000_000_000


def test_v1_ping_before_init_sends_nothing(harness: Harness) -> None:
    """The original protocol has no pong: a v1 connection's ping changes and sends nothing."""
    harness.seed_connection("a-ana", "lobby", "en", "Ana", version=1)
    harness.send("a-ana", {"action": "ping"})
    assert harness.posts == []


def test_connections_endpoint_env_var_lets_boto3_choose(
    harness: Harness, settings: Settings
) -> None:
    """With AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI set, no endpoint is built from the event."""
    runtime = app.Runtime(
        settings=Settings(**{**settings.__dict__, "connections_endpoint": "http://127.0.0.1:1"}),
        clients=harness.runtime.clients,
        clock=harness.runtime.clock,
        resilience=harness.runtime.resilience,
    )
    app.install_runtime(runtime)
    try:
        harness.seed_connection("a-ana", "lobby", "en", "Ana")
        harness.expect_posts("a-ana")
        harness.send("a-ana", {"action": "ping"})
        assert harness.endpoints == [None]
    finally:
        runtime.fanout_pool.shutdown()
        runtime.translate_pool.shutdown()


def test_settings_read_the_template_environment() -> None:
    """Settings come from the variables template.yaml sets; a missing one is a clear error."""
    env = {
        "CONNECTIONS_TABLE": "c",
        "MESSAGES_TABLE": "m",
        "TOPICS_TABLE": "t",
        "IDEMPOTENCY_TABLE": "i",
        "AWS_REGION": "eu-west-1",
    }
    settings = Settings.from_env(env)
    assert (settings.connections_table, settings.region, settings.connections_endpoint) == (
        "c",
        "eu-west-1",
        None,
    )
    with pytest.raises(Exception, match="MESSAGES_TABLE"):
        Settings.from_env({k: v for k, v in env.items() if k != "MESSAGES_TABLE"})


def test_sentiment_languages_default_to_comprehends_and_can_be_configured() -> None:
    """SENTIMENT_LANGUAGES names what goes to DetectSentiment as written; unknown codes fail."""
    env = {"CONNECTIONS_TABLE": "c", "MESSAGES_TABLE": "m", "TOPICS_TABLE": "t",
           "IDEMPOTENCY_TABLE": "i"}  # fmt: skip
    default = Settings.from_env(env).sentiment_languages
    assert default == {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
    assert Settings.from_env({**env, "SENTIMENT_LANGUAGES": "en, he,pl"}).sentiment_languages == {
        "en",
        "he",
        "pl",
    }
    with pytest.raises(Exception, match=r"SENTIMENT_LANGUAGES.*xx"):
        Settings.from_env({**env, "SENTIMENT_LANGUAGES": "en,xx"})


def test_logs_carry_the_request_id_as_correlation_id(harness: Harness) -> None:
    """The invocation's correlation id is requestContext.requestId."""
    harness.connect("c1")
    assert app.logger.get_correlation_id() == "R1kmxEHeNjMFvXQ="


def test_cold_start_metric_is_emitted_once(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first invocation of an execution environment emits ColdStart."""
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.is_cold_start = True
    capsys.readouterr()
    app.lambda_handler(harness.event("connect", "c1"), FakeLambdaContext())  # type: ignore[arg-type]
    app.lambda_handler(harness.event("connect", "c2"), FakeLambdaContext())  # type: ignore[arg-type]
    assert emitted_metrics(capsys.readouterr().out).get("ColdStart") == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [(None, 200), ({"v": "1"}, 200), ({"v": "2"}, 200), ({"v": "9"}, 400), ({"v": ""}, 400)],
    ids=["no-version", "v1", "v2", "v9", "empty"],
)
def test_connect_refuses_unknown_protocol_version(
    harness: Any, query: dict[str, str] | None, status: int
) -> None:
    """$connect answers 400 for a ?v= we do not speak, which refuses the handshake."""
    event = harness.event("connect", "c-new", queryStringParameters=query)
    assert harness.invoke(event)["statusCode"] == status


def test_lean_post_setting_is_on_by_default_and_can_be_turned_off() -> None:
    """LEAN_POST_TO_CONNECTION: on unless set to off; anything else is a configuration error."""
    env = {"CONNECTIONS_TABLE": "c", "MESSAGES_TABLE": "m", "TOPICS_TABLE": "t",
           "IDEMPOTENCY_TABLE": "i"}  # fmt: skip
    assert Settings.from_env(env).lean_post is True
    assert Settings.from_env({**env, "LEAN_POST_TO_CONNECTION": "off"}).lean_post is False
    assert Settings.from_env({**env, "LEAN_POST_TO_CONNECTION": "ON"}).lean_post is True
    with pytest.raises(Exception, match="LEAN_POST_TO_CONNECTION"):
        Settings.from_env({**env, "LEAN_POST_TO_CONNECTION": "yes"})


@pytest.mark.parametrize(("lean_post", "poster"), [(True, "LeanConnectionsApi"),
                                                    (False, "ConnectionsApi")])
def test_the_outbox_posts_through_the_chosen_path(
    harness: Harness, lean_post: bool, poster: str
) -> None:
    """With the session's credentials, the setting picks the lean or the boto3 poster."""
    runtime = harness.runtime
    runtime.settings = dataclasses.replace(runtime.settings, lean_post=lean_post)
    runtime.clients.credentials = lambda: Credentials("AKIDEXAMPLE", "secret")
    api = runtime.connections_apis.for_stage("abc123", "prod")
    assert type(api).__name__ == poster
