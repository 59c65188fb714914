"""Delivery verification for the load mode: every published message reaches every reader who was
in its room when it was sent, exactly once, and each reader sees each sender's messages in order.

The ledger is pure bookkeeping (no I/O, no clock of its own): the load driver reports what it
sent, the outcome the server gave, and each delivery a reader saw, with times from one monotonic
clock. :meth:`DeliveryLedger.report` then counts what was lost, duplicated or reordered.

Expected readers are the room's members when the message was sent (the sender included: the
server delivers a message to its author too). A reader that joined later and still got the
message is fine; one that was there and did not is a loss.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from chat_client.stats import LatencySummary, summarize

__all__ = ["DeliveryLedger", "DeliveryReport", "Outcome", "SentMessage"]

Outcome = Literal["ack", "rejected", "held", "error"]


@dataclass
class SentMessage:
    """One message the load driver sent, and what became of it."""

    client_id: str
    sender: str
    room: str
    seq: int
    sent_at: float
    expected_readers: frozenset[str]
    outcome: Outcome | None = None
    outcome_at: float | None = None
    error_code: str | None = None
    readers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DeliveryReport:
    """What the ledger found; ``ok`` when nothing was lost, duplicated, reordered or unanswered."""

    sent: int
    acked: int
    rejected: int
    held: int
    errors: dict[str, int]
    unanswered: int
    expected_deliveries: int
    delivered: int
    lost: int
    duplicates: int
    out_of_order: int
    unexpected: int
    foreign: int
    delivery_latency: LatencySummary
    ack_latency: LatencySummary

    @property
    def ok(self) -> bool:
        """True when every message was acked and delivered exactly once, in order, everywhere."""
        return (self.lost == 0 and self.duplicates == 0 and self.out_of_order == 0
                and self.unanswered == 0 and self.acked == self.sent)

    def problems(self) -> list[str]:
        """One phrase per kind of failure (empty when ``ok``)."""
        found = []
        if self.lost:
            found.append(f"{self.lost} deliveries lost")
        if self.duplicates:
            found.append(f"{self.duplicates} duplicate deliveries")
        if self.out_of_order:
            found.append(f"{self.out_of_order} deliveries out of order")
        if self.unanswered:
            found.append(f"{self.unanswered} messages got no answer")
        not_acked = self.rejected + self.held + sum(self.errors.values())
        if not_acked:
            detail = ", ".join(
                [f"{self.rejected} rejected"] * bool(self.rejected)
                + [f"{self.held} held"] * bool(self.held)
                + [f"{n} {code}" for code, n in sorted(self.errors.items())]
            )
            found.append(f"{not_acked} messages not accepted ({detail})")
        return found


class DeliveryLedger:
    """Bookkeeping of sends, outcomes and deliveries (see the module docstring)."""

    def __init__(self) -> None:
        self.messages: dict[str, SentMessage] = {}
        self._last_seq: dict[tuple[str, str], int] = {}  # (reader, sender) -> last seq seen
        self._ack_latencies: list[float] = []
        self._delivery_latencies: list[float] = []
        self.delivered = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.unexpected = 0
        self.foreign = 0
        self._open_outcomes = 0  # sent, no outcome yet
        self._open_deliveries = 0  # expected deliveries of acked messages not yet seen

    def sent(
        self, client_id: str, *, sender: str, room: str, seq: int, at: float,
        readers: frozenset[str],
    ) -> SentMessage:
        """Record a message as sent to ``room`` where ``readers`` are present."""
        if client_id in self.messages:
            raise ValueError(f"client id {client_id!r} was already used")
        message = SentMessage(client_id, sender, room, seq, at, readers)
        self.messages[client_id] = message
        self._open_outcomes += 1
        return message

    def outcome(self, client_id: object, kind: Outcome, at: float, code: str | None = None) -> bool:
        """Record the server's answer to a message; False if the id is not one of ours."""
        message = self.messages.get(client_id) if isinstance(client_id, str) else None
        if message is None or message.outcome is not None:
            return False
        message.outcome, message.outcome_at, message.error_code = kind, at, code
        self._open_outcomes -= 1
        if kind == "ack":
            self._ack_latencies.append(at - message.sent_at)
            self._open_deliveries += len(message.expected_readers - message.readers)
        return True

    def delivery(self, reader: str, client_id: object, at: float) -> None:
        """Record that ``reader`` received the message with ``client_id`` at time ``at``."""
        message = self.messages.get(client_id) if isinstance(client_id, str) else None
        if message is None:
            self.foreign += 1  # someone else's message, or one without a client id
            return
        if reader in message.readers:
            self.duplicates += 1
            return
        message.readers.add(reader)
        self.delivered += 1
        self._delivery_latencies.append(at - message.sent_at)
        if reader not in message.expected_readers:
            self.unexpected += 1
        elif message.outcome == "ack":
            self._open_deliveries -= 1
        key = (reader, message.sender)
        last = self._last_seq.get(key)
        if last is not None and message.seq < last:
            self.out_of_order += 1
        else:
            self._last_seq[key] = message.seq

    def pending_outcomes(self) -> int:
        """Messages still waiting for ack/rejected/held/error."""
        return self._open_outcomes

    def pending_deliveries(self) -> int:
        """Expected deliveries of accepted messages that have not arrived yet."""
        return self._open_deliveries

    def report(self) -> DeliveryReport:
        """Count everything; call once the run has drained."""
        counts: dict[str, int] = defaultdict(int)
        errors: dict[str, int] = defaultdict(int)
        expected = lost = 0
        for message in self.messages.values():
            counts[message.outcome or "none"] += 1
            if message.outcome == "error":
                errors[message.error_code or "?"] += 1
            if message.outcome == "ack":
                expected += len(message.expected_readers)
                lost += len(message.expected_readers - message.readers)
        return DeliveryReport(
            sent=len(self.messages),
            acked=counts["ack"],
            rejected=counts["rejected"],
            held=counts["held"],
            errors=dict(errors),
            unanswered=counts["none"],
            expected_deliveries=expected,
            delivered=self.delivered,
            lost=lost,
            duplicates=self.duplicates,
            out_of_order=self.out_of_order,
            unexpected=self.unexpected,
            foreign=self.foreign,
            delivery_latency=summarize(self._delivery_latencies),
            ack_latency=summarize(self._ack_latencies),
        )
