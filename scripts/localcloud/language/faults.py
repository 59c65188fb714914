"""Switchable faults for the local language services (fault-injection tests, issue 8).

This module owns the fault rules and the decision "does this request fail, and how?"; the
server applies the decision. One rule per service (``comprehend``, ``translate``):

    {"service": "comprehend", "mode": "throttle", "rate": 0.5, "delaySeconds": 0,
     "operations": ["DetectSentiment"]}

- ``mode``: ``none`` (no fault), ``throttle`` (Comprehend: ``ThrottlingException``, HTTP 400;
  Translate: ``TooManyRequestsException``, HTTP 429), ``error`` (``InternalServerException``,
  HTTP 500) or ``slow`` (the request sleeps ``delaySeconds``, then is answered normally).
- ``rate``: the probability that a matching request is hit, 0.0-1.0 (default 1.0).
- ``delaySeconds``: required and > 0 for ``slow``, at most 300; ignored otherwise.
- ``operations``: optional list of operation names the rule applies to (default: all of the
  service's operations); unknown names are refused so that a typo cannot silently disable a test.

Every refusal is a :class:`FaultConfigError` with a message saying what is wrong. The board is
used from the server's event loop only, so it needs no lock.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.language.operations import COMPREHEND, OPERATIONS, TRANSLATE, ServiceError

__all__ = [
    "MAX_DELAY_SECONDS",
    "MODES",
    "FaultBoard",
    "FaultConfigError",
    "FaultRule",
    "fault_error",
    "parse_rule",
]

MODES = ("none", "throttle", "error", "slow")
MAX_DELAY_SECONDS = 300.0


class FaultConfigError(ValueError):
    """A fault rule that cannot be applied (bad service, mode, rate, delay or operation)."""


@dataclass(frozen=True)
class FaultRule:
    """How one service misbehaves."""

    mode: str = "none"
    rate: float = 1.0
    delay_seconds: float = 0.0
    operations: frozenset[str] | None = None

    def applies_to(self, operation: str) -> bool:
        """Whether this rule covers ``operation`` (ignoring the rate)."""
        return self.mode != "none" and (self.operations is None or operation in self.operations)

    def to_json(self) -> dict[str, Any]:
        """The rule in the control API's JSON shape."""
        return {
            "mode": self.mode,
            "rate": self.rate,
            "delaySeconds": self.delay_seconds,
            "operations": sorted(self.operations) if self.operations is not None else None,
        }


def parse_rule(document: Any) -> tuple[str, FaultRule]:
    """Validate a control-API document; return (service, rule)."""
    if not isinstance(document, Mapping):
        raise FaultConfigError("the fault rule must be a JSON object")
    unknown = set(document) - {"service", "mode", "rate", "delaySeconds", "operations"}
    if unknown:
        raise FaultConfigError(f"unknown field(s): {', '.join(sorted(unknown))}")
    service = document.get("service")
    if not isinstance(service, str) or service not in OPERATIONS:
        raise FaultConfigError(f"service must be one of {sorted(OPERATIONS)}, not {service!r}")
    mode = document.get("mode")
    if mode not in MODES:
        raise FaultConfigError(f"mode must be one of {list(MODES)}, not {mode!r}")
    rate = document.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise FaultConfigError(f"rate must be a number from 0.0 to 1.0, not {rate!r}")
    delay = document.get("delaySeconds", 0.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        raise FaultConfigError(f"delaySeconds must be a number, not {delay!r}")
    if not 0.0 <= delay <= MAX_DELAY_SECONDS or (mode == "slow" and delay <= 0):
        raise FaultConfigError(
            f"delaySeconds must be in (0, {MAX_DELAY_SECONDS:g}] for mode 'slow' and in "
            f"[0, {MAX_DELAY_SECONDS:g}] otherwise, not {delay!r}"
        )
    operations = document.get("operations")
    if operations is not None:
        if not isinstance(operations, list) or not all(isinstance(o, str) for o in operations):
            raise FaultConfigError("operations must be a list of operation names")
        bad = sorted(set(operations) - OPERATIONS[service])
        if bad:
            raise FaultConfigError(
                f"{service} has no operation(s) {', '.join(bad)}; it has "
                f"{', '.join(sorted(OPERATIONS[service]))}"
            )
    return service, FaultRule(
        mode=mode,
        rate=float(rate),
        delay_seconds=float(delay),
        operations=frozenset(operations) if operations is not None else None,
    )


class FaultBoard:
    """The current rule of each service, and how many faults each has injected."""

    def __init__(self, *, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()  # noqa: S311 - fault sampling, not cryptography
        self._rules: dict[str, FaultRule] = {}
        self._injected: dict[str, int] = dict.fromkeys(OPERATIONS, 0)

    def set(self, document: Any) -> None:
        """Install the rule a control-API document describes (replacing the service's rule)."""
        service, rule = parse_rule(document)
        self._rules[service] = rule

    def clear(self, service: str | None = None) -> None:
        """Remove one service's rule, or every rule; reset the injected counts."""
        if service is not None and service not in OPERATIONS:
            raise FaultConfigError(f"service must be one of {sorted(OPERATIONS)}, not {service!r}")
        for name in [service] if service else list(OPERATIONS):
            self._rules.pop(name, None)
            self._injected[name] = 0

    def snapshot(self) -> dict[str, Any]:
        """Every service's rule and injected-fault count, as the control API shows them."""
        return {
            name: {**self._rules.get(name, FaultRule()).to_json(), "injected": self._injected[name]}
            for name in OPERATIONS
        }

    def draw(self, service: str, operation: str) -> FaultRule | None:
        """The rule that hits this request, if one does (and count it)."""
        rule = self._rules.get(service)
        if rule is None or not rule.applies_to(operation):
            return None
        if rule.rate < 1.0 and self._rng.random() >= rule.rate:
            return None
        self._injected[service] += 1
        return rule


def fault_error(service: str, rule: FaultRule) -> ServiceError | None:
    """The AWS error a throttle/error rule answers with (None for ``slow``)."""
    if rule.mode == "throttle":
        if service == TRANSLATE:
            return ServiceError(
                "TooManyRequestsException",
                "You have made too many requests within a short period of time (injected fault).",
                status=429,
            )
        assert service == COMPREHEND
        return ServiceError("ThrottlingException", "Rate exceeded (injected fault).")
    if rule.mode == "error":
        return ServiceError(
            "InternalServerException",
            "An internal server error occurred (injected fault). Retry your request.",
            status=500,
        )
    return None
