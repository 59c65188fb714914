"""The local cloud's terminal, as a user sees it: one human line per invocation, no JSON.

A real ``python -m localcloud`` on port 0 (its terminal output captured by the ``RunningCloud``
fixture), two clients, a few messages including a refused one and a held one (Comprehend switched
to fail, so the function logs a warning), then Ctrl-C (SIGINT). The Lambda's JSON logs and EMF
metrics must be in the log file under the data folder, not on the terminal; ``--verbose`` must
put them on the terminal too.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import pytest_asyncio
from botocore.config import Config

from tests.conftest import RunningCloud
from tests.e2e.chat import ChatClient

POSITIVE = "Hello everyone, what a lovely sunny day in Paris with friends!"
NEGATIVE = "I hate you all, this is awful, stupid and disgusting."
REPLY = "Bonjour Ana, quelle belle journée ensoleillée à Paris avec des amis !"
HELD = "Thank you all for the wonderful evening, see you soon"
# "17:08:10 INFO    gateway         $default    J7sX1FGj  message      547 ms  200"
INVOCATION = re.compile(
    r"^\d\d:\d\d:\d\d (INFO|ERROR) +gateway +(\$connect|\$default|\$disconnect) +(\S{8}) "
    r".* (\d+) ms  (\S+)"
)
PREFIX = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) +\S+ +")


@pytest_asyncio.fixture
async def start_cloud(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start a private local cloud whose terminal output file is its own (a unique name: the
    shared fixture's output file is appended to across test runs)."""
    started: list[RunningCloud] = []

    async def start(*args: str) -> RunningCloud:
        cloud = RunningCloud(data_dir=tmp_path / f"quiet-{uuid.uuid4().hex[:12]}", args=args)
        cloud.data_dir.mkdir()
        started.append(cloud)
        return await asyncio.to_thread(cloud.start)

    yield start
    for cloud in started:
        await asyncio.to_thread(cloud.stop)


