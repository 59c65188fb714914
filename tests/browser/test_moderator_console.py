"""The moderator console in a real Chromium against the local cloud: sign-in, the live queue,
approve/reject (by mouse and by keyboard), mute, delete, the audit log, races and safety."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, WebSocketRoute, expect

from tests.browser.chatpage import DESKTOP, PHONE, ChatPage
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.consolepage import ConsolePage, post_as

pytestmark = pytest.mark.browser

SECRET = "correct horse battery staple"
SECRET_ENV = {"POSITIVE_CHAT_MODERATOR_SECRET": SECRET}
NEGATIVE = "I hate you, this is awful and stupid"
AUTH_WINDOW_SECONDS = 15 * 60  # docs/protocol.md: 5 failed sign-ins per 15-minute window

Chat = Callable[..., ChatPage]
Console = Callable[..., ConsolePage]


@pytest.fixture(scope="module")
def local_cloud(start_local_cloud: Callable[..., Any]) -> Any:
    """This module's own local cloud, with a moderator secret (overrides the shared one)."""
    return start_local_cloud(env=SECRET_ENV)


def _open_console(
    browser: Browser, base_url: str, opened: list[ConsolePage], **options: Any
) -> ConsolePage:
    viewport = options.pop("viewport", DESKTOP)
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    moderator = ConsolePage(context=context, page=page, base_url=base_url)
    page.on("pageerror", lambda err: moderator.errors.append(str(err)))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            moderator.errors.append(message.text)

    page.on("console", on_console)

    def on_dialog(dialog: Dialog) -> None:
        moderator.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    opened.append(moderator)
    return moderator


def _check_closed(opened: list[ConsolePage]) -> None:
    for moderator in opened:
        moderator.context.close()
    for moderator in opened:
        assert moderator.dialogs == [], f"a dialog opened: {moderator.dialogs}"
        unexpected = [e for e in moderator.errors if "WebSocket connection" not in e]
        assert unexpected == [], f"the console logged errors: {unexpected}"


@pytest.fixture
def console(browser: Browser, local_cloud: Any) -> Iterator[Console]:
    """A factory of fresh browser contexts on the console page; checks for page errors."""
    opened: list[ConsolePage] = []

    def open_console(**options: Any) -> ConsolePage:
        return _open_console(browser, local_cloud.page_url, opened, **options)

    yield open_console
    _check_closed(opened)


def flag(cloud: Any, room: str, text: str, *, user: str) -> str:
    """Post a message the sentiment check refuses; return its message id."""
    answer = post_as(cloud.ws_url, room, text, user=user)
    assert answer["type"] == "rejected", answer
    message_id: str = answer["messageId"]
    return message_id


def _storage(moderator: ConsolePage) -> str:
    dump: str = moderator.page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    return dump


def test_wrong_secret_is_refused_and_the_secret_never_stored(console: Console) -> None:
    """A wrong secret gets a clear message; the right one signs in; no secret in URL or storage."""
    moderator = console().open()
    moderator.submit_sign_in("Mia", "not the secret")
    error = moderator.page.locator("#signin-secret-error")
    expect(error).to_have_text("That moderator secret is not right.")
    secret_box = moderator.page.get_by_label("Moderator secret")
    expect(secret_box).to_be_focused()
    expect(secret_box).to_have_attribute("type", "password")
    expect(moderator.page.get_by_role("heading", name="Moderator console")).to_be_hidden()
    moderator.shot("console-wrong-secret")

    moderator.submit_sign_in("Mia", SECRET)
    expect(moderator.page.locator("#status-text")).to_have_text("Connected")
    expect(moderator.page.locator("#moderator-name")).to_have_text("Mia")
    expect(secret_box).to_have_value("")
    for leaked in ("not the secret", SECRET, "horse"):
        assert leaked not in moderator.page.url
        assert leaked not in _storage(moderator)


