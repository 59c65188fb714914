"""A moderator on the console page, and a raw chat client: helpers for the console browser tests.

Owns: ``ConsolePage`` (sign in, filter the queue by room, find a flagged item, the audit log,
the delete and mute forms, screenshots) and ``post_as``, which sends one chat message over a raw
protocol-v2 WebSocket and returns the server's answer (``ack``, ``rejected``, ``held``, ``error``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from playwright.sync_api import BrowserContext, Locator, Page, expect
from websockets.sync.client import connect

from tests.browser.chatpage import ARTIFACTS, wait_for_frame

__all__ = ["CONSOLE_PATH", "ConsolePage", "post_as"]

CONSOLE_PATH = "moderator.html"


@dataclass
class ConsolePage:
    """One moderator in one browser context, with what the page did wrong recorded."""

    context: BrowserContext
    page: Page
    base_url: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return urljoin(self.base_url, CONSOLE_PATH)

    def open(self) -> ConsolePage:
        """Load the console (the sign-in form)."""
        self.page.goto(self.url)
        expect(self.page.get_by_role("heading", name="Moderator sign-in")).to_be_visible()
        return self

    def submit_sign_in(self, name: str, secret: str) -> None:
        """Fill the sign-in form and submit it."""
        self.page.get_by_label("Your name").fill(name)
        self.page.get_by_label("Moderator secret").fill(secret)
        self.page.get_by_role("button", name="Sign in").click()

    def sign_in(self, name: str, secret: str, *, room: str | None = None) -> ConsolePage:
        """Open the console, sign in, wait for the first queue page; filter to `room` if given."""
        self.open()
        self.submit_sign_in(name, secret)
        expect(self.page.locator("#status-text")).to_have_text("Connected")
        expect(self.page.get_by_role("heading", name="Moderator console")).to_be_visible()
        if room is not None:
            self.filter(room)
        return self

    def filter(self, room: str) -> None:
        """Show only the queue items of `room`."""
        box = self.page.get_by_role("searchbox", name="Room")
        box.fill(room)
        box.press("Enter")
        expect(self.page.locator("#filter-clear")).to_be_visible()

    def items(self) -> Locator:
        """Every queue item on screen."""
        return self.page.locator("#queue-list li.flag")

    def item(self, text: str) -> Locator:
        """The queue item whose original text is exactly `text`."""
        return self.page.locator("#queue-list li.flag").filter(
            has=self.page.locator(".flag-text", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    def tab(self, name: str) -> None:
        """Switch to a console section by its tab name."""
        self.page.get_by_role("tab", name=re.compile(name)).click()

    def audit_rows(self) -> Locator:
        """The rows of the audit log table."""
        return self.page.locator("#audit-body tr")

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        """Save a screenshot under tests/artifacts/browser/ and return its path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def post_as(
    ws_url: str, room: str, text: str, *, user: str = "Poster", lang: str = "en"
) -> dict[str, Any]:
    """Join `room` as `user` on a fresh protocol-v2 socket, send `text`, return the answer frame."""
    client_id = f"post-{uuid.uuid4().hex[:16]}"
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(
            json.dumps(
                {
                    "action": "init",
                    "v": 2,
                    "room": room,
                    "lang": lang,
                    "user": user,
                    "id": "post-join",
                }
            )
        )
        wait_for_frame(ws, lambda f: f.get("type") == "joined")
        while True:
            ws.send(json.dumps({"action": "message", "content": text, "id": client_id}))
            answer: dict[str, Any] = wait_for_frame(
                ws,
                lambda f: (
                    f.get("id") == client_id
                    and f.get("type") in ("ack", "error", "rejected", "held")
                ),
            )
            if answer.get("code") in ("RATE_LIMITED", "IN_PROGRESS"):
                time.sleep(float(answer.get("retryAfter") or 0.5))
                continue
            return answer
