"""The cost report's in-process run: the levers' savings are measured, not assumed.

Each test runs a small workload through the real handler (operations.inprocess: moto tables,
fake services, the botocore meter) with the levers off and on, and compares what was counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from operations.costs.report import Workload, run_ours, steady


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """The in-process rig sets fake AWS variables; give the other tests theirs back."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_cost_report_detector_removes_language_detection_calls() -> None:
    """With the detector on, the steady chat's 60-character texts skip DetectDominantLanguage."""
    workload = steady(6)
    off = run_ours(workload, "off")
    on = run_ours(workload, "detector")

    assert off.operations["comprehend:DetectDominantLanguage"] == 6
    assert on.operations["comprehend:DetectDominantLanguage"] == 0
    assert on.operations["comprehend:DetectSentiment"] == 6
    assert off.units["comprehend.unit"] - on.units["comprehend.unit"] == 6 * 3


def test_cost_report_cache_answers_repeated_texts() -> None:
    """A repeated phrase costs Comprehend and Translate once; the repeats hit the cache."""
    base = steady(4)
    sender, _ = base.members[0]
    events = [("message", sender, "thank you") for _ in range(3)]
    workload = Workload("repeats", base.members, events, texts=base.texts)
    base.texts.language_of["thank you"] = "en"

    off = run_ours(workload, "off")
    on = run_ours(workload, "cache")

    assert off.operations["comprehend:DetectSentiment"] == 3
    assert on.operations["comprehend:DetectSentiment"] == 1
    assert off.operations["translate:TranslateText"] == 3 * 2  # fr and de readers
    assert on.operations["translate:TranslateText"] == 2
    assert on.cache_stats["sent:hit"] == 2
    assert on.units["apigateway.message"] == off.units["apigateway.message"]  # same delivery
