"""Unit tests of delivery: concurrency, failure isolation and the @connections adapter."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.stub import Stubber
from positive_chat.adapters.connections_api import (
    ConnectionsApi,
    ConnectionsApiFactory,
    endpoint_for,
)
from positive_chat.adapters.outbox import ConnectionsOutbox
from positive_chat.domain.errors import ConnectionGoneError
from positive_chat.domain.events import Pong
from positive_chat.domain.model import Connection
from positive_chat.protocol.frames_out import render


class SlowPoster:
    """Posts take 50 ms; some ids are gone, some fail; tracks peak concurrency."""

    def __init__(self, gone: set[str], broken: set[str]) -> None:
        self.gone, self.broken = gone, broken
        self.active = self.peak = 0
        self.delivered: list[str] = []
        self.lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(0.05)
            if connection_id in self.gone:
                raise ConnectionGoneError(connection_id)
            if connection_id in self.broken:
                raise RuntimeError("429")
            with self.lock:
                self.delivered.append(connection_id)
        finally:
            with self.lock:
                self.active -= 1


def test_broadcast_is_concurrent_bounded_and_forgiving() -> None:
    """Posts run in parallel up to the pool size; gone readers are reported, failures skipped."""
    readers = [Connection(f"c{n:02d}", room="r", version=2) for n in range(16)]
    poster = SlowPoster(gone={"c03"}, broken={"c07"})
    with ThreadPoolExecutor(8) as pool:
        started = time.perf_counter()
        gone = ConnectionsOutbox(poster, pool, render).broadcast(readers, lambda r: [Pong(1)])
        elapsed = time.perf_counter() - started
    assert [c.connection_id for c in gone] == ["c03"]
    assert sorted(poster.delivered) == [f"c{n:02d}" for n in range(16) if n not in (3, 7)]
    assert 2 <= poster.peak <= 8
    assert elapsed < 16 * 0.05


def test_broadcast_renders_once_per_version_and_language() -> None:
    """events_for is called once per (version, lang), not once per reader."""
    readers = [
        Connection(f"c{n}", room="r", lang="en" if n % 2 else "fr", version=2) for n in range(10)
    ]
    calls: list[str] = []

    def events_for(reader: Connection) -> list[Pong]:
        calls.append(reader.lang)
        return [Pong(1)]

    with ThreadPoolExecutor(2) as pool:
        ConnectionsOutbox(SlowPoster(set(), set()), pool, render).broadcast(readers, events_for)
    assert sorted(calls) == ["en", "fr"]


@pytest.fixture
def management() -> object:
    """A real Management API client (stubbed: no network)."""
    return boto3.client(
        "apigatewaymanagementapi",
        region_name="us-east-1",
        endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def test_connections_api_turns_gone_into_connection_gone(management: object) -> None:
    """The modeled GoneException (a ClientError subclass) becomes ConnectionGoneError."""
    with Stubber(management) as stub:  # type: ignore[arg-type]
        stub.add_client_error(
            "post_to_connection",
            "GoneException",
            http_status_code=410,
            expected_params={"ConnectionId": "R1k=", "Data": b"x"},
        )
        with pytest.raises(ConnectionGoneError) as caught:
            ConnectionsApi(management).post("R1k=", b"x")  # type: ignore[arg-type]
    assert caught.value.connection_id == "R1k="


def test_connections_api_lets_other_errors_through(management: object) -> None:
    """A 429 is not Gone: it propagates for the outbox to log."""
    from botocore.exceptions import ClientError

    with Stubber(management) as stub:  # type: ignore[arg-type]
        stub.add_client_error("post_to_connection", "LimitExceededException", http_status_code=429)
        with pytest.raises(ClientError):
            ConnectionsApi(management).post("R1k=", b"x")  # type: ignore[arg-type]


def test_endpoint_is_built_from_api_id_not_domain() -> None:
    """The endpoint uses apiId, region and stage; an override hands the choice to boto3."""
    assert endpoint_for("abc123", "eu-west-1", "prod") == (
        "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    )
    seen: list[str | None] = []
    factory = ConnectionsApiFactory(
        lambda e: seen.append(e) or object(),  # type: ignore[func-returns-value]
        region="eu-west-1",
    )
    factory.for_stage("abc123", "prod")
    factory.for_stage("abc123", "prod")
    assert seen == ["https://abc123.execute-api.eu-west-1.amazonaws.com/prod"]
    override = ConnectionsApiFactory(
        lambda e: seen.append(e) or object(),  # type: ignore[func-returns-value]
        region="eu-west-1",
        endpoint_override="http://127.0.0.1:9",
    )
    override.for_stage("abc123", "prod")
    assert seen[-1] is None