def test_flag_appears_live_and_approval_reaches_another_language(
    console: Console, chat: Chat, room: str
) -> None:
    """A refused message shows up in the console without a reload; approving it publishes it."""
    moderator = console().sign_in("Mia", SECRET, room=room)
    expect(moderator.page.locator("#queue-empty")).to_have_text(f"Nothing to review in {room}.")
    reader = chat().join("Amélie", room, "fr")
    author = chat().join("Bo", room, "en")

    author.send(NEGATIVE)
    expect(author.page.locator("#composer-notice")).to_contain_text("find a better way")
    item = moderator.item(NEGATIVE)
    expect(item).to_have_count(1)
    expect(item.locator(".flag-room")).to_have_text(room)
    expect(item.locator(".flag-author")).to_have_text("Bo")
    expect(item.locator(".flag-lang")).to_have_text("English")
    expect(item.locator(".sentiment")).to_have_text("NEGATIVE")
    expect(item.locator(".scores li")).to_have_count(4)
    expect(item.locator(".flag-why")).to_contain_text("negative")
    expect(item.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(moderator.page.locator("#announcer")).to_contain_text(
        f"New flagged message in {room} from Bo"
    )
    expect(moderator.page.locator("#queue-count")).not_to_have_text("0")
    moderator.shot("console-live-flag")

    item.get_by_placeholder("Reason (optional)").fill("irony, not abuse")
    item.get_by_role("button", name="Approve").click()
    expect(item.locator(".flag-result")).to_have_text(f"Approved: published to {room}.")

    mine = author.message(NEGATIVE)
    expect(mine).to_have_count(1)
    expect(mine.locator(".badge-approved")).to_have_text("Approved after review")
    # The French reader gets it translated (offline, Apertium), the original one click away.
    theirs = reader.page.locator("#message-log li.msg").filter(
        has=reader.page.locator(".msg-original-text", has_text=NEGATIVE)
    )
    expect(theirs).to_have_count(1)
    # Amélie's page speaks French, her reading language.
    expect(theirs.locator(".badge-approved")).to_have_text("Approuvé après vérification")
    expect(theirs.locator(".badge", has_text="Traduit de : anglais")).to_be_visible()
    expect(moderator.item(NEGATIVE)).to_have_count(0)  # it leaves the queue after a moment
    reader.shot("console-approved-reader")


def test_reject_keeps_the_message_hidden(
    console: Console, chat: Chat, room: str, local_cloud: Any
) -> None:
    """Rejecting confirms the refusal: the item leaves the queue and nobody ever sees the text."""
    moderator = console().sign_in("Mia", SECRET, room=room)
    reader = chat().join("Cleo", room, "en")
    text = "You are all terrible, awful people"
    flag(local_cloud, room, text, user="Cy")

    item = moderator.item(text)
    expect(item).to_have_count(1)
    item.get_by_placeholder("Reason (optional)").fill("insult")
    item.get_by_role("button", name="Reject").click()
    expect(item.locator(".flag-result")).to_have_text("Rejected: it stays hidden.")
    expect(moderator.item(text)).to_have_count(0)

    after = "Thank you all, what a lovely afternoon"
    assert post_as(local_cloud.ws_url, room, after, user="Cy")["type"] == "ack"
    expect(reader.message(after)).to_have_count(1)
    expect(reader.message(text)).to_have_count(0)


def test_keyboard_only_review(console: Console, chat: Chat, room: str, local_cloud: Any) -> None:
    """/ filters, j/k move, typing in a field triggers no shortcut, a approves, ? shows help."""
    first = "This is the worst idea ever, I hate it"
    second = "Awful, terrible, horrible service today"
    for text in (second, first):  # the queue shows the newest first: `first` is on top
        flag(local_cloud, room, text, user="Dani")
    reader = chat().join("Reza", room, "en")
    moderator = console().sign_in("Mia", SECRET)
    page = moderator.page
    keyboard = page.keyboard

    keyboard.press("/")
    filter_box = page.get_by_role("searchbox", name="Room")
    expect(filter_box).to_be_focused()
    keyboard.type(room)
    keyboard.press("Enter")
    expect(moderator.items()).to_have_count(2)
    keyboard.press("Escape")  # leaves the field for the selected (first) item
    expect(filter_box).not_to_be_focused()
    expect(moderator.item(first)).to_be_focused()

    keyboard.press("j")
    expect(moderator.item(second)).to_be_focused()
    keyboard.press("j")  # the last item stays selected
    expect(moderator.item(second)).to_be_focused()
    expect(moderator.item(second)).to_have_attribute("aria-current", "true")
    keyboard.press("k")
    expect(moderator.item(first)).to_be_focused()

    keyboard.press("Tab")  # into the item's reason field
    reason = moderator.item(first).get_by_placeholder("Reason (optional)")
    expect(reason).to_be_focused()
    keyboard.type("a joke among friends; really")  # holds a, r, j and k: none may fire
    expect(reason).to_have_value("a joke among friends; really")
    expect(moderator.item(first)).to_have_attribute("data-state", "idle")
    expect(moderator.item(second)).to_have_attribute("data-state", "idle")
    keyboard.press("Escape")
    expect(moderator.item(first)).to_be_focused()

    keyboard.press("a")
    expect(moderator.item(first).locator(".flag-result")).to_have_text(
        f"Approved: published to {room}."
    )
    expect(moderator.item(second)).to_have_attribute("aria-current", "true")  # moved on
    expect(reader.message(first)).to_have_count(1)
    expect(reader.message(second)).to_have_count(0)

    keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Approve the selected message")
    moderator.shot("console-help")
    keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(moderator.item(second)).to_have_attribute("data-state", "idle")


def test_mute_refuses_the_users_next_post(console: Console, chat: Chat, room: str) -> None:
    """A muted user's next message is refused on the chat page with the MUTED notice."""
    user = chat().join("Dee", room, "en")
    user.send("Hello friends, what a nice day")
    expect(user.message("Hello friends, what a nice day")).to_have_count(1)

    moderator = console().sign_in("Mia", SECRET)
    moderator.tab("Delete & mute")
    page = moderator.page
    page.locator("#mute-room").fill(room)
    page.locator("#mute-user").fill("Dee")
    page.get_by_label("Minutes").fill("5")
    page.locator("#mute-reason").fill("flooding")
    page.get_by_role("button", name="Mute user").click()
    expect(page.locator("#mute-result")).to_contain_text(f"Dee is muted in {room} until")
    action = page.locator("#action-list li").first
    expect(action).to_have_attribute("data-state", "muted")
    expect(action).to_contain_text("Dee")
    moderator.shot("console-muted")

    user.send("Another lovely message for everyone")
    notice = user.page.locator("#composer-notice")
    expect(notice).to_contain_text("A moderator has muted you in this room")
    expect(user.message("Another lovely message for everyone")).to_have_count(0)
    user.shot("chat-muted")


def test_delete_removes_a_published_message_from_the_chat_page(
    console: Console, chat: Chat, room: str, seed: Callable[..., list[str]]
) -> None:
    """Deleting a published message takes it off every open chat page; deleting twice is refused."""
    doomed, kept = "Buy cheap watches at my shop today", "Lovely to meet you all here"
    ids = seed(room, [doomed, kept])
    reader = chat().join("Eve", room, "en")
    expect(reader.message(doomed)).to_have_count(1)

    moderator = console().sign_in("Mia", SECRET)
    moderator.tab("Delete & mute")
    page = moderator.page
    page.locator("#delete-room").fill(room)
    page.locator("#delete-message").fill("not-an-id")
    page.get_by_role("button", name="Delete message").click()
    expect(page.locator("#delete-message-error")).to_contain_text("looks like")

    page.locator("#delete-message").fill(ids[0])
    page.locator("#delete-reason").fill("spam")
    page.get_by_role("button", name="Delete message").click()
    expect(page.locator("#delete-result")).to_have_text(f"Deleted message {ids[0]} from {room}.")
    expect(page.locator("#action-list li").first).to_have_attribute("data-state", "deleted")

    expect(reader.message(doomed)).to_have_count(0)
    expect(reader.message(kept)).to_have_count(1)

    page.locator("#delete-message").fill(ids[0])
    page.get_by_role("button", name="Delete message").click()
    expect(page.locator("#delete-result")).to_contain_text("Already done")


def test_audit_log_lists_the_decisions(console: Console, room: str, local_cloud: Any) -> None:
    """Approve, reject and mute each appear in the audit log, newest first, with their reasons."""
    approve_text = "This is so stupid, I hate rainy Mondays"
    reject_text = "You are a horrible and disgusting person"
    for text in (approve_text, reject_text):
        flag(local_cloud, room, text, user="Gus")
    moderator = console().sign_in("Mia", SECRET, room=room)
    moderator.item(approve_text).get_by_placeholder("Reason (optional)").fill("about the weather")
    moderator.item(approve_text).get_by_role("button", name="Approve").click()
    expect(moderator.item(approve_text).locator(".flag-result")).to_contain_text("Approved")
    moderator.item(reject_text).get_by_placeholder("Reason (optional)").fill("personal attack")
    moderator.item(reject_text).get_by_role("button", name="Reject").click()
    expect(moderator.item(reject_text).locator(".flag-result")).to_contain_text("Rejected")

    # A second moderator, signed in afterwards, reads the same trail from the server.
    other = console().sign_in("Noa", SECRET)
    other.tab("Audit log")
    rows = other.audit_rows().filter(has=other.page.locator("td", has_text=room))
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".audit-action")).to_have_text("Rejected")
    expect(rows.nth(0)).to_contain_text("personal attack")
    expect(rows.nth(1).locator(".audit-action")).to_have_text("Approved")
    expect(rows.nth(1)).to_contain_text("about the weather")
    expect(rows.nth(1)).to_contain_text("Mia")
    expect(rows.nth(1)).to_contain_text("Gus")
    expect(other.audit_rows().locator(".audit-action", has_text="Signed in").first).to_be_visible()

    # A decision made while the log is open is added at the top, live.
    moderator.tab("Delete & mute")
    moderator.page.locator("#mute-room").fill(room)
    moderator.page.locator("#mute-user").fill("Gus")
    moderator.page.get_by_label("Minutes").fill("1")
    moderator.page.get_by_role("button", name="Mute user").click()
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".audit-action")).to_have_text("Muted")
    other.shot("console-audit")


