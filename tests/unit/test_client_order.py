"""The tester client shows live messages in message-id order, not in arrival order."""

from __future__ import annotations

from typing import Any

from chat_client.interactive import LiveOrder


def message(message_id: str, text: str) -> dict[str, Any]:
    return {"type": "message", "messageId": message_id, "content": text}


A = "01763900000001-0001AAAAAA"
B = "01763900000001-0002AAAAAA"
C = "01763900000002-0001AAAAAA"


def texts(shown: list[tuple[dict[str, Any], bool]]) -> list[tuple[str, bool]]:
    return [(frame["content"], late) for frame, late in shown]


def test_out_of_order_arrivals_are_shown_in_id_order() -> None:
    """line 3 arrives before lines 1 and 2 (their invocations were slower): shown 1, 2, 3."""
    order = LiveOrder(window=0.3)
    order.add(message(C, "line 3"), now=0.0)
    order.add(message(A, "line 1"), now=0.1)
    order.add(message(B, "line 2"), now=0.2)
    assert order.due(0.29) == []
    assert abs((order.wait(0.29) or 0.0) - 0.01) < 1e-9
    # line 3's wait is over: everything up to it goes out in id order.
    assert texts(order.due(0.3)) == [("line 1", False), ("line 2", False), ("line 3", False)]
    assert order.wait(0.3) is None


def test_a_message_later_than_the_window_is_marked_earlier() -> None:
    """One that arrives after a later message was shown is shown at once, marked."""
    order = LiveOrder(window=0.3)
    order.add(message(C, "line 3"), now=0.0)
    assert texts(order.due(0.3)) == [("line 3", False)]
    order.add(message(A, "line 1"), now=1.0)
    assert texts(order.due(1.3)) == [("line 1", True)]


def test_everything_flushes_what_is_held() -> None:
    order = LiveOrder(window=0.3)
    order.add(message(B, "line 2"), now=0.0)
    order.add(message(A, "line 1"), now=0.0)
    assert texts(order.due(0.0, everything=True)) == [("line 1", False), ("line 2", False)]
