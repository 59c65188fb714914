"""The gateway benchmark (chat-bench-gateway) at a tiny size (every row and the floor measured),
its lean handler, and the serverless-offline row's skip where npm is missing.

Numbers are not judged here (benchmarks are, in BENCHMARKS.md); this keeps the benchmark runnable:
each server starts, every echo comes back, and the CPU accounting covers each process group.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
import subprocess
import sys
import types
import urllib.parse
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

ROOT = Path(__file__).resolve().parents[2]


def test_bench_gateway_measures_each_server_and_the_floor() -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "chat-bench-gateway"), "--connections", "2",
         "--messages", "20", "--warmup", "5", "--floor-calls", "50", "--workers", "2"],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = {
        m["server"]: m
        for m in re.finditer(
            r"^\| (?P<server>\w+) +\| +2 x 20 +\| +(?P<rate>[\d,]+) \|.*\| "
            r"(?P<cpu>\d+) / (?P<workers>\d+) / (?P<client>\d+) \|$",
            run.stdout, re.MULTILINE,
        )
    }
    assert set(rows) == {"gateway", "lean", "raw"}, run.stdout
    for row in rows.values():
        assert int(row["rate"].replace(",", "")) > 0
        assert int(row["cpu"]) > 0
        assert int(row["client"]) > 0
    assert int(rows["gateway"]["workers"]) > 0  # the worker processes' CPU is counted
    assert int(rows["raw"]["workers"]) == 0  # the bare relay has no workers
    floor = re.search(r"boto3 floor: ([\d,]+) us of CPU per PostToConnection \(50 calls",
                      run.stdout)
    assert floor is not None, run.stdout
    assert int(floor.group(1).replace(",", "")) > 0


def test_bench_gateway_skips_the_offline_row_with_a_note_without_npm(tmp_path: Path) -> None:
    """Without npm on PATH the serverless-offline row is skipped with a note; the others run."""
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty folder: no npm, no node
    run = subprocess.run(
        [str(Path(sys.executable).parent / "chat-bench-gateway"), "--connections", "2",
         "--messages", "20", "--warmup", "5", "--floor-calls", "0", "--servers", "offline,raw"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "offline: skipped, npm is not on PATH" in run.stdout
    servers = re.findall(r"^\| (\w+) +\| +2 x 20 ", run.stdout, re.MULTILINE)
    assert servers == ["raw"], run.stdout


def test_lean_echo_signs_exactly_as_boto3_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lean handler's request carries boto3's own SigV4 signature: AWS would accept it."""
    endpoint = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    for name, value in {
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": endpoint,
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "token",
    }.items():
        monkeypatch.setenv(name, value)
    fixed = datetime.datetime(2026, 11, 23, 12, 0, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: fixed)
    body = b'{"action": "echo"}'
    connection_id = "Ab+c/d=="

    sent: list[AWSPreparedRequest] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        sent.append(request)
        raw = types.SimpleNamespace(stream=lambda: iter([b""]))
        return AWSResponse(request.url, 200, HTTPHeaders(), raw)

    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint,
                          region_name="eu-west-1")
    client.meta.events.register("before-send", capture)
    client.post_to_connection(ConnectionId=connection_id, Data=body)

    lean = _load_handler("echo_lean")
    posted: list[tuple[str, dict[str, str]]] = []

    class Recorder:
        def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
            posted.append((path, headers))

        def getresponse(self) -> Any:
            return types.SimpleNamespace(status=200, read=lambda: b"")

    monkeypatch.setattr(lean, "_connection", Recorder())
    event = {"requestContext": {"eventType": "MESSAGE", "connectionId": connection_id},
             "body": body.decode()}
    assert lean.handler(event, None) == {"statusCode": 200}

    ((path, headers),) = posted
    (expected,) = sent
    assert path == urllib.parse.urlsplit(expected.url).path
    assert headers["Authorization"] == expected.headers["Authorization"].decode()
    assert headers["X-Amz-Security-Token"] == "token"


def _load_handler(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / "tests" / "localcloud" / "handlers" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