MARKUP = "You idiots <img src=x onerror=alert(1)> I hate this <script>alert(2)</script>"


def test_markup_in_a_flagged_message_is_shown_as_text(
    console: Console, room: str, local_cloud: Any
) -> None:
    """HTML in a flagged message is displayed literally in the console, never parsed or run."""
    moderator = console().sign_in("Mia", SECRET, room=room)
    flag(local_cloud, room, MARKUP, user="Mallory")
    item = moderator.item(MARKUP)
    expect(item).to_have_count(1)
    expect(item.locator(".flag-text")).to_have_text(MARKUP)
    expect(moderator.page.locator("#queue-list img, #queue-list script")).to_have_count(0)
    moderator.page.wait_for_timeout(300)  # give an injected handler every chance to fire
    assert moderator.dialogs == []
    moderator.shot("console-markup")


def test_another_moderator_deciding_first_is_explained(
    console: Console, room: str, local_cloud: Any
) -> None:
    """When two moderators decide at once, the one who lost is told plainly (ALREADY_DECIDED)."""
    text = "Everything about this place is terrible and dumb"
    flag(local_cloud, room, text, user="Hal")
    winner = console().sign_in("Mia", SECRET, room=room)
    loser = console()

    def drop_other_moderators_decisions(ws: WebSocketRoute) -> None:
        # Hold back the live "someone else decided" push, so the slower moderator still sees
        # the item and clicks: exactly the race the server must settle.
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "review.resolved" and not frame.get("id"):
                return
            ws.send(message)

        server.on_message(from_server)

    loser.page.route_web_socket(re.compile(r"^wss?://"), drop_other_moderators_decisions)
    loser.sign_in("Noa", SECRET, room=room)
    expect(loser.item(text)).to_have_count(1)

    winner.item(text).get_by_role("button", name="Reject").click()
    expect(winner.item(text).locator(".flag-result")).to_contain_text("Rejected")
    loser.item(text).get_by_role("button", name="Approve").click()
    notice = loser.page.locator("#console-notice")
    expect(notice).to_contain_text("Another moderator decided first")
    expect(notice).to_contain_text("rejected")
    expect(loser.item(text).locator(".flag-result")).to_have_text(
        "Another moderator decided first."
    )
    loser.shot("console-already-decided")


