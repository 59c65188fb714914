"""The chat page in a room above the presence cap: the count from the frame, in the page's
language, and a last "and N more" row (docs/protocol.md, "presence"; config.PRESENCE_*)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.chatpage import ChatPage

pytestmark = pytest.mark.browser

Chat = Callable[..., ChatPage]


def test_a_large_room_shows_the_count_and_how_many_more(
    chat: Chat, room: str, crowd: Callable[..., list[str]]
) -> None:
    """110 guests and Zoë: 100 listed (Zoë among them), "(111)" and "und 11 weitere Personen";
    her next join (switching the reading language) shows the guest who came since."""
    crowd(room, 1, 110)
    zoe = chat().join("Zoë", room, "de")
    members = zoe.page.locator("#member-list li")
    expect(zoe.page.locator("#member-count")).to_have_text("(111)")
    expect(members).to_have_count(101)  # 100 members and the "more" row
    expect(members.first).to_contain_text("Zoë")
    expect(members.first).to_contain_text("(du)")
    expect(members.nth(1)).to_contain_text("Guest 001")
    expect(members.nth(99)).to_contain_text("Guest 099")
    more = zoe.page.locator("#member-list li.member-more")
    expect(more).to_have_text("und 11 weitere Personen")
    expect(more.locator("*")).to_have_count(0)  # text, no markup
    zoe.shot("large-room-members")

    crowd(room, 111, 111)  # a join in a large room: nobody else is told
    zoe.page.locator("#room-lang").select_option("en")  # Zoë's next join refreshes her list
    zoe.wait_connected()
    expect(zoe.page.locator("#member-count")).to_have_text("(112)")
    expect(more).to_have_text("and 12 more")
    expect(members).to_have_count(101)
