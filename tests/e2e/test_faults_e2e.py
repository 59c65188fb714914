"""Faults end to end: the real Lambda on the local cloud, its language services switched to fail.

The local language services have a fault switch (``POST /_localcloud/faults``, see
``localcloud.language.faults``): throttle, error or slow, per service and operation. Each test
sets one rule, checks what the users see over real WebSockets, and clears the rule. The last test
runs its own local cloud with an 8-second function timeout: a slow Translate must end inside it.
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
        assert injected >= 3  # the guard's 3 attempts (resilience.CallPolicy), then the policy
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


async def test_e2e_comprehend_slower_than_every_timeout_is_held_in_time(
    start_local_cloud: Callable[..., RunningCloud], room: str
) -> None:
    """DetectSentiment 12 s per call: the sender gets held with its id, well before 29 s.

    Its own local cloud: the failed call counts towards the Lambda environment's circuit
    breaker, which must not carry over into the other tests' shared cloud.
    """
    cloud = start_local_cloud("--ephemeral")
    switch(
        cloud,
        "POST",
        {
            "service": "comprehend",
            "mode": "slow",
            "delaySeconds": 12,
            "operations": ["DetectSentiment"],
        },
    )
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana")
    bo = await ChatClient.join(cloud.ws_url, room, user="Bo")
    try:
        started = time.monotonic()
        sent = await ana.post(fresh("Looking forward to the concert on Friday"))
        held = await ana.expect("held", lambda f: f["id"] == sent, timeout=28)
        elapsed = time.monotonic() - started
        assert (held["reason"], held["id"]) == ("SERVICE_UNAVAILABLE", sent)
        assert held["messageId"]
        # The language calls' budget is 10 s (resilience.ResiliencePolicy), the function's 29 s.
        assert elapsed < 15.0, f"held after {elapsed:.1f} s"
        await bo.drain(0.5)
        assert bo.seen("message") == []
        assert ana.seen("error") == []  # never the gateway's bare "Internal server error"
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


async def test_e2e_slow_translate_in_a_short_function_ends_in_time(
    start_local_cloud: Callable[..., RunningCloud], tmp_path: Path, room: str
) -> None:
    """An 8 s function, Translate 8 s per call: the reader gets the original, marked, in time.

    Before the deadlines this Lambda was killed mid fan-out (the reader then had the message only
    from history; functional ``test_fault_timeout_mid_fan_out_loses_nothing`` still shows that
    case). Now the call is cut at what is left less the reserve, the reader is served live, and
    the resume from history still has the message exactly once.
    """
    text = (ROOT / "template.yaml").read_text("utf-8")
    assert "      Timeout: 29\n" in text
    assert "      CodeUri: backend/\n" in text
    short = text.replace("      Timeout: 29\n", "      Timeout: 8\n").replace(
        "      CodeUri: backend/\n", f"      CodeUri: {ROOT / 'backend'}/\n"
    )
    (tmp_path / "template.yaml").write_text(short, encoding="utf-8")
    cloud = start_local_cloud("--template", str(tmp_path / "template.yaml"), "--ephemeral")
    assert cloud.log_path is not None
    log_start = cloud.log_path.stat().st_size  # the log file is appended to across runs
    ana = await ChatClient.join(cloud.ws_url, room, user="Ana", lang="en")
    bea = await ChatClient.join(cloud.ws_url, room, user="Bea", lang="fr")
    try:
        switch(cloud, "POST", {"service": "translate", "mode": "slow", "delaySeconds": 8})
        started = time.monotonic()
        content = fresh("Dinner is ready, come to the kitchen")
        sent = await ana.post(content)
        ack = await ana.expect("ack", lambda f: f["id"] == sent, timeout=20)
        got = await bea.expect("message", lambda f: f["messageId"] == ack["messageId"], timeout=20)
        elapsed = time.monotonic() - started
        assert (got["text"], got["translation"]) == (content, "unavailable")
        assert elapsed < 8.0, f"delivered after {elapsed:.1f} s"  # the function's timeout
        assert switch(cloud, "GET")["translate"]["injected"] >= 1  # a call was made, and cut
        switch(cloud, "DELETE")
        assert b"Task timed out" not in cloud.log_path.read_bytes()[log_start:]

        # Bea reconnects and resumes: the message is in history, once.
        await bea.close()
        bea = await ChatClient.connect(cloud.ws_url, user="Bea", lang="fr")
        page = await bea.init(room, after="00000000000000-0000000000")
        ids = [m["messageId"] for m in page["messages"]]
        assert ids.count(ack["messageId"]) == 1
    finally:
        await ana.close()
        await bea.close()
