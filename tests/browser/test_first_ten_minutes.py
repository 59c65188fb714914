"""A newcomer's first ten minutes, in a real Chromium against the local cloud (issue 14): unique
names in a room, the page in the reader's language (Spanish; Arabic right to left), a phone that
keeps the newest message in view, the sender told when a moderator decides, a draft that survives
a reload, and a console that shows the newest flag first with a toast."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.browser.chatpage import PHONE, ChatPage
from tests.browser.consolepage import ConsolePage
from tests.browser.test_moderator_console import (
    NEGATIVE,
    SECRET,
    SECRET_ENV,
    _check_closed,
    _open_console,
    flag,
)

pytestmark = pytest.mark.browser

Chat = Callable[..., ChatPage]
Console = Callable[..., ConsolePage]


@pytest.fixture(scope="module")
def local_cloud(start_local_cloud: Callable[..., Any]) -> Any:
    """This module's own local cloud, with a moderator secret."""
    return start_local_cloud(env=SECRET_ENV)


@pytest.fixture
def console(browser: Browser, local_cloud: Any) -> Iterator[Console]:
    """A factory of fresh browser contexts on the console page; checks for page errors."""
    opened: list[ConsolePage] = []

    def open_console(**options: Any) -> ConsolePage:
        return _open_console(browser, local_cloud.page_url, opened, **options)

    yield open_console
    _check_closed(opened)


def _box(page: Page, selector: str) -> dict[str, float]:
    box: dict[str, float] = page.locator(selector).last.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; }"
    )
    return box


