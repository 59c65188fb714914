"""`scripts/smoke` as CI runs it: a subprocess against a real local cloud (port 0). It passes on
a working stage and fails, naming the check, on a stage that refuses nothing."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scripts" / "smoke"
CHECKS = ("join", "presence", "translate", "refuse", "history", "resume", "moderation",
          "410-cleanup")


def _smoke(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SMOKE), *args], capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=ROOT)


def _outcomes(stdout: str) -> dict[str, str]:
    """Check name -> PASS/FAIL/SKIP, from the per-check lines."""
    found = {}
    for line in stdout.splitlines():
        outcome, _, rest = line.partition(" ")
        if outcome in ("PASS", "FAIL", "SKIP"):
            found[next(c for c in CHECKS if rest.startswith(c))] = outcome
    return found


class _AllPositive(BaseHTTPRequestHandler):
    """A Comprehend endpoint (JSON 1.1) that finds every text positive and English."""

    ANSWERS: dict[str, Any] = {  # noqa: RUF012 - read only
        "Comprehend_20171127.DetectDominantLanguage": {
            "Languages": [{"LanguageCode": "en", "Score": 0.99}]
        },
        "Comprehend_20171127.DetectSentiment": {
            "Sentiment": "POSITIVE",
            "SentimentScore": {"Positive": 0.99, "Negative": 0.0, "Neutral": 0.01, "Mixed": 0.0},
        },
        "Comprehend_20171127.DetectEntities": {"Entities": []},
    }

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(self.ANSWERS.get(self.headers.get("X-Amz-Target", ""), {})).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def all_positive_comprehend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AllPositive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_smoke_passes_against_the_local_cloud(start_local_cloud: Callable[..., Any]) -> None:
    """Every check passes (none skipped: the local cloud translates en -> es) and exit is 0."""
    cloud = start_local_cloud()  # its own: the failed sign-in counts against 127.0.0.1
    try:
        result = _smoke(cloud.ws_url)
    finally:
        cloud.stop()  # not kept for the session: each local cloud runs its own environments
    assert result.returncode == 0, result.stdout + result.stderr
    assert _outcomes(result.stdout) == dict.fromkeys(CHECKS, "PASS"), result.stdout
    assert result.stdout.rstrip().endswith("8 checks: 8 passed, 0 failed, 0 skipped")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_smoke_fails_a_stage_that_refuses_nothing(
    start_local_cloud: Callable[..., Any], all_positive_comprehend: str
) -> None:
    """With a sentiment service that calls everything positive, `refuse` and `history` fail
    (the hostile message is published) and the exit status is 1; the rest still pass."""
    cloud = start_local_cloud("--env", f"AWS_ENDPOINT_URL_COMPREHEND={all_positive_comprehend}")
    try:
        result = _smoke(cloud.ws_url)
    finally:
        cloud.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    outcomes = _outcomes(result.stdout)
    assert outcomes["refuse"] == "FAIL"
    assert outcomes["history"] == "FAIL"
    assert {k for k, v in outcomes.items() if v == "PASS"} == set(CHECKS) - {"refuse", "history"}
    assert "2 failed" in result.stdout.splitlines()[-1]


def test_smoke_refuses_a_url_that_is_not_a_websocket() -> None:
    """A usage error exits 2 with a message, before connecting anywhere."""
    result = _smoke("http://127.0.0.1:1/local", timeout=30)
    assert result.returncode == 2
    assert "must start with ws:// or wss://" in result.stderr


def test_smoke_fails_when_nothing_listens() -> None:
    """An unreachable stage fails every check, with exit status 1 (never a crash)."""
    result = _smoke("ws://127.0.0.1:9/local", "--timeout", "2", timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert _outcomes(result.stdout) == dict.fromkeys(CHECKS, "FAIL")
    assert "could not connect" in result.stdout
