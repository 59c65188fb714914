"""A web page on another origin cannot drive the local cloud's control endpoints (Chromium).

Any page the developer opens can send a ``no-cors`` POST to 127.0.0.1: it cannot read the
answer, but the request used to be acted on, so a page could switch on faults
(``/_localcloud/faults`` on the language services) or wipe moto's state, the moderator secret
with it (``/moto-api/reset``). Here a page served from another origin sends exactly those
requests from Chromium; the switch stays off and the secret stays.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

NO_CORS = """
async ([url, body]) => {
  try {
    await fetch(url, {method: 'POST', mode: 'no-cors', body});
    return 'sent';
  } catch (err) {
    return 'failed: ' + err;
  }
}
"""


@pytest.fixture
def foreign_page(tmp_path: Path) -> Iterator[str]:
    """An empty page on its own origin (a port of its own), like any other site's page."""
    (tmp_path / "index.html").write_text("<!doctype html><title>elsewhere</title>")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _faults(local_cloud: Any) -> Any:
    with urllib.request.urlopen(f"{local_cloud.language_url}/_localcloud/faults",
                                timeout=10) as response:
        return json.loads(response.read())


def test_a_foreign_page_cannot_switch_faults_or_reset_moto(
    browser: Browser, local_cloud: Any, foreign_page: str
) -> None:
    """no-cors POSTs from a page on another origin reach the servers and are refused."""
    before = _faults(local_cloud)
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(foreign_page)  # another origin than both servers
    rule = json.dumps({"service": "comprehend", "mode": "error", "rate": 1.0})
    assert page.evaluate(NO_CORS, [f"{local_cloud.language_url}/_localcloud/faults", rule]) == (
        "sent"
    )
    assert page.evaluate(NO_CORS, [f"{local_cloud.urls['ssm']}/moto-api/reset", ""]) == "sent"
    context.close()

    assert _faults(local_cloud) == before
    ssm = boto3.client("ssm", endpoint_url=local_cloud.urls["ssm"], region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    assert ssm.describe_parameters()["Parameters"], "moto was reset: the moderator secret is gone"
