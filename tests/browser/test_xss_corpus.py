"""A corpus of XSS payloads through the whole path to a real Chromium: shown as text, never run.

Each payload is posted over a raw WebSocket (so nothing in our own page escapes it first),
stored, delivered live to a reader's page and, to a second reader who joins later, through the
history path. Both pages must show every payload literally, hold no element or attribute the
payload tried to create, and never run it: every payload calls ``window.__xss(n)``, which the
pages define before any script of theirs runs, and ``alert``, whose dialog would fail the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.chatpage import ChatPage

pytestmark = pytest.mark.browser

Chat = Callable[..., ChatPage]

# Classic, filter-evasion and context-breaking payloads (OWASP XSS cheat sheet families).
CORPUS = [
    "<script>window.__xss(0);alert(0)</script>",
    "<img src=x onerror=window.__xss(1)>",
    "<svg onload=window.__xss(2)>",
    "<svg><script>window.__xss(3)</script></svg>",
    '<iframe srcdoc="<script>parent.__xss(4)</script>"></iframe>',
    "<body onload=window.__xss(5)>",
    "<details open ontoggle=window.__xss(6)>",
    '<a href="javascript:window.__xss(7)">click me</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss(8)>",
    '"><img src=x onerror=window.__xss(9)>',
    "'><script>window.__xss(10)</script>",
    "</textarea><script>window.__xss(11)</script>",
    "</title><script>window.__xss(12)</script>",
    "<scr<script>ipt>window.__xss(13)</scr</script>ipt>",
    "<IMG SRC=JaVaScRiPt:window.__xss(14)>",
    "<img src=x onerror=&#119;indow.__xss(15)>",
    "&lt;script&gt;window.__xss(16)&lt;/script&gt;",
    '<object data="javascript:window.__xss(17)"></object>',
    '<embed src="javascript:window.__xss(18)">',
    "<input autofocus onfocus=window.__xss(19)>",
    "<video><source onerror=window.__xss(20)></video>",
    "<marquee onstart=window.__xss(21)>hi</marquee>",
    "{{constructor.constructor('window.__xss(22)')()}}",
    "${window.__xss(23)}",
    "[link](javascript:window.__xss(24))",
    '<div style="background:url(javascript:window.__xss(25))">x</div>',
    '<base href="javascript:window.__xss(26)//">',
    "<form><button formaction=javascript:window.__xss(27)>go</button></form>",
    "\u202e<script>window.__xss(28)</script>",
    "<img src=x onerror=window.__xss(29)\u200b>",
]

# Each payload rides in an ordinary English sentence, so that the language services take it for
# English; the French reader gets it translated (offline, Apertium), the original beside it.
CONTENTS = [
    f"{payload} Have a lovely day, dear friends, see you all tomorrow!" for payload in CORPUS
]

INSTRUMENT = """
window.__xssRuns = [];
window.__xss = (n) => { window.__xssRuns.push(n); };
"""

# Elements or attributes in the message log that only a payload could have created.
INJECTED = """
() => {
  const log = document.querySelector('#message-log');
  const found = [];
  for (const el of log.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    // The page's own disclosure of a translated message's original text.
    if (tag === 'details' && el.classList.contains('msg-original')) continue;
    if (['script', 'iframe', 'object', 'embed', 'img', 'video', 'source', 'form', 'input',
         'marquee', 'details', 'math', 'base', 'body', 'style'].includes(tag)) {
      found.push(tag);
    }
    for (const attr of el.attributes) {
      const value = attr.value.replace(/\\s+/g, '').toLowerCase();
      if (attr.name.startsWith('on') || value.startsWith('javascript:')) {
        found.push(`${tag}[${attr.name}]`);
      }
    }
  }
  return found;
}
"""


def instrumented(person: ChatPage) -> ChatPage:
    """The page with ``window.__xss`` defined before anything else runs."""
    person.page.add_init_script(INSTRUMENT)
    return person


def check_page(person: ChatPage) -> None:
    """Every payload shown literally once; nothing injected; nothing run."""
    for content in CONTENTS:
        row = person.message(content)  # shown as written, or translated with the original
        expect(row).to_have_count(1)
        expect(person.written(row)).to_have_text(content)
    person.page.wait_for_timeout(500)  # give an injected handler every chance to fire
    injected: list[str] = person.page.evaluate(INJECTED)
    assert injected == []
    runs: list[Any] = person.page.evaluate("window.__xssRuns")
    assert runs == []


def test_xss_corpus_live_and_from_history_is_text(
    chat: Chat, room: str, seed: Callable[..., list[str]]
) -> None:
    """Every payload is rendered as text on the live path and the history path; none runs."""
    live = instrumented(chat()).join("Ruth", room, "fr")
    ids = seed(room, CONTENTS, user="Mallory")
    assert len(ids) == len(CONTENTS)
    check_page(live)
    later = instrumented(chat()).join("Sam", room, "en")
    check_page(later)
    assert live.dialogs == later.dialogs == []
    later.shot("xss-corpus", full_page=True)


def test_xss_instrumentation_would_catch_a_run(chat: Chat, room: str) -> None:
    """The detectors are live: a call is recorded and a planted handler attribute is found."""
    person = instrumented(chat()).join("Tess", room, "en")
    person.page.evaluate("window.__xss(99)")
    assert person.page.evaluate("window.__xssRuns") == [99]
    person.page.evaluate(
        "() => { const a = document.createElement('a');"
        " a.setAttribute('href', 'javascript:window.__xss(98)');"
        " document.querySelector('#message-log').append(a); }"
    )
    assert person.page.evaluate(INJECTED) == ["a[href]"]
    person.page.evaluate("() => document.querySelector('#message-log').lastElementChild.remove()")
