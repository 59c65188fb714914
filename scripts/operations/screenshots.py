"""Re-take the README's screenshots: a room on the local cloud, read on desktop and on a phone.

    .venv/bin/chat-screenshots            # writes docs/screenshot-room.png and -phone.png

Starts the local cloud (port 0, ephemeral), has five people in five languages chat in one room
in Debian's Chromium, then photographs a Spanish reader's desktop page (with a refused message
and its notice) and an English reader's page at 390 x 844. Offline translation is Apertium's,
word for word: the pictures show what a newcomer sees.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]  # the repository (an editable install)
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
ROOM = "lisbon-trip"
# (name, reading language, what they write), in order.
CHAT = [
    ("Ana", "en", "Hi everyone! Who is coming to Lisbon next week?"),
    ("Chiara", "it", "Ciao a tutti! Arrivo giovedì, non vedo l'ora di vedere il mare."),
    ("Lucía", "es", "¡Hola Ana! Yo llego el martes con mi hermana."),
    ("João", "pt", "Olá pessoal! Eu moro em Lisboa, posso mostrar a cidade para vocês."),
    ("Ana", "en", "That sounds wonderful, thank you João! 🎉"),
    ("Béa", "fr", "Super, je réserve une table pour vendredi soir !"),
]
REFUSED = "Te odio, este viaje es horrible y estúpido"


def start_cloud(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The local cloud on a free port; its page URL once it is ready."""
    ready = folder / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "--port", "0", "--ephemeral",
         "--ready-file", str(ready), "--log-file", str(folder / "localcloud.log")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the local cloud did not start (log: {folder / 'localcloud.log'})")
        time.sleep(0.2)
    return process, str(json.loads(ready.read_text("utf-8"))["page"])


def join(
    browser: Browser, page_url: str, name: str, lang: str, *, width: int = 1280, height: int = 800
) -> Page:
    """One person's page, joined to the room."""
    context = browser.new_context(viewport=ViewportSize(width=width, height=height))
    page = context.new_page()
    page.goto(f"{page_url}?room={ROOM}&lang={lang}")
    page.locator("#entry-name").fill(name)
    page.locator("#entry-form button[type=submit]").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "ok")
    return page


def send(page: Page, text: str) -> None:
    """Type a message and press Enter."""
    box = page.locator("#composer-input")
    box.fill(text)
    box.press("Enter")


def take(out: Path) -> None:
    """Chat, then photograph the desktop (Spanish) and phone (English) readers."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with tempfile.TemporaryDirectory(prefix="positive-chat-shots-") as tmp:
            process, page_url = start_cloud(Path(tmp))
            try:
                pages: dict[str, Page] = {}
                for name, lang, text in CHAT:
                    if name not in pages:
                        pages[name] = join(browser, page_url, name, lang)
                    send(pages[name], text)
                    expect(pages[name].locator("#message-log li.msg")).not_to_have_count(0)
                phone = join(browser, page_url, "Mia", "en", width=390, height=844)
                send(phone, "See you all on Friday, I can't wait!")
                reader = pages["Lucía"]
                expect(reader.locator("#message-log li.msg")).to_have_count(len(CHAT) + 1)
                send(reader, REFUSED)
                expect(reader.locator("#composer-notice")).to_be_visible()
                time.sleep(1)  # let the last frames and the fonts settle
                reader.screenshot(path=str(out / "screenshot-room.png"))
                expect(phone.locator("#message-log li.msg")).to_have_count(len(CHAT) + 1)
                phone.screenshot(path=str(out / "screenshot-phone.png"))
            finally:
                os.killpg(process.pid, signal.SIGINT)
                process.wait(timeout=30)
        browser.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Write the two screenshots into docs/ (or --out)."""
    parser = argparse.ArgumentParser(prog="chat-screenshots", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder (default: docs/)")
    args = parser.parse_args(argv)
    take(args.out)
    print(f"wrote {args.out / 'screenshot-room.png'} and {args.out / 'screenshot-phone.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