def test_duplicate_name_is_refused_and_another_name_can_be_picked(chat: Chat, room: str) -> None:
    """A second "Ana" in the room gets a clear error (NAME_TAKEN), keeps the room, picks again."""
    ana = chat().join("Ana", room, "en")
    other = chat().open(room=room, lang="es")
    other.page.locator("#entry-name").fill("Ana")
    other.page.locator("#entry-form button[type=submit]").click()

    error = other.page.locator("#entry-name-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("ya hay alguien llamado Ana")  # in the reader's Spanish
    expect(other.page.locator("#entry-name")).to_be_focused()
    expect(other.page.locator("#entry-name")).to_have_attribute("aria-invalid", "true")
    expect(other.page.locator("#entry-room")).to_have_value(room)
    expect(other.page.locator("#room-view")).to_be_hidden()
    other.shot("duplicate-name-refused")

    other.page.locator("#entry-name").fill("Ana Belén")
    other.page.locator("#entry-form button[type=submit]").click()
    other.wait_connected()
    expect(ana.page.locator("#member-list")).to_contain_text("Ana Belén")
    expect(ana.page.locator("#member-list li")).to_have_count(2)


def test_the_page_handles_the_name_taken_answer(chat: Chat, room: str) -> None:
    """The page's side of unique names, whatever the server: a NAME_TAKEN answer to `init` (the
    frame docs/protocol.md describes) shows the error by the name field and keeps the room."""
    person = chat().open(room=room, lang="en")
    inits: list[str] = []

    def taken_once(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("action") == "init":
                inits.append(frame["user"])
                if len(inits) == 1:
                    ws.send(json.dumps({"type": "error", "id": frame["id"], "action": "init",
                                        "code": "NAME_TAKEN", "field": "user",
                                        "message": "someone in this room already uses this name"}))
                    return
            server.send(message)

        ws.on_message(from_page)

    person.page.route_web_socket(re.compile(r"^wss?://"), taken_once)
    person.page.locator("#entry-name").fill("Ana")
    person.page.locator("#entry-form button[type=submit]").click()
    expect(person.page.locator("#entry-name-error")).to_have_text(
        f"Someone in {room} is already called Ana. Please pick another name."
    )
    expect(person.page.locator("#entry-name")).to_be_focused()
    expect(person.page.locator("#entry-room")).to_have_value(room)
    person.page.locator("#entry-name").fill("Ana B")
    person.page.locator("#entry-form button[type=submit]").click()
    person.wait_connected()
    expect(person.page.locator("#room-name")).to_have_text(room)
    assert inits == ["Ana", "Ana B"]


def test_a_spanish_readers_page_speaks_spanish(chat: Chat, room: str) -> None:
    """Labels, buttons, placeholder and status follow the reading language, and switch with it."""
    lucia = chat().open(room=room, lang="es")
    page = lucia.page
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Entrar en una sala")).to_be_visible()
    expect(page.get_by_label("Tu nombre")).to_be_visible()
    page.get_by_label("Tu nombre").fill("Lucía")
    page.get_by_role("button", name="Entrar en la sala").click()
    expect(page.locator("#status-text")).to_have_text("Conectado")
    expect(page.get_by_placeholder("Escribe algo amable…")).to_be_visible()
    expect(page.get_by_role("button", name="Enviar")).to_be_visible()
    expect(page.locator("#history-start")).to_contain_text("Todavía no hay mensajes")
    lucia.shot("spanish-reader")

    page.get_by_label("Idioma de lectura").select_option("fr")
    expect(page.locator("#status-text")).to_have_text("Connecté")
    expect(page.get_by_placeholder("Écrivez quelque chose de gentil…")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_an_arabic_readers_page_is_right_to_left(chat: Chat, room: str) -> None:
    """An Arabic reader gets an Arabic page laid out right to left (mirrored, not just aligned)."""
    sami = chat().join("سامي", room, "ar")
    page = sami.page
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#send-button")).to_have_text("إرسال")
    expect(page.locator("#status-text")).to_have_text("متصل")
    # Mirrored: the send button sits left of the message box, the sidebar left of the log.
    send, box = _box(page, "#send-button"), _box(page, "#composer-input")
    assert send["right"] <= box["left"] + 1, (send, box)
    sidebar, log = _box(page, "#sidebar"), _box(page, "#log-scroller")
    assert sidebar["right"] <= log["left"] + 1, (sidebar, log)
    sami.send("مرحبا بالجميع، يوم سعيد")
    mine = sami.message("مرحبا بالجميع، يوم سعيد")
    expect(mine).to_have_count(1)
    expect(mine.locator(".msg-you")).to_have_text("(أنت)")
    expect(mine.locator(".badge-untranslated")).to_have_count(0)  # no mark on your own words
    sami.shot("arabic-reader")


def _fully_visible(person: ChatPage, text: str) -> None:
    """The row of `text` lies wholly inside the message log's visible area."""
    row = person.message(text)
    expect(row).to_be_in_viewport(ratio=1)
    inside: bool = row.evaluate(
        "row => { const s = document.getElementById('log-scroller').getBoundingClientRect();"
        " const r = row.getBoundingClientRect();"
        " return r.top >= s.top - 0.5 && r.bottom <= s.bottom + 0.5; }"
    )
    assert inside, f"{text!r} is cut off by the log's edge"


def test_phone_keeps_the_newest_message_fully_visible(
    chat: Chat, room: str, seed: Callable[..., list[str]]
) -> None:
    """On a 390 by 844 phone the newest message is wholly in view after joining and after each
    new one; the header is compact and the language picker's text is not clipped."""
    seed(room, [f"Morning note number {n:02d}, have a lovely day" for n in range(1, 31)])
    phone = chat(viewport=PHONE, is_mobile=True, has_touch=True).join("Rui", room, "pt")
    page = phone.page
    expect(phone.messages()).to_have_count(30)
    _fully_visible(phone, "Morning note number 30, have a lovely day")
    expect(page.locator("#new-messages")).to_be_hidden()

    for n in (1, 2):
        seed(room, [f"A fresh note {n} for everyone"], user="Writer")
        _fully_visible(phone, f"A fresh note {n} for everyone")
        expect(page.locator("#new-messages")).to_be_hidden()
    phone.send("Obrigado, bom dia a todos")
    _fully_visible(phone, "Obrigado, bom dia a todos")

    header = _box(page, ".room .topbar")
    assert header["height"] <= 110, f"the header takes {header['height']} of 844 px"
    clipped: bool = page.locator("#room-lang").evaluate(
        """select => {
            const text = select.options[select.selectedIndex].text;
            const style = getComputedStyle(select);
            const probe = document.createElement('span');
            probe.style.font = style.font;
            probe.style.whiteSpace = 'pre';
            probe.textContent = text;
            document.body.append(probe);
            const needed = probe.getBoundingClientRect().width;
            probe.remove();
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return needed > select.clientWidth - padding - 16;  // 16 px for the arrow
        }"""
    )
    assert not clipped, "the language picker clips its text"
    phone.shot("phone-newest-visible")


def test_approval_and_rejection_update_the_senders_notice(
    console: Console, chat: Chat, room: str
) -> None:
    """Approved: "posted after review", the draft is cleared and cannot be sent twice; rejected:
    the sender is told so."""
    moderator = console().sign_in("Mia", SECRET, room=room)
    author = chat().join("Bo", room, "en")
    box = author.page.locator("#composer-input")
    notice = author.page.locator("#composer-notice")

    author.send(NEGATIVE)
    expect(notice).to_contain_text("find a better way")
    expect(box).to_have_value(NEGATIVE)
    moderator.item(NEGATIVE).get_by_role("button", name="Approve").click()
    expect(notice).to_contain_text("posted after review")
    expect(box).to_have_value("")
    expect(author.page.locator("#send-button")).to_be_disabled()
    mine = author.message(NEGATIVE)
    expect(mine).to_have_count(1)
    expect(mine.locator(".badge-approved")).to_be_visible()
    box.press("Enter")  # nothing left to send: the approved message is not posted again
    author.page.wait_for_timeout(1000)
    expect(author.message(NEGATIVE)).to_have_count(1)
    author.shot("approved-after-review")

    second = "This is stupid and awful, I hate it"
    author.send(second)
    expect(box).to_have_value(second)
    moderator.item(second).get_by_role("button", name="Reject").click()
    expect(notice).to_contain_text("decided not to post it")
    expect(author.message(second)).to_have_count(0)


def test_draft_survives_a_reload_per_room(chat: Chat, room: str) -> None:
    """What was typed but not sent is back after a reload, in its own room only; sending clears
    it."""
    person = chat().join("Noa", room, "en")
    box = person.page.locator("#composer-input")
    box.fill("A thought I have not finished yet")
    person.page.reload()
    person.wait_connected()
    expect(box).to_have_value("A thought I have not finished yet")

    person.page.get_by_label("Go to another room").fill(f"{room}-b")
    person.page.get_by_label("Go to another room").press("Enter")
    person.wait_connected()
    expect(person.page.locator("#room-name")).to_have_text(f"{room}-b")
    box.fill("")
    box.press_sequentially("Other room")
    person.page.get_by_label("Go to another room").fill(room)
    person.page.get_by_label("Go to another room").press("Enter")
    person.wait_connected()
    expect(box).to_have_value("A thought I have not finished yet")

    box.press("Enter")
    expect(person.message("A thought I have not finished yet")).to_have_count(1)
    person.page.reload()
    person.wait_connected()
    expect(box).to_have_value("")


def test_console_shows_newest_first_and_toasts_each_live_flag(
    console: Console, room: str, local_cloud: Any
) -> None:
    """The queue starts newest first (a toggle switches), and a live flag pops up a toast."""
    older = "I hate mornings, they are awful"
    newer = "This is terrible, I hate it"
    flag(local_cloud, room, older, user="Ivy")
    flag(local_cloud, room, newer, user="Ivy")
    moderator = console().sign_in("Mia", SECRET, room=room)
    texts = moderator.page.locator("#queue-list li.flag .flag-text")
    expect(texts).to_have_text([newer, older])

    live = "You are all idiots, awful people"
    flag(local_cloud, room, live, user="Cy")
    toast = moderator.page.locator("#toasts .toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(f"New flagged message in {room} from Cy")
    expect(toast).to_be_in_viewport()
    expect(texts).to_have_text([live, newer, older])
    moderator.shot("console-toast")

    order = moderator.page.locator("#queue-order")
    expect(order).to_contain_text("Newest first")
    order.click()
    expect(order).to_contain_text("Oldest first")
    expect(texts).to_have_text([older, newer, live])
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)
