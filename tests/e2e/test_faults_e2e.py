"""Faults end to end: the real Lambda on the local cloud, its language services switched to fail.

The local language services have a fault switch (``POST /_localcloud/faults``, see
``localcloud.language.faults``): throttle, error or slow, per service and operation. Each test
sets one rule, checks what the users see over real WebSockets, and clears the rule. The last test
runs its own local cloud with a 3-second function timeout, to kill the Lambda mid fan-out.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

ROOT = Path(__file__).resolve().parents[2]


def fresh(text: str) -> str:
    """``text`` made unique, so no analysis cache can answer it instead of the faulty service."""
    return f"{text} (note {uuid.uuid4().hex[:8]})"


def switch(cloud: RunningCloud, method: str, document: dict[str, Any] | None = None) -> Any:
    """Call the fault switch; return its JSON answer (every service's rule and injected count)."""
    data = json.dumps(document).encode() if document is not None else None
    request = urllib.request.Request(
        f"{cloud.language_url.rstrip('/')}/_localcloud/faults",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def faults(local_cloud: RunningCloud) -> Iterator[Callable[..., Any]]:
    """Set a fault rule for this test; every rule is cleared afterwards."""

    def set_rule(**rule: Any) -> Any:
        return switch(local_cloud, "POST", rule)

    switch(local_cloud, "DELETE")
    yield set_rule
    switch(local_cloud, "DELETE")


@pytest.mark.parametrize("mode", ["throttle", "error"])
async def test_e2e_comprehend_down_holds_the_message(
    local_cloud: RunningCloud, room: str, faults: Callable[..., Any], mode: str
) -> None:
    """Comprehend throttled or failing: the sender is told it is held, the room sees nothing."""
    faults(service="comprehend", mode=mode, operations=["DetectSentiment"])
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    bo = await ChatClient.join(local_cloud.ws_url, room, user="Bo")
    try:
        sent = await ana.post(fresh("What a lovely day for a walk in the park"))
        held = await ana.expect("held", lambda f: f["id"] == sent)
        assert held["reason"] == "SERVICE_UNAVAILABLE"
        await bo.drain(0.5)
        assert bo.seen("message") == []
        injected = switch(local_cloud, "GET")["comprehend"]["injected"]
        assert injected >= 4  # botocore's 3 retries, then the policy
    finally:
        await ana.close()
        await bo.close()


async def test_e2e_comprehend_slow_is_slower_not_lost(
    local_cloud: RunningCloud, room: str, faults: Callable[..., Any]
) -> None:
    """A slow Comprehend (1.5 s per call, under the read timeout) delays the message; it arrives."""
    faults(service="comprehend", mode="slow", delaySeconds=1.5, operations=["DetectSentiment"])
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    bo = await ChatClient.join(local_cloud.ws_url, room, user="Bo")
    try:
        started = time.monotonic()
        sent = await ana.post(fresh("Thank you all for the wonderful evening"))
        ack = await ana.expect("ack", lambda f: f["id"] == sent, timeout=30)
        assert time.monotonic() - started >= 1.5
        await bo.expect("message", lambda f: f["messageId"] == ack["messageId"], timeout=30)
    finally:
        await ana.close()
        await bo.close()


async def test_e2e_translate_down_delivers_the_original_marked(
    local_cloud: RunningCloud, room: str, faults: Callable[..., Any]
) -> None:
    """Translate throttled: the French reader gets the English original, marked unavailable."""
    faults(service="translate", mode="throttle")
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana", lang="en")
    bea = await ChatClient.join(local_cloud.ws_url, room, user="Bea", lang="fr")
    try:
        text = fresh("See you all at the museum tomorrow morning")
        sent = await ana.post(text)
        ack = await ana.expect("ack", lambda f: f["id"] == sent)
        got = await bea.expect("message", lambda f: f["messageId"] == ack["messageId"])
        assert (got["text"], got["translation"]) == (text, "unavailable")
        assert switch(local_cloud, "GET")["translate"]["injected"] >= 1
    finally:
        await ana.close()
        await bea.close()


async def test_e2e_faults_cleared_the_chat_recovers(
    local_cloud: RunningCloud, room: str, faults: Callable[..., Any]
) -> None:
    """After a fault is cleared, the same text is published: a failure is never remembered."""
    faults(service="comprehend", mode="error", operations=["DetectSentiment"])
    ana = await ChatClient.join(local_cloud.ws_url, room, user="Ana")
    text = fresh("Good luck with the exam this afternoon")
    try:
        first = await ana.post(text)
        await ana.expect("held", lambda f: f["id"] == first)
        switch(local_cloud, "DELETE")
        second = await ana.post(text)  # a new client id, the same text
        ack = await ana.expect("ack", lambda f: f["id"] == second)
        assert ack["status"] == "published"
    finally:
        await ana.close()


async def test_e2e_timeout_mid_fan_out_loses_nothing(
    start_local_cloud: Callable[..., RunningCloud], tmp_path: Path, room: str
) -> None:
    """The Lambda killed by its timeout after the ack: a reader who missed it gets it on resume."""
    text = (ROOT / "template.yaml").read_text("utf-8")
    assert "      Timeout: 29\n" in text
    assert "      CodeUri: backend/\n" in text
    short = text.replace("      Timeout: 29\n", "      Timeout: 3\n").replace(
        "      CodeUri: backend/\n", f"      CodeUri: {ROOT / 'backend'}/\n"
    )
    (tmp_path / "template.yaml").write_text(short, encoding="utf-8")
    cloud = start_local_cloud("--template", str(tmp_path / "template.yaml"), "--ephemeral")
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana", lang="en")
    bea = await ChatClient.join(cloud.ws_url, room, user="Bea", lang="fr")
    try:
        # Translating for Bea (fr) is where fan-out stalls: 5 s > the 3 s timeout.
        switch(cloud, "POST", {"service": "translate", "mode": "slow", "delaySeconds": 5})
        sent = await ana.post(fresh("Dinner is ready, come to the kitchen"))
        ack = await ana.expect("ack", lambda f: f["id"] == sent, timeout=20)
        await bea.drain(4.0)
        assert [f for f in bea.seen("message") if f["messageId"] == ack["messageId"]] == []
        switch(cloud, "DELETE")

        # Bea reconnects and resumes: the message she missed is there, once.
        await bea.close()
        bea = await ChatClient.connect(cloud.ws_url, user="Bea", lang="fr")
        page = await bea.init(room, after="00000000000000-0000000000")
        ids = [m["messageId"] for m in page["messages"]]
        assert ids.count(ack["messageId"]) == 1
    finally:
        await ana.close()
        await bea.close()
