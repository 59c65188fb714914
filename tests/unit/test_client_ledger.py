"""Unit tests of load-mode delivery verification with synthetic sends and deliveries."""

from __future__ import annotations

import pytest
from chat_client.ledger import DeliveryLedger
from hypothesis import given
from hypothesis import strategies as st

ROOM = frozenset({"ana", "bo", "cy"})


def ledger_with(*messages: tuple[str, str, int, float]) -> DeliveryLedger:
    """A ledger where each (client id, sender, seq, time) was sent to ROOM and acked."""
    ledger = DeliveryLedger()
    for client_id, sender, seq, at in messages:
        ledger.sent(client_id, sender=sender, room="r", seq=seq, at=at, readers=ROOM)
        ledger.outcome(client_id, "ack", at + 0.001)
    return ledger


def test_ledger_all_delivered_once_in_order_is_ok():
    """Every reader gets every message once, in order: nothing lost, report ok."""
    ledger = ledger_with(("a1", "ana", 1, 0.0), ("a2", "ana", 2, 0.1))
    for reader in sorted(ROOM):
        ledger.delivery(reader, "a1", 0.010)
        ledger.delivery(reader, "a2", 0.130)
    report = ledger.report()
    assert report.ok
    assert (report.sent, report.acked, report.delivered, report.expected_deliveries) == (2, 2, 6, 6)
    assert (report.lost, report.duplicates, report.out_of_order) == (0, 0, 0)
    assert report.delivery_latency.count == 6
    assert report.delivery_latency.p50_ms == pytest.approx(20.0)
    assert report.ack_latency.max_ms == pytest.approx(1.0)
    assert report.problems() == []


def test_ledger_detects_a_lost_delivery():
    """A reader that was in the room and never got an acked message counts as a loss."""
    ledger = ledger_with(("a1", "ana", 1, 0.0))
    ledger.delivery("ana", "a1", 0.01)
    ledger.delivery("bo", "a1", 0.01)
    report = ledger.report()
    assert report.lost == 1
    assert not report.ok
    assert report.problems() == ["1 deliveries lost"]


def test_ledger_detects_a_duplicate_delivery():
    """The same message twice at one reader is a duplicate, counted once as delivered."""
    ledger = ledger_with(("a1", "ana", 1, 0.0))
    for reader in ("ana", "bo", "cy", "bo"):
        ledger.delivery(reader, "a1", 0.01)
    report = ledger.report()
    assert (report.delivered, report.duplicates, report.lost) == (3, 1, 0)
    assert not report.ok


def test_ledger_detects_out_of_order_per_sender():
    """A reader seeing a sender's second message before the first is out of order."""
    ledger = ledger_with(("a1", "ana", 1, 0.0), ("a2", "ana", 2, 0.1))
    for reader in ("ana", "cy"):
        ledger.delivery(reader, "a1", 0.2)
        ledger.delivery(reader, "a2", 0.2)
    ledger.delivery("bo", "a2", 0.2)
    ledger.delivery("bo", "a1", 0.3)
    report = ledger.report()
    assert report.out_of_order == 1
    assert report.lost == 0
    assert not report.ok


def test_ledger_order_is_per_sender_not_global():
    """Interleaving two senders' messages differently at two readers is fine."""
    ledger = ledger_with(("a1", "ana", 1, 0.0), ("b1", "bo", 1, 0.0))
    ledger.delivery("ana", "a1", 0.1)
    ledger.delivery("ana", "b1", 0.1)
    ledger.delivery("bo", "b1", 0.1)
    ledger.delivery("bo", "a1", 0.1)
    ledger.delivery("cy", "a1", 0.1)
    ledger.delivery("cy", "b1", 0.1)
    assert ledger.report().ok