def _switch(cloud: RunningCloud, method: str, document: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{cloud.language_url.rstrip('/')}/_localcloud/faults",
        data=json.dumps(document).encode() if document is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def _connection_ids(cloud: RunningCloud, room: str) -> dict[str, str]:
    ddb = boto3.client("dynamodb", endpoint_url=cloud.dynamodb_url, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local",
                       config=Config(retries={"max_attempts": 1}))
    items = ddb.query(
        TableName="ConnectionsTable", IndexName="ByRoom",
        KeyConditionExpression="room = :r", ExpressionAttributeValues={":r": {"S": room}},
    )["Items"]
    return {item["user"]["S"]: item["connectionId"]["S"] for item in items}


def _file_records(log_file: Path) -> list[dict[str, Any]]:
    """Every JSON document the function wrote, as found in the log file."""
    found = []
    for line in log_file.read_text("utf-8").splitlines():
        text = PREFIX.sub("", line, count=1)
        if text.startswith("{"):
            found.append(json.loads(text))
    return found


async def _session(cloud: RunningCloud, room: str) -> dict[str, str]:
    """Two users chat (one message refused, one held); the users' connection ids."""
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana", lang="en")
    bea = await ChatClient.join(cloud.ws_url, room, user="Bea", lang="fr")
    try:
        ids = await asyncio.to_thread(_connection_ids, cloud, room)
        sent = await ana.post(POSITIVE)
        ack = await ana.expect("ack", lambda f: f["id"] == sent)
        await bea.expect("message", lambda f: f["messageId"] == ack["messageId"])
        refused = await ana.post(NEGATIVE)
        await ana.expect("rejected", lambda f: f["id"] == refused)
        reply = await bea.post(REPLY)
        await bea.expect("ack", lambda f: f["id"] == reply)
        await asyncio.to_thread(_switch, cloud, "POST", {
            "service": "comprehend", "mode": "error", "operations": ["DetectSentiment"]})
        held = await ana.post(HELD)
        await ana.expect("held", lambda f: f["id"] == held)
        await asyncio.to_thread(_switch, cloud, "DELETE")
    finally:
        await ana.close()
        await bea.close()
    return ids


async def test_a_short_session_prints_one_human_line_per_invocation_and_no_json(
    start_cloud: Callable[..., Any], room: str
) -> None:
    cloud: RunningCloud = await start_cloud()
    ids = await _session(cloud, room)
    assert await asyncio.to_thread(cloud.stop, signal.SIGINT) == 0
    assert cloud.log_path is not None
    terminal = cloud.log_path.read_text("utf-8")
    lines = terminal.splitlines()
    log_file = cloud.data_dir / "localcloud.log"
    assert f"  Log file:           {log_file} (" in terminal

    # Nothing machine-shaped: no JSON line, no metric blob, no library warning or access line.
    assert not [line for line in lines if PREFIX.sub("", line).lstrip().startswith("{")]
    for noise in ('"_aws"', '"level"', "UserWarning", "werkzeug", "HTTP/1.1", "cold start: env"):
        assert noise not in terminal, noise
    # One timestamp format, and the DynamoDB start-up said once.
    assert not re.search(r"\d{4}-\d\d-\d\d", terminal)
    assert all(PREFIX.match(line) for line in lines if line[:1].isdigit())
    assert len([line for line in lines if "DynamoDB" in line]) == 1

    # One line per invocation: per user, $connect, init + posts, $disconnect.
    calls = [m.groups() for m in map(INVOCATION.match, lines) if m]
    expected = {"Ana": {"$connect": 1, "$default": 4, "$disconnect": 1},
                "Bea": {"$connect": 1, "$default": 2, "$disconnect": 1}}
    for user, routes in expected.items():
        mine = [c for c in calls if c[2] == ids[user][:8]]
        for route, count in routes.items():
            assert len([c for c in mine if c[1] == route]) == count, (user, route, calls)
    assert len(calls) == 10, calls
    assert {c[4] for c in calls} == {"200"}, calls  # the refused and held ones are answered too
    assert "cold start (init" in terminal
    records = _file_records(log_file)
    request_ids = {r["function_request_id"] for r in records if "function_request_id" in r}
    assert len(request_ids) == len(calls)  # every invocation, and no other, got its line

    # The function's warning (Comprehend failing) is on the terminal, readable.
    warning = [line for line in lines if re.match(r"^\S+ WARNING +ChatFunction#\d+ ", line)]
    assert any("DetectSentiment" in line for line in warning), lines

    # The log file has the function's JSON logs and metrics.
    metrics = {m["Name"] for r in records if "_aws" in r
               for d in r["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"MessagesPosted", "MessagesRejected"} <= metrics, metrics
    assert any(r.get("level") == "WARNING" for r in records)
    assert len([r for r in records if r.get("level") == "INFO"]) >= len(calls)


async def test_verbose_puts_the_json_logs_and_metrics_on_the_terminal(
    start_cloud: Callable[..., Any], room: str
) -> None:
    cloud: RunningCloud = await start_cloud("--verbose", "--ephemeral")
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana", lang="en")
    try:
        sent = await ana.post(POSITIVE)
        await ana.expect("ack", lambda f: f["id"] == sent)
    finally:
        await ana.close()
    assert await asyncio.to_thread(cloud.stop, signal.SIGINT) == 0
    assert cloud.log_path is not None
    terminal = cloud.log_path.read_text("utf-8")
    # --ephemeral: the log file is in a temporary folder, printed in the banner.
    found = re.search(r"^  Log file: +(\S+) \(", terminal, re.M)
    assert found, terminal
    log_file = Path(found[1])
    try:
        assert log_file.parent != cloud.data_dir
        for text in ('"level":"INFO"', '"_aws"', '"MessagesPosted"'):
            assert text in terminal, text
            assert text in log_file.read_text("utf-8"), text
        assert re.search(r"^\S+ INFO +gateway +\$default +\S{8}  message ", terminal, re.M)
    finally:
        shutil.rmtree(log_file.parent, ignore_errors=True)
