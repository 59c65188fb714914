"""The labelled chat messages, posted through the local cloud: what the room refuses, per language.

Every message of ``tests/data/sentiment/`` (tuning and holdout sets: en, es, fr, de, it, pt;
hostile, fine and sad) is posted by a v2 client in its language through the real gateway, the
real Lambda and the offline Comprehend/Translate, and the ack says what happened to it. Targets
(issue 12): hostile refused >= 80 % overall and >= 60 % in every language; clearly fine messages
refused <= 5 %; none held (every language gets a decision offline).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.chat import ChatClient

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

DATA = Path(__file__).resolve().parents[1] / "data" / "sentiment"
LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
# Stay under the per-connection burst (30 frames): a fresh writer every this many messages.
PER_WRITER = 20


def _messages(lang: str) -> list[dict[str, str]]:
    rows = []
    for name in (f"{lang}.jsonl", f"{lang}.holdout.jsonl"):
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        rows += [json.loads(line) for line in lines if line.strip()]
    return rows


async def _post_all(url: str, room: str, lang: str) -> list[tuple[str, str]]:
    """(label, ack status) for each message of ``lang``, posted in chunks by fresh writers."""
    results: list[tuple[str, str]] = []
    rows = _messages(lang)
    for start in range(0, len(rows), PER_WRITER):
        writer = await ChatClient.join(url, room, user=f"W{lang}{start}", lang=lang)
        try:
            for row in rows[start : start + PER_WRITER]:
                sent = await writer.post(row["text"])
                results.append((row["label"], await writer.outcome(sent)))
        finally:
            await writer.close()
    return results


async def test_labelled_messages_through_the_local_cloud(
    local_cloud: RunningCloud, room: str
) -> None:
    outcomes = await asyncio.gather(
        *(_post_all(local_cloud.ws_url, f"{room}-{lang}", lang) for lang in LANGUAGES)
    )
    by_language = dict(zip(LANGUAGES, outcomes, strict=True))

    def refused(rows: list[tuple[str, str]], label: str) -> tuple[int, int]:
        labelled = [status for kind, status in rows if kind == label]
        return sum(status == "rejected" for status in labelled), len(labelled)

    report = []
    for lang, rows in by_language.items():
        hostile, n_hostile = refused(rows, "hostile")
        fine, n_fine = refused(rows, "fine")
        report.append(f"{lang}: hostile {hostile}/{n_hostile} refused, fine {fine}/{n_fine}")
    print("\n".join(report))

    statuses = Counter(status for rows in by_language.values() for _, status in rows)
    assert statuses["held"] == 0, statuses
    assert set(statuses) <= {"published", "rejected"}, statuses
    for lang, rows in by_language.items():
        hostile, n_hostile = refused(rows, "hostile")
        assert n_hostile >= 15, lang
        assert hostile / n_hostile >= 0.60, report
    everything = [row for rows in by_language.values() for row in rows]
    hostile, n_hostile = refused(everything, "hostile")
    fine, n_fine = refused(everything, "fine")
    assert hostile / n_hostile >= 0.80, report
    assert fine / n_fine <= 0.05, report