def test_filter_by_room(console: Console, room: str, local_cloud: Any) -> None:
    """The room filter shows only that room's items; clearing it shows every room again."""
    other_room = f"{room}-b"
    flag(local_cloud, room, "I hate this room, it is awful", user="Ivy")
    flag(local_cloud, other_room, "I hate that room, it is awful", user="Ivy")
    moderator = console().sign_in("Mia", SECRET)
    expect(moderator.item("I hate this room, it is awful")).to_have_count(1)
    expect(moderator.item("I hate that room, it is awful")).to_have_count(1)

    moderator.filter(other_room)
    expect(moderator.item("I hate that room, it is awful")).to_have_count(1)
    expect(moderator.item("I hate this room, it is awful")).to_have_count(0)
    rooms = moderator.items().evaluate_all("rows => [...new Set(rows.map(r => r.dataset.room))]")
    assert rooms == [other_room]

    moderator.page.get_by_role("button", name="All rooms").click()
    expect(moderator.item("I hate this room, it is awful")).to_have_count(1)
    expect(moderator.item("I hate that room, it is awful")).to_have_count(1)


def test_console_on_a_phone_in_dark_mode(console: Console, room: str, local_cloud: Any) -> None:
    """On a phone in dark mode the console fits the width and the queue is usable."""
    flag(local_cloud, room, "This is horrible, I hate it so much", user="Jo")
    phone = console(viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="dark")
    phone.sign_in("Mia", SECRET, room=room)
    item = phone.item("This is horrible, I hate it so much")
    expect(item).to_be_visible()
    overflow: Any = phone.page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    expect(item.get_by_role("button", name="Approve")).to_be_in_viewport()
    phone.shot("console-phone-dark", full_page=True)


