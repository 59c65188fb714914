"""``--expect`` assertions for scripted runs: a tiny grammar over the frames that arrived.

Grammar (one expression per ``--expect``; spaces are ignored)::

    EXPR  :=  NAME                   at least one such frame             rejected
           |  NAME OP COUNT          compare the number of such frames   acked=3   delivered>=3
           |  NAME=VALUE             at least one with that value        error=NOT_JOINED
           |  NAME:VALUE OP COUNT    compare the number with that value  error:RATE_LIMITED<=2
    OP    :=  =  ==  !=  >=  <=  >  <
    COUNT :=  a whole number

NAME is one of the counters in :data:`COUNTERS` (``--help`` lists them); VALUE is compared
case-insensitively with the counter's field (the error code, the rejection reason, ...).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COUNTERS",
    "Counter",
    "Expectation",
    "ExpectationSyntaxError",
    "Verdict",
    "check_all",
    "grammar_help",
    "parse_expectation",
]


class ExpectationSyntaxError(ValueError):
    """An ``--expect`` expression does not follow the grammar."""


def _frames_of(kind: str) -> Callable[[Any], Iterator[Mapping[str, Any]]]:
    def select(frame: Any) -> Iterator[Mapping[str, Any]]:
        if isinstance(frame, Mapping) and frame.get("type") == kind:
            yield frame

    return select


def _any_frame(frame: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(frame, Mapping):
        yield frame


def _errors(frame: Any) -> Iterator[Mapping[str, Any]]:
    """v2 error frames, and the error notices of a v1 frame (a connection is v1 until it joins
    with ``"v": 2``, so a message sent before joining is refused in v1's shape)."""
    if isinstance(frame, Mapping):
        if frame.get("type") == "error":
            yield frame
    elif isinstance(frame, list):
        for item in frame:
            if isinstance(item, Mapping) and "error" in item:
                yield {"type": "error", "code": item["error"], "message": item.get("content")}


def _history_messages(frame: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(frame, Mapping) and frame.get("type") == "history":
        for message in frame.get("messages") or []:
            if isinstance(message, Mapping):
                yield message


@dataclass(frozen=True)
class Counter:
    """What a NAME counts: the items a frame contributes, and the field a VALUE is matched on."""

    name: str
    noun: str
    description: str
    select: Callable[[Any], Iterable[Mapping[str, Any]]]
    field: str | None = None


_MESSAGES = _frames_of("message")

COUNTERS: dict[str, Counter] = {
    counter.name: counter
    for counter in (
        Counter("acked", "ack frame(s)",
                "ack frames: messages accepted (VALUE: status)", _frames_of("ack"), "status"),
        Counter("rejected", "rejected frame(s)",
                "rejected frames: messages refused (VALUE: reason)",
                _frames_of("rejected"), "reason"),
        Counter("held", "held frame(s)",
                "held frames: messages waiting for review (VALUE: reason)",
                _frames_of("held"), "reason"),
        Counter("error", "error frame(s)",
                "error frames, v1 error notices too (VALUE: code)", _errors, "code"),
        Counter("delivered", "live message(s)",
                "live message frames, anyone's (VALUE: author)", _MESSAGES, "user"),
        Counter("translation", "live message(s)",
                "live messages by translation (VALUE: original, translated, unavailable)",
                _MESSAGES, "translation"),
        Counter("sentiment", "live message(s)",
                "live messages by sentiment (VALUE: POSITIVE, NEUTRAL, ...)",
                _MESSAGES, "sentiment"),
        Counter("joined", "joined frame(s)",
                "joined frames (VALUE: room)", _frames_of("joined"), "room"),
        Counter("presence", "presence frame(s)",
                "presence frames (VALUE: event: snapshot, join, leave)",
                _frames_of("presence"), "event"),
        Counter("topics", "topics frame(s)", "topics frames", _frames_of("topics")),
        Counter("history", "history frame(s)",
                "history frames (VALUE: mode: latest, after, before)",
                _frames_of("history"), "mode"),
        Counter("historical", "message(s) in history",
                "messages inside history frames (VALUE: author)", _history_messages, "user"),
        Counter("pong", "pong frame(s)", "pong frames", _frames_of("pong")),
        Counter("type", "frame(s)",
                "frames of any type (VALUE: the type, e.g. review.queued)", _any_frame, "type"),
        Counter("frames", "frame(s)", "every frame that arrived", _any_frame),
    )
}

_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}

_EXPR = re.compile(
    r"""^(?P<name>[a-z]+)
        (?::(?P<value>[^=!<>]+))?
        (?:(?P<op>==|!=|>=|<=|=|>|<)(?P<rhs>[^=!<>]+))?$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Expectation:
    """One parsed ``--expect``: count NAME (optionally where field == VALUE), compare to COUNT."""

    source: str
    counter: Counter
    value: str | None
    op: str
    count: int

    def count_in(self, frames: Iterable[Any]) -> int:
        """How many items in ``frames`` this expectation counts."""
        total = 0
        wanted = self.value.casefold() if self.value is not None else None
        field = self.counter.field
        for frame in frames:
            for item in self.counter.select(frame):
                if wanted is None or (
                    field is not None and str(item.get(field, "")).casefold() == wanted
                ):
                    total += 1
        return total

    def holds(self, frames: Iterable[Any]) -> Verdict:
        """Check the expectation against the frames that arrived."""
        got = self.count_in(frames)
        return Verdict(self, got, _OPERATORS[self.op](got, self.count))

    def describe(self) -> str:
        """The expectation in words, e.g. ``at least 1 error frames with code NOT_JOINED``."""
        what = self.counter.noun
        if self.value is not None:
            what += f" with {self.counter.field} {self.value}"
        words = {"=": "exactly", "==": "exactly", "!=": "not", ">=": "at least",
                 "<=": "at most", ">": "more than", "<": "fewer than"}[self.op]
        return f"{words} {self.count} {what}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one expectation."""

    expectation: Expectation
    got: int
    ok: bool

    def message(self) -> str:
        """One line: what was expected and what arrived."""
        status = "ok" if self.ok else "FAILED"
        return (f"expectation {status}: {self.expectation.source!r}: expected"
                f" {self.expectation.describe()}, got {self.got}")


def parse_expectation(source: str) -> Expectation:
    """Parse one expression; raise ``ExpectationSyntaxError`` with a helpful message."""
    text = "".join(source.split())
    match = _EXPR.match(text)
    if not match:
        raise ExpectationSyntaxError(
            f"cannot read {source!r}: use NAME, NAME=VALUE, NAME OP COUNT or NAME:VALUE OP COUNT"
        )
    name, value, op, rhs = match.group("name", "value", "op", "rhs")
    counter = COUNTERS.get(name)
    if counter is None:
        raise ExpectationSyntaxError(
            f"unknown name {name!r} in {source!r}; known: {', '.join(COUNTERS)}"
        )
    if op is None:
        return Expectation(source, counter, value, ">=", 1)
    if rhs.isdigit():
        return Expectation(source, counter, value, op, int(rhs))
    # NAME=VALUE: "at least one whose field is VALUE"
    if op == "=" and value is None and re.fullmatch(r"[^=!<>]+", rhs):
        if counter.field is None:
            raise ExpectationSyntaxError(f"{name!r} takes no VALUE (in {source!r})")
        return Expectation(source, counter, rhs, ">=", 1)
    raise ExpectationSyntaxError(f"{rhs!r} is not a whole number (in {source!r})")


def check_all(expectations: Iterable[Expectation], frames: list[Any]) -> list[Verdict]:
    """Every expectation's verdict, in order."""
    return [expectation.holds(frames) for expectation in expectations]


def grammar_help() -> str:
    """The grammar and the counter names, for ``--help``."""
    names = "\n".join(f"  {c.name:<12} {c.description}" for c in COUNTERS.values())
    return (
        "expectations (--expect, repeatable; all must hold, else exit status 1):\n"
        "  NAME                 at least one            e.g. rejected\n"
        "  NAME OP COUNT        compare the count       e.g. acked=3, delivered>=3, error=0\n"
        "  NAME=VALUE           at least one with VALUE e.g. error=NOT_JOINED,"
        " translation=unavailable\n"
        "  NAME:VALUE OP COUNT  count with VALUE        e.g. error:RATE_LIMITED<=2\n"
        "  OP is one of = == != >= <= > <; VALUE is matched case-insensitively.\n"
        f"names:\n{names}"
    )
