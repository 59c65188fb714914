"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, against the local cloud.

Owns: one headless Chromium per test session (the system's ``/usr/bin/chromium``, installed by
``scripts/setup --dev``; Playwright never downloads a browser here), a ``chat`` factory that opens
the page in a fresh browser context (own storage, viewport, colour scheme) and records page
errors and dialogs, helpers to join a room and to read what the page shows, a ``seed`` helper
that posts messages over a raw WebSocket, a ``crowd`` helper that fills a room with readers over
raw WebSockets, and screenshots saved under ``tests/artifacts/browser``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, expect, sync_playwright
from websockets.sync.client import connect

from tests.browser.chatpage import DESKTOP, ChatPage, wait_for_frame

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


# The local cloud shares two cores with everything else: be patient, but not forever.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium for one test module.

    Module scope, not session: Playwright's sync API keeps an event loop running in the main
    thread while it is open, and every asyncio test that runs after it would then fail.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup --dev (installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def chat(browser: Browser, local_cloud: Any) -> Iterator[Callable[..., ChatPage]]:
    """A factory of fresh browser contexts on the local cloud's page; checks for page errors."""
    opened: list[ChatPage] = []

    def open_context(
        *, viewport: dict[str, int] | None = None, color_scheme: str = "light", **options: Any
    ) -> ChatPage:
        context = browser.new_context(
            viewport=viewport or DESKTOP, color_scheme=color_scheme, **options  # type: ignore[arg-type]
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        person = ChatPage(context=context, page=page, base_url=local_cloud.page_url)
        page.on("pageerror", lambda err: person.errors.append(str(err)))
        page.on("console", lambda msg: msg.type == "error" and person.errors.append(msg.text))

        def on_dialog(dialog: Dialog) -> None:
            person.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        opened.append(person)
        return person

    yield open_context
    for person in opened:
        person.context.close()
    for person in opened:
        assert person.dialogs == [], f"a dialog opened: {person.dialogs}"
        # A dropped socket is logged by Chromium itself while offline; page code must not fail.
        unexpected = [e for e in person.errors if "WebSocket connection" not in e]
        assert unexpected == [], f"the page logged errors: {unexpected}"


@pytest.fixture
def seed(local_cloud: Any) -> Callable[[str, list[str]], list[str]]:
    """Post messages to a room over a raw protocol-v2 WebSocket; return their message ids."""

    def post(room: str, texts: list[str], *, user: str = "Seeder", lang: str = "en") -> list[str]:
        ids: list[str] = []
        batch = uuid.uuid4().hex[:12]  # client ids are deduplicated by the server: never reuse
        with connect(local_cloud.ws_url, open_timeout=10) as ws:
            ws.send(json.dumps({"action": "init", "v": 2, "room": room, "lang": lang,
                                "user": user, "id": "seed-join"}))
            wait_for_frame(ws, lambda f: f.get("type") == "joined")
            for index, text in enumerate(texts):
                client_id = f"seed-{batch}-{index}"
                while True:
                    ws.send(json.dumps({"action": "message", "content": text, "id": client_id}))
                    answer = wait_for_frame(
                        ws, lambda f, cid=client_id: f.get("id") == cid
                        and f.get("type") in ("ack", "error", "rejected", "held"),
                    )
                    if answer.get("code") in ("RATE_LIMITED", "IN_PROGRESS"):
                        time.sleep(float(answer.get("retryAfter") or 0.5))
                        continue
                    assert answer["type"] == "ack", answer
                    ids.append(answer["messageId"])
                    break
        return ids

    return post  # type: ignore[return-value]


@pytest.fixture
def crowd(local_cloud: Any) -> Iterator[Callable[..., list[str]]]:
    """Fill a room with named readers ("Guest 001"...), each its own protocol-v2 WebSocket, open
    until the test ends; return their names."""
    with ExitStack() as sockets:
        lock = threading.Lock()

        def one(room: str, number: int) -> str:
            # max_queue=None: the frames a guest never reads must not stop its socket reading.
            with lock:
                ws = sockets.enter_context(
                    connect(local_cloud.ws_url, open_timeout=10, max_queue=None)
                )
            name = f"Guest {number:03d}"
            ws.send(json.dumps({"action": "init", "v": 2, "room": room, "lang": "en",
                                "user": name, "id": "crowd-join"}))
            answer = wait_for_frame(ws, lambda f: f.get("id") == "crowd-join")
            assert answer["type"] == "joined", answer
            return name

        def fill(room: str, first: int, last: int) -> list[str]:
            with ThreadPoolExecutor(8) as pool:
                return list(pool.map(lambda number: one(room, number), range(first, last + 1)))

        yield fill
