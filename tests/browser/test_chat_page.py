"""The chat page in a real Chromium against the local cloud: chatting, refusals, history, resume,
safety, keyboard use and a phone-sized screen."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.browser.chatpage import PHONE, ChatPage

pytestmark = pytest.mark.browser

Chat = Callable[..., ChatPage]


def test_two_people_chat_in_different_languages(chat: Chat, room: str) -> None:
    """Messages reach the other reader; Arabic has no offline translation, so both are marked."""
    ana = chat().join("Ana", room, "en")
    sami = chat().join("سامي", room, "ar")

    expect(ana.page.locator("#message-log .notice", has_text="سامي joined")).to_be_visible()
    expect(ana.page.locator("#member-list")).to_contain_text("سامي")
    expect(sami.page.locator("#member-list")).to_contain_text("Ana")

    ana.send("Good morning everyone, the weather in Paris is lovely today!")
    arrived = sami.message("Good morning everyone, the weather in Paris is lovely today!")
    expect(arrived).to_have_count(1)
    expect(arrived.locator(".msg-author")).to_have_text("Ana")
    expect(arrived.locator(".badge-untranslated")).to_contain_text("غير مترجمة")  # Arabic UI
    expect(arrived.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))

    sami.send("صباح الخير للجميع، أتمنى لكم يوما سعيدا وجميلا")
    reply = ana.message("صباح الخير للجميع، أتمنى لكم يوما سعيدا وجميلا")
    expect(reply).to_have_count(1)
    expect(reply.locator(".msg-text")).to_have_attribute("dir", "rtl")
    expect(reply.locator(".badge-untranslated")).to_be_visible()

    mine = ana.message("Good morning everyone, the weather in Paris is lovely today!")
    expect(mine).to_have_class(re.compile(r"\bmsg-own\b"))
    expect(mine.locator(".badge-untranslated")).to_have_count(0)
    ana.shot("two-people-ana")
    sami.shot("two-people-sami")


def test_translated_message_shows_the_translation_and_keeps_the_original(
    chat: Chat, room: str
) -> None:
    """English to French is translated offline: French text, a badge, the original on demand."""
    ana = chat().join("Ana", room, "en")
    lea = chat().join("Léa", room, "fr")
    original = "Good morning my friends, see you tomorrow at the station!"

    ana.send(original)
    row = lea.page.locator("#message-log li.msg").filter(
        has=lea.page.locator(".msg-original-text", has_text=original)
    )
    expect(row).to_have_count(1)
    # Léa reads in French, so the page speaks French: the source language named in French too.
    expect(row.locator(".badge", has_text="Traduit de : anglais")).to_be_visible()
    expect(row.locator(".badge-untranslated")).to_have_count(0)
    shown = row.locator(".msg-text").first
    expect(shown).not_to_have_text(original)
    expect(shown).to_contain_text("amis")
    expect(shown).to_have_attribute("lang", "fr")
    lea.shot("translated-lea")


def test_negative_message_is_refused_and_the_draft_kept(chat: Chat, room: str) -> None:
    """A negative message reaches nobody; its author gets a notice and keeps the text."""
    author = chat().join("Riley", room, "en")
    reader = chat().join("Kim", room, "en")
    text = "I hate you, this is awful and stupid"

    author.send(text)
    notice = author.page.locator("#composer-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("find a better way")
    expect(author.page.get_by_label("Message", exact=True)).to_have_value(text)
    expect(author.page.locator("#outbox li")).to_have_count(0)
    author.shot("refused")

    kind = "Thanks for listening, I really appreciate it"
    author.page.get_by_label("Message", exact=True).fill(kind)
    author.page.get_by_label("Message", exact=True).press("Enter")
    expect(reader.message(kind)).to_have_count(1)
    expect(reader.message(text)).to_have_count(0)
    expect(author.message(text)).to_have_count(0)


def test_history_shows_the_latest_and_loads_older(
    chat: Chat, room: str, seed: Callable[..., list[str]]
) -> None:
    """Joining shows the latest page; scrolling up loads the older ones, in order, once each."""
    ids = seed(room, [f"Note number {n:02d}" for n in range(1, 61)])
    reader = chat().join("Lee", room, "en")

    expect(reader.message("Note number 60")).to_be_visible()
    expect(reader.messages()).to_have_count(50)
    expect(reader.page.get_by_role("button", name="Load older messages")).to_be_visible()

    reader.page.locator("#log-scroller").evaluate("el => { el.scrollTop = 0; }")
    expect(reader.messages()).to_have_count(60)
    expect(reader.page.locator("#history-start")).to_contain_text("beginning")
    assert reader.message_ids() == ids
    expect(reader.messages().first.locator(".msg-text")).to_have_text("Note number 01")
    reader.shot("history-loaded")


def test_reload_resumes_without_duplicates(chat: Chat, room: str) -> None:
    """After a reload the tab is back in the room and every message shows exactly once."""
    person = chat().join("Noor", room, "en")
    for n in range(1, 4):
        person.send(f"Message {n} before the reload")
        expect(person.message(f"Message {n} before the reload")).to_have_count(1)

    person.page.reload()
    person.wait_connected()
    expect(person.page.locator("#room-name")).to_have_text(room)
    expect(person.messages()).to_have_count(3)
    person.send("Message after the reload")
    expect(person.messages()).to_have_count(4)
    ids = person.message_ids()
    assert len(set(ids)) == len(ids) == 4


def test_dropped_connection_resumes_with_no_gap_or_duplicate(chat: Chat, room: str) -> None:
    """Offline then online: the page reconnects, fetches what it missed and sends what it queued."""
    stays = chat().join("Avery", room, "en")
    drops = chat().join("Blake", room, "en")
    stays.send("Good morning, lovely to see you")
    expect(drops.message("Good morning, lovely to see you")).to_have_count(1)

    drops.context.set_offline(True)
    expect(drops.page.locator("#status-text")).to_have_text("Offline")
    stays.send("Great news while Blake was away")
    stays.send("Wonderful, and one more thing")
    drops.send("Happy to be back, thanks")
    pending = drops.page.locator("#outbox li")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Waiting for network")
    drops.shot("offline")

    drops.context.set_offline(False)
    drops.wait_connected()
    expect(drops.message("Great news while Blake was away")).to_have_count(1)
    expect(drops.message("Wonderful, and one more thing")).to_have_count(1)
    expect(stays.message("Happy to be back, thanks")).to_have_count(1)
    expect(drops.message("Happy to be back, thanks")).to_have_count(1)
    expect(pending).to_have_count(0)
    for person in (stays, drops):
        ids = person.message_ids()
        assert len(ids) == 4
        assert len(set(ids)) == 4
        assert ids == sorted(ids)


def test_reconnect_countdown_and_retry_now(chat: Chat, room: str) -> None:
    """A server that keeps closing: the indicator counts down; "Retry now" reconnects at once."""
    person = chat().join("Casey", room, "en")
    refuse = True

    def gateway(ws: WebSocketRoute) -> None:
        if refuse:
            ws.close(code=1011, reason="unavailable")
        else:
            ws.connect_to_server()

    person.page.route_web_socket(re.compile(r"^wss?://"), gateway)
    person.context.set_offline(True)  # drop the open socket; the next ones meet the route
    expect(person.page.locator("#status-text")).to_have_text("Offline")
    person.context.set_offline(False)
    status = person.page.locator("#status-text")
    detail = person.page.locator("#status-detail")
    retry = person.page.get_by_role("button", name="Retry now")
    expect(status).to_have_text("Reconnecting…")
    expect(retry).to_be_visible()
    # Backoff grows with each refusal: wait for a wait over 3 s, long enough to see it tick.
    expect(detail).to_have_text(re.compile(r"next try in ([4-9]|\d\d+) s"), timeout=30_000)
    first = detail.text_content()
    expect(detail).not_to_have_text(first or "", timeout=2_500)  # ticks once a second
    refuse = False
    retry.click()
    person.wait_connected()
    expect(retry).to_be_hidden()
    expect(detail).to_have_text("")
    person.send("Back after the outage")
    expect(person.message("Back after the outage")).to_have_count(1)


def test_gateway_throttle_answer_is_retried_with_the_same_id(chat: Chat, room: str) -> None:
    """API Gateway's bare "Too Many Requests" (no client id): the page sends the message again,
    with the same id, and it is published once."""
    person = chat().open(room=room, lang="en")
    sent: list[dict[str, Any]] = []
    throttled = {"done": False}

    def gateway(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("action") == "message":
                sent.append(frame)
                if not throttled["done"]:  # the stage throttle takes the first try
                    throttled["done"] = True
                    ws.send(json.dumps({"message": "Too Many Requests",
                                        "connectionId": "c", "requestId": "r"}))
                    return
            server.send(message)

        ws.on_message(from_page)

    person.page.route_web_socket(re.compile(r"^wss?://"), gateway)
    person.page.get_by_label("Your name").fill("Tess")
    person.page.get_by_role("button", name="Join the room").click()
    person.wait_connected()
    person.send("Busy day, but all good here")
    expect(person.message("Busy day, but all good here")).to_have_count(1)
    expect(person.page.locator("#outbox li")).to_have_count(0)
    assert len(sent) == 2
    assert sent[0]["id"] == sent[1]["id"]


MARKUP = "Nice! Tags look like <img src=x onerror=alert(1)> and <script>alert(2)</script> :)"


def test_markup_in_a_message_is_shown_as_text(chat: Chat, room: str) -> None:
    """HTML in a message is displayed literally, never parsed or run (no dialog opens)."""
    sender = chat().join("Mallory", room, "en")
    reader = chat().join("Ruth", room, "fr")
    sender.send(MARKUP)
    for person in (sender, reader):
        row = person.message(MARKUP)
        expect(row).to_have_count(1)
        expect(person.written(row)).to_have_text(MARKUP)
        expect(person.page.locator("#message-log img, #message-log script")).to_have_count(0)
    # The French reader's translation keeps the markup as literal text too (word for word:
    # Apertium may move or translate the words between the brackets, never run them).
    translated = reader.message(MARKUP).locator(".msg-text").first
    expect(translated).to_contain_text("<img src=x onerror=")
    reader.page.wait_for_timeout(300)  # give an injected handler every chance to fire
    assert sender.dialogs == reader.dialogs == []
    reader.shot("markup")


def test_keyboard_only_flow(chat: Chat, room: str) -> None:
    """Join, write a two-line message and send it with the keyboard alone; focus lands sensibly."""
    person = chat().open(room=room, lang="en")
    page = person.page
    keyboard = page.keyboard
    expect(page.get_by_label("Your name")).to_be_focused()  # the first thing to fill
    keyboard.type("Kai")
    keyboard.press("Tab")
    room_box = page.get_by_role("textbox", name="Room", exact=True)
    expect(room_box).to_be_focused()
    expect(room_box).to_have_value(room)
    keyboard.press("Tab")
    expect(page.get_by_label("Read messages in", exact=True)).to_be_focused()
    keyboard.press("Tab")
    expect(page.get_by_role("button", name="Join the room")).to_be_focused()
    keyboard.press("Enter")
    person.wait_connected()

    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_focused()
    keyboard.type("First line")
    keyboard.press("Shift+Enter")
    keyboard.type("second line")
    expect(box).to_have_value("First line\nsecond line")
    keyboard.press("Enter")
    expect(person.message("First line\nsecond line")).to_have_count(1)
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    person.shot("keyboard")


def test_phone_sized_viewport(chat: Chat, room: str) -> None:
    """On a phone the room fits the width; people and room tools open from a button."""
    phone = chat(viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="dark")
    phone.join("Sam", room, "en")
    text = "Hello from a small screen, this line is long enough to wrap nicely"
    phone.send(text)
    expect(phone.message(text)).to_be_visible()

    overflow: Any = phone.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    sidebar = phone.page.locator("#sidebar")
    expect(sidebar).not_to_be_in_viewport()
    phone.shot("phone-room")
    toggle = phone.page.get_by_role("button", name="People & room")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_be_in_viewport(ratio=1)  # slid fully in
    expect(phone.page.locator("#member-list")).to_contain_text("Sam")
    phone.shot("phone-sidebar")
    phone.page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(sidebar).not_to_be_in_viewport()


def test_change_language_keeps_the_name(chat: Chat, room: str) -> None:
    """Switching the reading language rejoins the same room as the same person."""
    person = chat().join("Jo", room, "en")
    person.send("A message before switching")
    expect(person.message("A message before switching")).to_have_count(1)
    person.page.get_by_label("Reading language").select_option("de")
    person.wait_connected()
    expect(person.page).to_have_url(re.compile(r"lang=de"))
    expect(person.message("A message before switching")).to_have_count(1)
    expect(person.page.locator("#member-list")).to_contain_text("Deutsch")
    expect(person.page.locator("#member-list")).to_contain_text("Jo")


def test_new_messages_pill_when_scrolled_up(
    chat: Chat, room: str, seed: Callable[..., list[str]]
) -> None:
    """A reader who scrolled up is not yanked down; a pill offers the new messages instead."""
    seed(room, [f"Earlier note {n:02d}" for n in range(1, 31)])
    reader = chat().join("Ira", room, "en")
    expect(reader.message("Earlier note 30")).to_be_in_viewport()
    scroller = reader.page.locator("#log-scroller")
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")

    seed(room, ["A fresh and friendly note"], user="Writer")
    pill = reader.page.get_by_role("button", name=re.compile("new message"))
    expect(pill).to_be_visible()
    expect(reader.message("A fresh and friendly note")).not_to_be_in_viewport()
    pill.click()
    expect(reader.message("A fresh and friendly note")).to_be_in_viewport()
    expect(pill).to_be_hidden()