def test_too_many_wrong_secrets_are_throttled_with_a_retry_time(
    browser: Browser, start_local_cloud: Callable[..., Any]
) -> None:
    """After five wrong secrets the console says when sign-in may be tried again."""
    cloud = start_local_cloud(env=SECRET_ENV)  # its own: throttling is per source IP
    # Failures are counted in fixed 15-minute windows: do not straddle the end of one.
    left = AUTH_WINDOW_SECONDS - time.time() % AUTH_WINDOW_SECONDS
    if left < 30:
        time.sleep(left + 1)
    opened: list[ConsolePage] = []
    try:
        moderator = _open_console(browser, cloud.page_url, opened).open()
        for attempt in range(5):
            moderator.submit_sign_in("Mia", f"guess number {attempt}")
            expect(moderator.page.locator("#signin-secret-error")).to_have_text(
                "That moderator secret is not right."
            )
        moderator.submit_sign_in("Mia", SECRET)  # even the right secret waits now
        error = moderator.page.locator("#signin-error")
        expect(error).to_have_text(
            re.compile(r"^Too many failed sign-ins\. You can try again in \d+ (seconds|minutes)\.$")
        )
        expect(moderator.page.get_by_role("button", name="Sign in")).to_be_disabled()
        moderator.shot("console-throttled")
    finally:
        _check_closed(opened)
        cloud.stop()
