"""Control endpoints refuse what a web page sends: the fault switch and moto's ``/moto-api/``.

A page on any site can send a ``no-cors`` POST to ``127.0.0.1``: the browser adds a foreign
``Origin`` (and ``Sec-Fetch-Site: cross-site``) and can only send a ``text/plain``, form or
multipart body. ``localcloud.guard`` refuses those; tools (no ``Origin``, JSON bodies) pass.
The same no-cors POST from a real Chromium page is in tests/browser/test_control_endpoints.py.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import pytest
import pytest_asyncio
from localcloud.cloud import _guarded_moto_server
from localcloud.guard import browser_refusal
from localcloud.language.server import FAULTS_PATH, LanguageServer

RULE = {"service": "comprehend", "mode": "error"}


@pytest.mark.parametrize(
    ("headers", "require_json", "refused"),
    [
        ({}, False, False),
        ({"Content-Type": "application/json"}, True, False),
        ({"Content-Type": "application/json; charset=utf-8"}, True, False),
        ({"Origin": "http://127.0.0.1:8001", "Content-Type": "application/json"}, True, False),
        ({"Sec-Fetch-Site": "same-origin"}, False, False),
        ({"Origin": "https://evil.example"}, False, True),
        ({"Origin": "http://127.0.0.1:8000"}, False, True),  # another port: another origin
        ({"Origin": "null"}, False, True),
        ({"sec-fetch-site": "cross-site"}, False, True),
        ({"Sec-Fetch-Site": "same-site"}, False, True),
        ({"Content-Type": "text/plain;charset=UTF-8"}, True, True),
        ({}, True, True),
    ],
    ids=[
        "tool", "json", "json-charset", "same-origin", "fetch-same-origin", "foreign-origin",
        "other-port", "null-origin", "cross-site", "same-site", "text-plain", "no-type",
    ],
)
def test_browser_refusal(headers: dict[str, str], require_json: bool, refused: bool) -> None:
    """What a page sends on its own is refused; what a tool sends passes."""
    reason = browser_refusal(headers, host="127.0.0.1:8001", require_json=require_json)
    assert (reason is not None) == refused


@pytest_asyncio.fixture
async def language() -> AsyncIterator[LanguageServer]:
    server = LanguageServer()
    await server.start()
    yield server
    await server.stop()


def _call(url: str, method: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


async def test_fault_switch_refuses_what_a_web_page_sends(language: LanguageServer) -> None:
    """A no-cors POST (text/plain, foreign Origin), a cross-site one, a foreign DELETE: 403 and
    the switch unchanged; the test tools' own JSON requests still set and clear rules."""
    url = language.url + FAULTS_PATH
    body = json.dumps(RULE).encode()
    clear = language.faults.snapshot()
    no_cors = {"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://evil.example",
               "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
    for method, data, headers in (
        ("POST", body, no_cors),
        ("POST", body, {"Content-Type": "text/plain;charset=UTF-8"}),
        ("POST", body, {"Content-Type": "application/json", "Origin": "https://evil.example"}),
        ("POST", body, {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}),
        ("POST", body, {"Content-Type": "application/x-www-form-urlencoded"}),
        ("DELETE", None, {"Origin": "https://evil.example"}),
        ("GET", None, {"Sec-Fetch-Site": "cross-site"}),
    ):
        status, answer = await asyncio.to_thread(_call, url, method, data, headers)
        assert status == 403, (method, headers)
        assert "error" in answer
    assert language.faults.snapshot() == clear  # nothing was set

    status, _ = await asyncio.to_thread(
        _call, url, "POST", body, {"Content-Type": "application/json"}
    )
    assert status == 200
    assert language.faults.snapshot() != clear
    status, _ = await asyncio.to_thread(_call, url, "DELETE", None, {})
    assert status == 200
    assert language.faults.snapshot() == clear


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = _guarded_moto_server("127.0.0.1")
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_moto_api_refuses_what_a_web_page_sends(moto_server: str) -> None:
    """moto's /moto-api/reset would wipe the moderator secret: a page cannot call it, boto3 still
    reads and writes parameters."""
    ssm = boto3.client("ssm", endpoint_url=moto_server, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ssm.put_parameter(Name="/p", Value="kept", Type="SecureString")
    for headers in (
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
         "Content-Type": "text/plain;charset=UTF-8"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ):
        status, answer = _call(f"{moto_server}/moto-api/reset", "POST", b"", headers)
        assert status == 403
        assert "error" in answer
    assert ssm.get_parameter(Name="/p", WithDecryption=True)["Parameter"]["Value"] == "kept"
