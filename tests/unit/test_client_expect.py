"""Unit tests of the tester client's --expect grammar and its evaluation over synthetic frames."""

from __future__ import annotations

import pytest
from chat_client.expect import (
    COUNTERS,
    ExpectationSyntaxError,
    check_all,
    grammar_help,
    parse_expectation,
)

FRAMES = [
    {"type": "joined", "id": "j1", "room": "lobby", "user": "Ana", "lang": "en"},
    {
        "type": "history",
        "mode": "latest",
        "messages": [
            {"type": "message", "user": "Bo", "content": "hi"},
            {"type": "message", "user": "Cy", "content": "yo"},
        ],
        "hasMore": False,
    },
    {"type": "ack", "id": "m1", "messageId": "1", "status": "published"},
    {
        "type": "message",
        "clientId": "m1",
        "user": "Ana",
        "translation": "original",
        "sentiment": "POSITIVE",
    },
    {
        "type": "message",
        "clientId": "x",
        "user": "Bo",
        "translation": "unavailable",
        "sentiment": "NEUTRAL",
    },
    {"type": "rejected", "id": "m2", "reason": "NEGATIVE"},
    {"type": "error", "id": "m3", "code": "RATE_LIMITED", "retryAfter": 2},
    {"type": "error", "id": "m4", "code": "NOT_JOINED"},
    {"type": "review.queued", "messageId": "9"},
    {"_raw": "not json"},
]


@pytest.mark.parametrize(
    ("source", "name", "value", "op", "count"),
    [
        ("rejected", "rejected", None, ">=", 1),
        ("acked=3", "acked", None, "=", 3),
        ("delivered>=3", "delivered", None, ">=", 3),
        ("error=NOT_JOINED", "error", "NOT_JOINED", ">=", 1),
        ("translation=unavailable", "translation", "unavailable", ">=", 1),
        ("error:RATE_LIMITED<=2", "error", "RATE_LIMITED", "<=", 2),
        ("error = 0", "error", None, "=", 0),
        ("held != 1", "held", None, "!=", 1),
        ("type=review.queued", "type", "review.queued", ">=", 1),
        ("frames>5", "frames", None, ">", 5),
    ],
    ids=str,
)
def test_parse_expectation_reads_each_form(source, name, value, op, count):
    """Every documented form parses into counter, value, operator and count."""
    expectation = parse_expectation(source)
    assert (expectation.counter.name, expectation.value, expectation.op, expectation.count) == (
        name,
        value,
        op,
        count,
    )


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("", "cannot read"),
        ("acked>=", "cannot read"),
        ("akced=1", "unknown name 'akced'"),
        ("acked>=three", "not a whole number"),
        ("topics=Paris", "takes no VALUE"),
        ("acked=>1", "cannot read"),
        ("Acked=1", "cannot read"),
    ],
    ids=["empty", "no-count", "typo", "word-count", "value-without-field", "bad-op", "uppercase"],
)
def test_parse_expectation_rejects_bad_input_with_a_clear_message(source, fragment):
    """Malformed expressions raise ExpectationSyntaxError naming the problem."""
    with pytest.raises(ExpectationSyntaxError, match=fragment):
        parse_expectation(source)


@pytest.mark.parametrize(
    ("source", "got", "ok"),
    [
        ("acked", 1, True),
        ("acked=1", 1, True),
        ("acked=2", 1, False),
        ("rejected", 1, True),
        ("held", 0, False),
        ("held=0", 0, True),
        ("delivered>=2", 2, True),
        ("delivered>2", 2, False),
        ("delivered=Bo", 1, True),
        ("error=not_joined", 1, True),
        ("error:RATE_LIMITED=1", 1, True),
        ("error=MUTED", 0, False),
        ("error<2", 2, False),
        ("translation=unavailable", 1, True),
        ("translation:translated>=1", 0, False),
        ("sentiment=positive", 1, True),
        ("historical=2", 2, True),
        ("historical=Cy", 1, True),
        ("history=latest", 1, True),
        ("type=review.queued", 1, True),
        ("frames=10", 10, True),
        ("joined=lobby", 1, True),
    ],
    ids=str,
)
def test_expectation_counts_the_right_frames(source, got, ok):
    """Each counter counts only its frames (and only those with the VALUE, case-insensitively)."""
    verdict = check_all([parse_expectation(source)], FRAMES)[0]
    assert (verdict.got, verdict.ok) == (got, ok)


def test_verdict_message_says_what_was_expected_and_what_arrived():
    """A failed verdict's message quotes the expression, the expectation in words and the count."""
    verdict = parse_expectation("acked=1").holds([{"type": "rejected", "reason": "NEGATIVE"}])
    assert not verdict.ok
    assert verdict.message() == (
        "expectation FAILED: 'acked=1': expected exactly 1 ack frame(s), got 0"
    )


def test_describe_mentions_the_value_field():
    """An expectation with a VALUE names the field it is matched on."""
    assert parse_expectation("error=NOT_JOINED").describe() == (
        "at least 1 error frame(s) with code NOT_JOINED"
    )


def test_grammar_help_lists_every_counter():
    """The --help text documents every counter name and the four forms."""
    text = grammar_help()
    for name in COUNTERS:
        assert f"  {name} " in text
    for example in ("acked=3", "delivered>=3", "error=NOT_JOINED", "error:RATE_LIMITED<=2"):
        assert example in text


def test_error_counter_counts_v1_error_notices():
    """Before joining with v2 the server answers in v1's shape; its error notices still count."""
    v1 = [
        [{"user": "Positive Chat", "content": "join a room first", "error": "NOT_JOINED"}],
        [{"user": "Ana", "content": "hello"}],
    ]
    assert parse_expectation("error=NOT_JOINED").holds(v1).ok
    assert parse_expectation("error=1").holds(v1).got == 1