def test_ledger_unanswered_and_refused_messages_fail_without_expecting_delivery():
    """Refused and unanswered messages are expected nowhere, but they fail the run."""
    ledger = DeliveryLedger()
    for client_id, seq in (("r", 1), ("h", 2), ("e", 3), ("n", 4)):
        ledger.sent(client_id, sender="ana", room="r", seq=seq, at=0.0, readers=ROOM)
    ledger.outcome("r", "rejected", 0.1)
    ledger.outcome("h", "held", 0.1)
    ledger.outcome("e", "error", 0.1, code="RATE_LIMITED")
    report = ledger.report()
    assert (report.expected_deliveries, report.lost) == (0, 0)
    assert (report.rejected, report.held, report.errors, report.unanswered) == (
        1,
        1,
        {"RATE_LIMITED": 1},
        1,
    )
    assert not report.ok
    assert report.problems() == [
        "1 messages got no answer",
        "3 messages not accepted (1 rejected, 1 held, 1 RATE_LIMITED)",
    ]


def test_ledger_counts_foreign_and_unexpected_deliveries_without_failing():
    """Other clients' messages and deliveries to late joiners are counted, not failures."""
    ledger = ledger_with(("a1", "ana", 1, 0.0))
    for reader in (*sorted(ROOM), "late"):
        ledger.delivery(reader, "a1", 0.1)
    ledger.delivery("ana", "someone-else", 0.1)
    ledger.delivery("ana", None, 0.1)
    report = ledger.report()
    assert (report.unexpected, report.foreign) == (1, 2)
    assert report.ok


def test_ledger_pending_counts_fall_as_answers_arrive():
    """Pending outcomes and deliveries drain to zero as the run completes."""
    ledger = DeliveryLedger()
    ledger.sent("a1", sender="ana", room="r", seq=1, at=0.0, readers=ROOM)
    assert (ledger.pending_outcomes(), ledger.pending_deliveries()) == (1, 0)
    ledger.delivery("bo", "a1", 0.05)  # a delivery may overtake the sender's ack
    ledger.outcome("a1", "ack", 0.1)
    assert (ledger.pending_outcomes(), ledger.pending_deliveries()) == (0, 2)
    ledger.delivery("ana", "a1", 0.1)
    ledger.delivery("cy", "a1", 0.1)
    assert ledger.pending_deliveries() == 0


def test_ledger_keeps_the_first_outcome_and_ignores_unknown_ids():
    """A second outcome for the same id, or an outcome for an id we never sent, changes nothing."""
    ledger = ledger_with(("a1", "ana", 1, 0.0))
    assert ledger.outcome("a1", "error", 0.5, code="IN_PROGRESS") is False
    assert ledger.outcome("zzz", "ack", 0.5) is False
    assert ledger.outcome(None, "ack", 0.5) is False
    assert ledger.messages["a1"].outcome == "ack"


def test_ledger_refuses_a_reused_client_id():
    """Client ids are unique per run: reusing one is a bug in the driver."""
    ledger = ledger_with(("a1", "ana", 1, 0.0))
    with pytest.raises(ValueError, match="already used"):
        ledger.sent("a1", sender="ana", room="r", seq=2, at=1.0, readers=ROOM)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ack", "deliver", "other"]),
            st.integers(0, 3),
            st.sampled_from(sorted(ROOM | {"late"})),
        ),
        max_size=60,
    )
)
def test_ledger_pending_deliveries_match_a_recount(events):
    """Whatever the order of acks and deliveries, the running count equals a full recount."""
    ledger = DeliveryLedger()
    for index in range(4):
        ledger.sent(f"m{index}", sender="ana", room="r", seq=index, at=0.0, readers=ROOM)
    for kind, index, reader in events:
        if kind == "ack":
            ledger.outcome(f"m{index}", "ack", 0.1)
        elif kind == "deliver":
            ledger.delivery(reader, f"m{index}", 0.1)
        else:
            ledger.outcome(f"m{index}", "rejected", 0.1)
    recount = sum(
        len(m.expected_readers - m.readers) for m in ledger.messages.values() if m.outcome == "ack"
    )
    assert ledger.pending_deliveries() == recount
    assert ledger.pending_outcomes() == sum(m.outcome is None for m in ledger.messages.values())
    assert ledger.report().lost == recount
