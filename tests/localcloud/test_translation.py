"""The offline translator: Apertium pipelines, routes, framing, output hygiene, idle and memory.

Real Apertium from Debian (``scripts/setup --dev`` installs it); these tests fail, not skip,
when it is missing. Framing and recovery are also exercised with stand-in "modes" (a mode file
is a shell pipeline), so a broken or silent pipeline can be staged exactly.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from pathlib import Path

import pytest
from localcloud.language.translation import (
    DEFAULT_MODES_DIR,
    NoRoute,
    TranslationFailed,
    Translator,
    _group_members,
    clean_output,
    installed_modes,
    to_stream,
)

FIVE = ("en", "es", "fr", "pt", "it")
SENTENCES = {
    "en": "Good morning, my friends! The weather is beautiful today.",
    "es": "Buenos días, amigos. Hoy hace un tiempo muy bonito.",
    "fr": "Bonjour mes amis, il fait très beau aujourd'hui.",
    "pt": "Bom dia, meus amigos! O tempo está muito bonito hoje.",
    "it": "Buongiorno amici miei, oggi il tempo è molto bello.",
}


@pytest.fixture(scope="module")
def translator() -> Translator:
    assert shutil.which("apertium-wblank-mode"), "no Apertium here: run scripts/setup --dev"
    instance = Translator()
    yield instance
    instance.close()


def _fake_modes(tmp_path: Path, **modes: str) -> Path:
    """A modes folder whose "modes" are the given shell pipelines (name: command)."""
    for name, command in modes.items():
        (tmp_path / f"{name}.mode").write_text(command)
    return tmp_path


# ------------------------------------------------------------------------------------ routes


def test_every_ordered_pair_of_the_five_languages_has_a_route(translator: Translator) -> None:
    """en, es, fr, pt, it all reach each other: directly or through Spanish, never more hops."""
    for source, target in itertools.permutations(FIVE, 2):
        route = translator.route(source, target)
        assert 1 <= len(route) <= 2, (source, target)
        if len(route) == 2:
            assert route[0].target == "es", (source, target)


def test_portuguese_codes_follow_amazon_translate(translator: Translator) -> None:
    """``pt`` is Brazilian (es-pt_BR), ``pt-PT`` European (es-pt); both read through pt-es."""
    assert [mode.name for mode in translator.route("es", "pt")] == ["es-pt_BR"]
    assert [mode.name for mode in translator.route("es", "pt-PT")] == ["es-pt"]
    assert [mode.name for mode in translator.route("pt-PT", "es")] == ["pt-es"]


def test_unreachable_pair_is_no_route(translator: Translator) -> None:
    """German has no Apertium pair here: no route, and the reason names the pair."""
    with pytest.raises(NoRoute) as caught:
        translator.route("de", "en")
    assert "de to en" in caught.value.reason


def test_without_apertium_every_pair_is_no_route(tmp_path: Path) -> None:
    """No modes installed: the translator is unavailable and says how to install it."""
    empty = Translator(tmp_path)
    assert not empty.available
    with pytest.raises(NoRoute) as caught:
        empty.translate("hello", "en", "es")
    assert "scripts/setup" in caught.value.reason


def test_mode_names_map_to_translate_codes(tmp_path: Path) -> None:
    """639-3 names, variants and odd mode names (``eco-es-fr``) are read as Translate codes."""
    folder = _fake_modes(
        tmp_path,
        **{
            "eng-spa": "x",
            "spa-eng": "x",
            "spa-eng_US": "x",
            "es-pt": "x",
            "es-pt_BR": "x",
            "eco-es-fr": "x",
        },
    )
    modes = installed_modes(folder)
    assert modes[("en", "es")].name == "eng-spa"
    assert modes[("es", "en")].name == "spa-eng"  # the plain mode wins over a variant
    assert modes[("es", "pt")].name == "es-pt_BR"
    assert modes[("es", "pt-PT")].name == "es-pt"
    assert all("eco" not in mode.name for mode in modes.values())


# ------------------------------------------------------------------------------ translation


@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(FIVE, 2)))
def test_translates_between_the_five_languages(
    translator: Translator, source: str, target: str
) -> None:
    """Every ordered pair gives real text in another language, not the input back."""
    text = SENTENCES[source]
    translated = translator.translate(text, source, target)
    assert translated
    assert translated != text
    assert not set(translated) & set("^$<>*"), translated  # plain text, no stream residue


def test_known_words_are_translated(translator: Translator) -> None:
    """Word-for-word, but real: Spanish for "friends" and "today" appears."""
    translated = translator.translate("My friends are here today.", "en", "es").lower()
    assert "amigos" in translated
    assert "hoy" in translated


PROTECTED = [
    "https://example.com/a?b=1&c=[2]",
    "www.positive.chat/rooms",
    "ana.lima+chat@example.org",
    "@ana_b",
    "#FridayFun",
    "🎉",
    "👍🏽",
    "🇫🇷",
    "❤️",
]


@pytest.mark.parametrize("token", PROTECTED)
def test_urls_mentions_hashtags_and_emoji_pass_unchanged(
    translator: Translator, token: str
) -> None:
    """Each protected token comes back exactly as written, through a direct and a pivot route."""
    text = f"Look at this {token} my friends"
    for target in ("es", "it"):
        assert token in translator.translate(text, "en", target)


def test_user_markup_comes_back_as_the_same_literal_text(translator: Translator) -> None:
    """Stream-format and HTML characters the user typed are text, returned literally."""
    text = "<b>hi</b> 5 * 3 = 15 ~ [x] {y} ^a$ back\\slash a/b"
    translated = translator.translate(text, "en", "es")
    for literal in ("<b>", "</b>", "5 * 3 = 15", "~", "[x]", "{y}", "\\", "/"):
        assert literal in translated, (literal, translated)


def test_unknown_words_carry_no_marks(translator: Translator) -> None:
    """Apertium marks unknown words with ``*``; the answer has none."""
    translated = translator.translate("The blorfity wug is here", "en", "es")
    assert "blorfity" in translated
    assert "*" not in translated


def test_malformed_input_never_puts_the_pipeline_out_of_step(translator: Translator) -> None:
    """NULs, control bytes, lone surrogates and unbalanced brackets: next answer still right."""
    hostile = [
        "a\x00b\x00c",
        "[unclosed superblank",
        "^open unit /with/slashes",
        "]]]]$$$$\\",
        "\ud800 lone surrogate",
        "\x01\x02\x1b[31m ansi",
        "",
    ]
    before = {name: pipeline.restarts for name, pipeline in translator._pipelines.items()}
    for text in hostile:
        translator.translate(text or " ", "en", "es")
    assert translator.translate("My friends", "en", "es").lower().startswith("mis amigos")
    after = {name: pipeline.restarts for name, pipeline in translator._pipelines.items()}
    assert after.get("eng-spa", 0) == before.get("eng-spa", 0)


def test_long_text_translates_in_one_request(translator: Translator) -> None:
    """10,000 bytes (TranslateText's limit) go through without blocking the pipe."""
    text = ("The weather is nice today and my friends are happy. " * 200)[:10_000]
    translated = translator.translate(text, "en", "es")
    assert translated.count("amigos") >= 150


# -------------------------------------------------------------------- framing and recovery


def test_an_answer_out_of_step_restarts_the_pipeline(tmp_path: Path) -> None:
    """A pipeline answering with another request's id is killed, restarted, then refused."""
    folder = _fake_modes(tmp_path, **{"eng-spa": "sed -u -z 's/^\\[pc/[xx/'"})
    broken = Translator(folder, timeout=2)
    try:
        with pytest.raises(TranslationFailed, match="out of step"):
            broken.translate("hello", "en", "es")
        assert broken._pipelines["eng-spa"].restarts == 1
    finally:
        broken.close()


def test_a_silent_pipeline_times_out_and_recovers(tmp_path: Path) -> None:
    """No answer within the timeout is a failure, and the next request starts a fresh one."""
    folder = _fake_modes(tmp_path, **{"eng-spa": "sed -u -z ''"})
    translator = Translator(folder, timeout=0.5)
    try:
        # An identity "mode" answers in step: the framing itself is transparent.
        assert translator.translate("hello [x] ^y$", "en", "es") == "hello [x] ^y$"
        (folder / "eng-spa.mode").write_text("sed -u -z d")
        translator._pipelines["eng-spa"].close()
        started = time.monotonic()
        with pytest.raises(TranslationFailed, match="no answer"):
            translator.translate("hello", "en", "es")
        assert time.monotonic() - started < 3  # two tries of 0.5 s each, not forever
        (folder / "eng-spa.mode").write_text("sed -u -z ''")
        assert translator.translate("back again", "en", "es") == "back again"
    finally:
        translator.close()


def test_a_dead_pipeline_is_started_again(translator: Translator) -> None:
    """Killing a live pipeline's processes costs one restart, not a failed request."""
    translator.translate("hello friends", "en", "es")
    pipeline = translator._pipelines["eng-spa"]
    assert pipeline._process is not None
    os.killpg(pipeline._process.pid, 9)
    pipeline._process.wait(timeout=5)
    assert translator.translate("My friends", "en", "es").lower().startswith("mis amigos")


# -------------------------------------------------------------------- lifetime and memory


def test_idle_pipelines_are_closed_and_started_again_on_use() -> None:
    """After ``idle_seconds`` without use the processes are gone; the next use starts them."""
    translator = Translator(idle_seconds=1.0)
    try:
        translator.translate("hello", "en", "es")
        pid = translator._pipelines["eng-spa"]._process.pid  # type: ignore[union-attr]
        assert translator.live() == ["eng-spa"]
        deadline = time.monotonic() + 10
        while translator.live() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert translator.live() == []
        assert list(_group_members(pid)) == []  # every program of the pipeline has exited
        assert translator.translate("hello again", "en", "es")
        assert translator.live() == ["eng-spa"]
    finally:
        translator.close()


def test_live_pipelines_are_bounded() -> None:
    """At most ``max_pipelines`` run at once, least recently used closed first."""
    translator = Translator(max_pipelines=2)
    try:
        texts = {"es": "hello friends", "fr": "good morning", "it": "good night"}
        for target, text in texts.items():  # eng-spa, then es-fr, then spa-ita
            translator.translate(text, "en", target)
            assert len(translator.live()) <= 2
        assert "eng-spa" in translator.live()  # used by every route: never the oldest
        assert translator.memory_bytes() > 0
    finally:
        translator.close()
    assert translator.live() == []
    assert translator.memory_bytes() == 0


# -------------------------------------------------------------------------- stream format


def test_stream_format_escapes_and_protects() -> None:
    """Special characters are escaped; protected tokens become superblanks; round trip exact."""
    text = "hi @ana see https://x.org/a?b=[1]&c=2 ^$ 🎉 *"
    stream = to_stream(text)
    assert "[\\@ana]" in stream
    assert "[https:\\/\\/x.org\\/a?b=\\[1\\]&c=2]" in stream
    assert "\\^\\$" in stream
    assert "[🎉]" in stream
    assert clean_output(stream) == text


def test_clean_output_drops_apertium_residue() -> None:
    """Unknown-word marks, lexical units and tags from Apertium do not reach the reader."""
    residue = "Hola *blorf #ir @casa ^perro<n><sg>/dog$<sent>."
    assert clean_output(residue) == "Hola blorf ir casa perro."


def test_the_modes_folder_default_is_debians() -> None:
    """The translator looks where Debian installs Apertium's modes."""
    assert Path("/usr/share/apertium/modes") == DEFAULT_MODES_DIR


def test_each_leg_is_translated_once_and_remembered(translator: Translator) -> None:
    """The sentiment judge's English and the readers' copy are one translation; en->fr and
    en->it share their en->es leg."""
    text = "See you at the market on Saturday morning, friends"
    hits = translator.cache_hits
    first = translator.translate(text, "en", "fr")
    assert translator.cache_hits == hits
    assert translator.translate(text, "en", "it")  # its en->es leg is remembered
    assert translator.cache_hits == hits + 1
    assert translator.translate(text, "en", "fr") == first  # both legs remembered
    assert translator.cache_hits == hits + 3


def test_the_memory_of_answers_is_bounded() -> None:
    """At most ``cache_size`` answers are kept, the least recently used forgotten first."""
    translator = Translator(cache_size=2)
    try:
        for word in ("one friend", "two friends", "three friends"):
            translator.translate(word, "en", "es")
        assert len(translator._cache) == 2
        hits = translator.cache_hits
        translator.translate("one friend", "en", "es")  # forgotten: translated again
        assert translator.cache_hits == hits
    finally:
        translator.close()
