"""chat-count-calls' original column comes from running the original's app.js, as written.

``scripts/original/count.js`` loads ``../shared/original-client/app.js`` unmodified under node with
a counting fake AWS SDK. These tests check that run against what the original's source says it
does in the report's room (10 readers: 4 en, 3 fr, 3 de; an English sender; 50 messages of
history), and that the run is real: the frames it posted are the ones its code builds.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

saved_environment = dict(os.environ)
from operations.costs import count_calls  # noqa: E402 - sets the in-process rig's fake AWS variables

os.environ.clear()
os.environ.update(saved_environment)

REJECT_NOTICE = "Please find a better way to express this."  # app.js's REJECT_MESSAGE


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, Any]]:
    """The original's run on a warm container and with a fresh container per operation."""
    return {container: count_calls.run_original(container) for container in ("warm", "fresh")}


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """Give the other tests their environment back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def calls(run: dict[str, Any], step: str) -> Counter[str]:
    """``service:Operation`` counts of one step."""
    return Counter(run["steps"][step])


def test_accepted_message_costs_24_calls_with_a_translation_per_reader(
    runs: dict[str, dict[str, Any]],
) -> None:
    """Its cache is read before the first await: all 6 fr/de readers miss and translate."""
    for run in runs.values():
        counted = calls(run, "accepted message")
        assert counted == Counter(
            {
                "comprehend:DetectDominantLanguage": 1,
                "comprehend:DetectSentiment": 1,
                "comprehend:DetectEntities": 1,
                "dynamodb:GetItem": 1,  # the sender's Connections item (its room)
                "dynamodb:UpdateItem": 1,  # the topic "Paris"
                "dynamodb:Query": 2,  # the top-3 topics, the room's connections
                "dynamodb:PutItem": 1,  # the message
                "translate:TranslateText": 6,
                "apigatewaymanagementapi:PostToConnection": 10,
            }
        )
        assert sum(counted.values()) == 24


def test_each_reader_got_the_frame_the_original_builds(runs: dict[str, dict[str, Any]]) -> None:
    """One frame per reader; fr and de readers get their language's translation."""
    posts = runs["warm"]["posts"]["accepted message"]
    readers = dict(count_calls.READERS)
    assert sorted(p["connectionId"] for p in posts) == sorted(readers)
    for post in posts:
        (message,) = post["data"]
        assert message["content"] == count_calls.ACCEPTED
        assert message["topics"] == {"Paris": 1}
        assert message["roomTopics"] == ["Paris"]
        lang = readers[post["connectionId"]]
        if lang != "en":
            assert message["translated"] == f"[{lang}] {count_calls.ACCEPTED}"


def test_refused_message_costs_4_calls_detect_entities_included(
    runs: dict[str, dict[str, Any]],
) -> None:
    """DetectEntities runs before the refusal; nothing is stored; only the sender hears back."""
    for run in runs.values():
        assert calls(run, "rejected message") == Counter(
            {
                "comprehend:DetectDominantLanguage": 1,
                "comprehend:DetectSentiment": 1,
                "comprehend:DetectEntities": 1,
                "apigatewaymanagementapi:PostToConnection": 1,
            }
        )
        ((post),) = run["posts"]["rejected message"]
        assert post["connectionId"] == "r01"
        assert post["data"][0]["content"] == REJECT_NOTICE


def test_a_join_translates_the_whole_history_unless_the_container_did_before(
    runs: dict[str, dict[str, Any]],
) -> None:
    """Warm: its cache holds every fr translation; fresh: 50 + the accepted message, again."""
    history = count_calls.HISTORY + 1  # the seeded messages and the accepted one
    warm = calls(runs["warm"], "join (history translated before)")
    fresh = calls(runs["fresh"], "join (history translated before)")
    base = {
        "dynamodb:PutItem": 1,
        "dynamodb:Query": 1,
        "apigatewaymanagementapi:PostToConnection": 1,
    }
    assert warm == Counter(base)
    assert fresh == Counter({**base, "translate:TranslateText": history})
    (frame,) = runs["fresh"]["posts"]["join (history translated before)"]
    assert len(frame["data"]) == history  # one frame, the whole history
    for run in runs.values():
        assert calls(run, "join (first reader of a new language)") == Counter(
            {**base, "translate:TranslateText": history}
        )
