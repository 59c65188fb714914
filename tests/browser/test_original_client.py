"""The 2019 original page, unmodified, against the local cloud: v1 text is shown, never run.

The original client (``../shared/original-client/``, Apache-2.0, never copied into the project)
inserts each v1 message object with ``innerHTML`` and strips only *closed* tags, so an unclosed
tag typed by a v2 client (``<img src=x onerror=... x=``) would run in every original page, live
and again from history, and ``<details open ontoggle=...`` would fire again on every later
message (each one re-parses the whole log). The v1 renderer HTML-escapes every text field; this
test serves the original's files from a temporary folder, exactly as they are, and checks that
no dialog opens, no element is injected and the text is shown literally.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

ORIGINAL = Path(__file__).resolve().parents[3] / "shared" / "original-client"
PAYLOADS = [
    "good morning friends <img src=x onerror=alert(document.domain) x=",
    "good morning friends <details open ontoggle=alert(7) x=",
]
LATER = "and a lovely afternoon to all of you, dear friends"
# Elements only a payload could have put in the original page's log.
INJECTED = "() => [...document.querySelectorAll('#chat img, #chat details, #chat script')].length"


@pytest.fixture
def original_site(tmp_path: Path, local_cloud: Any) -> Iterator[str]:
    """The original page's files, unmodified, served from tmp_path, pointed at the local cloud."""
    if not (ORIGINAL / "index.html").is_file():
        pytest.fail(f"the original client is missing at {ORIGINAL}")
    site = tmp_path / "original"
    site.mkdir()
    for name in ("index.html", "index.js"):
        shutil.copyfile(ORIGINAL / name, site / name)
    (site / "wss-uri.txt").write_text(local_cloud.ws_url, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _open(browser: Browser, url: str, dialogs: list[str]) -> Page:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    return page


def test_original_client_shows_unclosed_markup_literally_live_and_from_history(
    browser: Browser,
    original_site: str,
    seed: Callable[..., list[str]],
    room: str,
) -> None:
    """A v2 client's unclosed tags reach the original page as text: nothing runs, ever."""
    dialogs: list[str] = []
    url = original_site + "?" + urlencode({"user": "Cy", "room": room, "lang": "en"})
    live = _open(browser, url, dialogs)
    expect(live.locator("#room-info")).to_contain_text(room)
    live.wait_for_function("() => document.querySelector('#send-form') !== null")
    live.wait_for_timeout(500)  # the init frame is on its way: the page is in the room

    seed(room, PAYLOADS, user="Ana")
    for text in PAYLOADS:
        expect(live.locator("#chat")).to_contain_text(text)
    seed(room, [LATER], user="Ana")  # re-parses the whole log: <details> would toggle again
    expect(live.locator("#chat")).to_contain_text(LATER)

    history = _open(browser, url, dialogs)  # joins after: the same messages through history
    for text in [*PAYLOADS, LATER]:
        expect(history.locator("#chat")).to_contain_text(text)
    seed(room, [LATER + " again"], user="Ana")
    for page in (live, history):
        expect(page.locator("#chat")).to_contain_text(LATER + " again")
    live.wait_for_timeout(1000)  # time for an image error or a toggle event to fire

    for page in (live, history):
        assert page.evaluate(INJECTED) == 0
        log = page.locator("#chat").inner_text()
        for text in PAYLOADS:
            assert log.count(text) == 1, log
    assert dialogs == []
    for page in (live, history):
        page.context.close()


def test_original_client_detector_catches_a_dialog(browser: Browser, original_site: str) -> None:
    """The check above would see a run: the original's own line around unescaped text (its
    ``</p>`` completes the unclosed tag) makes an image whose error handler opens a dialog."""
    dialogs: list[str] = []
    page = _open(browser, original_site, dialogs)  # no user/room: the sign-in form, no socket
    page.evaluate(
        "() => { document.getElementById('chat').innerHTML += "
        "'<p>[en] good morning friends <img src=x onerror=alert(document.domain) x=</p>'; }"
    )
    page.wait_for_function("() => document.querySelector('#chat img') !== null")
    deadline = 50
    while not dialogs and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert dialogs == ["127.0.0.1"]
    page.context.close()
