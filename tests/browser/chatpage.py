"""A person on the chat page: Playwright helpers shared by the browser tests."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import BrowserContext, Page, expect

__all__ = ["ARTIFACTS", "DESKTOP", "PHONE", "ChatPage", "wait_for_frame"]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@dataclass
class ChatPage:
    """One person in one browser context, with what the page did wrong recorded."""

    context: BrowserContext
    page: Page
    base_url: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, **query: str) -> ChatPage:
        """Load the page with a query string such as room= and lang=."""
        url = self.base_url + (("?" + urlencode(query)) if query else "")
        self.page.goto(url)
        return self

    def join(self, name: str, room: str, lang: str) -> ChatPage:
        """Open the room's link, type a name and join; wait until connected."""
        self.open(room=room, lang=lang)
        # By id, not by label: the page speaks the reading language (an Arabic reader's is Arabic).
        self.page.locator("#entry-name").fill(name)
        self.page.locator("#entry-form button[type=submit]").click()
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        """Wait for the status indicator to say the room is joined (in any UI language)."""
        expect(self.page.locator("#connection-status")).to_have_attribute("data-state", "ok")

    def send(self, text: str) -> None:
        """Type a message and press Enter."""
        box = self.page.locator("#composer-input")
        box.fill(text)
        box.press("Enter")

    def messages(self) -> Any:
        """The published message rows (not pending ones)."""
        return self.page.locator("#message-log li.msg")

    def message(self, text: str) -> Any:
        """The published message row whose shown text is exactly `text`."""
        return self.page.locator("#message-log li.msg").filter(
            has=self.page.locator(".msg-text", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    def written(self, row: Any) -> Any:
        """The text its author wrote, in a row: the original under a translation, else the text."""
        original = row.locator(".msg-original-text")
        return original if original.count() else row.locator(".msg-text")

    def message_ids(self) -> list[str]:
        """The message ids of all rows, in page order."""
        ids: list[str] = self.page.eval_on_selector_all(
            "#message-log li.msg", "rows => rows.map(r => r.dataset.messageId)"
        )
        return ids

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        """Save a screenshot under tests/artifacts/browser/ and return its path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def wait_for_frame(
    ws: Any, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0
) -> Any:
    """The first frame from `ws` that satisfies `predicate` (TimeoutError after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the expected frame did not arrive")
        frame = json.loads(ws.recv(timeout=remaining))
        if isinstance(frame, dict) and predicate(frame):
            return frame
