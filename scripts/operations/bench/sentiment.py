"""Offline sentiment on labelled chat messages: the new judge beside today's VADER-only labels.

    .venv/bin/chat-bench-sentiment                   # both sets, Apertium translation
    .venv/bin/chat-bench-sentiment --set holdout     # only the held-out messages
    .venv/bin/chat-bench-sentiment --set blind       # only the blind messages
    .venv/bin/chat-bench-sentiment --set dev         # the development messages
    .venv/bin/chat-bench-sentiment --no-translation  # the judge with to_english=None
    .venv/bin/chat-bench-sentiment --show-misses     # list every message judged wrong

The messages are ``tests/data/sentiment/<lang>.jsonl`` (the set the judge's cues were written
against) and ``<lang>.holdout.jsonl`` (written afterwards and measured before any cue was
changed for it; see BENCHMARKS.md). ``<lang>.dev.jsonl`` is a development set of the general
weaknesses the blind set showed (technical and gaming talk, praise idioms, laughter, happy
swearing, threats, exclusion, wishes of harm, insults without swear words), written as new
messages to improve the judge on; it is read only with ``--set dev``. ``<lang>.blind.jsonl``
was written by someone who had not seen the judge's cues and is read only with ``--set blind``
("all" is tuning and holdout, the sets the tests hold to the targets). Each has ``label``
hostile, fine or sad. The chat refuses a message that DetectSentiment calls NEGATIVE, so per
language this prints the share of hostile messages refused (higher is better), of fine messages
refused (lower is better) and of sad ones refused (no target: Comprehend itself calls most of
them NEGATIVE).

"new" is :func:`localcloud.language.sentiment.judge` with the request's language and, for es,
fr, it and pt, an English translation by Apertium (the same pipes as the local cloud: es->en
directly, fr/it/pt through Spanish), shelled out here per language in one batch. "VADER-only"
is :func:`localcloud.language.analysis.analyze_sentiment`, VADER's English lexicon on the text
whatever its language, which is what the local cloud answered before.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from localcloud.language.analysis import analyze_sentiment
from localcloud.language.sentiment import judge

ROOT = Path(__file__).resolve().parents[3]

DATA = ROOT / "tests" / "data" / "sentiment"
LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
LABELS = ("hostile", "fine", "sad")
SETS = {
    "tuning": "{lang}.jsonl",
    "holdout": "{lang}.holdout.jsonl",
    "blind": "{lang}.blind.jsonl",
    "blind2": "{lang}.blind2.jsonl",
    "blind3": "{lang}.blind3.jsonl",
    "dev": "{lang}.dev.jsonl",
}
# What load() and --set all read: the sets the judge is held to its targets on. The blind set,
# written by someone who had not seen the judge's cues, is only measured on request.
DEFAULT_SETS = ("tuning", "holdout")
# Apertium modes from each language to English (German has none).
APERTIUM_PIPES: dict[str, tuple[str, ...]] = {
    "es": ("spa-eng",),
    "fr": ("fr-es", "spa-eng"),
    "it": ("ita-spa", "spa-eng"),
    "pt": ("pt-es", "spa-eng"),
}


@dataclass(frozen=True)
class Message:
    lang: str
    label: str
    text: str


def load(sets: Iterable[str] = DEFAULT_SETS, languages: Iterable[str] = LANGUAGES) -> list[Message]:
    """The labelled messages of the named sets, in file order."""
    messages: list[Message] = []
    for name in sets:
        for lang in languages:
            path = DATA / SETS[name].format(lang=lang)
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    messages.append(Message(row["lang"], row["label"], row["text"]))
    return messages


class ApertiumError(RuntimeError):
    """Apertium is missing or a pipe failed."""


def apertium_translations(messages: Sequence[Message]) -> dict[tuple[str, str], str]:
    """English translations of the es/fr/it/pt messages, one Apertium run per language.

    Apertium keeps one output line per input line, so a language's messages go through its
    pipe together. Raises :class:`ApertiumError` when Apertium is not installed or a pipe fails
    (``ita-spa`` needs ``cg-proc`` from Debian's ``cg3``).
    """
    if shutil.which("apertium") is None:
        raise ApertiumError(
            "apertium is not installed: apt-get install apertium apertium-eng-spa apertium-fr-es "
            "apertium-es-pt apertium-spa-ita cg3"
        )
    found: dict[tuple[str, str], str] = {}
    for lang, modes in APERTIUM_PIPES.items():
        texts = [message.text for message in messages if message.lang == lang]
        if not texts:
            continue
        out = "\n".join(texts) + "\n"
        for mode in modes:
            run = subprocess.run(
                ["apertium", "-u", mode], input=out, capture_output=True, text=True, check=False
            )
            if run.returncode != 0 or not run.stdout.strip():
                raise ApertiumError(f"apertium -u {mode} failed: {run.stderr.strip()[:300]}")
            out = run.stdout
        lines = out.rstrip("\n").split("\n")
        if len(lines) != len(texts):
            raise ApertiumError(f"apertium {lang}: {len(texts)} lines in, {len(lines)} out")
        found.update({(lang, text): line.strip() for text, line in zip(texts, lines, strict=True)})
    return found


def lookup(table: dict[tuple[str, str], str]) -> Callable[[str, str], str | None]:
    """A ``to_english`` callable answering from precomputed translations."""
    return lambda text, lang: table.get((lang, text))


@dataclass
class Tally:
    refused: int = 0
    total: int = 0

    def share(self) -> float:
        return 100.0 * self.refused / self.total if self.total else 0.0


def refusals(
    messages: Sequence[Message], label_of: Callable[[Message], str]
) -> dict[tuple[str, str], Tally]:
    """(language, label) -> how many were labelled NEGATIVE; language "all" sums them."""
    tallies: dict[tuple[str, str], Tally] = {}
    for message in messages:
        refused = label_of(message) == "NEGATIVE"
        for lang in (message.lang, "all"):
            tally = tallies.setdefault((lang, message.label), Tally())
            tally.total += 1
            tally.refused += refused
    return tallies


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--no-translation", action="store_true", help="judge with to_english=None")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)

    messages = load(DEFAULT_SETS if args.set == "all" else [args.set])
    to_english = None if args.no_translation else lookup(apertium_translations(messages))
    new = refusals(messages, lambda m: judge(m.text, m.lang, to_english=to_english).sentiment)
    old = refusals(messages, lambda m: analyze_sentiment(m.text).sentiment)

    print(f"set: {args.set}; translation: {'none' if to_english is None else 'Apertium'}")
    print("refused (NEGATIVE) %, new judge vs VADER-only; n = messages per label")
    print("| language | hostile refused | fine refused | sad refused | n (h/f/s) |")
    print("|---|---:|---:|---:|---:|")
    for lang in (*LANGUAGES, "all"):
        cells = [
            f"**{new[(lang, label)].share():.0f}** vs {old[(lang, label)].share():.0f}"
            for label in LABELS
        ]
        sizes = "/".join(str(new[(lang, label)].total) for label in LABELS)
        print(f"| {lang} | {' | '.join(cells)} | {sizes} |")
    if args.show_misses:
        for message in messages:
            label = judge(message.text, message.lang, to_english=to_english).sentiment
            wrong = (message.label == "hostile") != (label == "NEGATIVE")
            if wrong and message.label != "sad":
                print(f"miss {message.lang} {message.label:7} {label:8} {message.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
