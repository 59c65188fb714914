"""Latency statistics for the load mode: percentiles over seconds measured on one clock."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

__all__ = ["LatencySummary", "percentile", "summarize"]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The ``fraction`` (0..1) percentile of sorted values, interpolating linearly between ranks.

    This is the common "linear" definition (numpy's default): p50 of [1, 2, 3, 4] is 2.5.
    """
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, not {fraction}")
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class LatencySummary:
    """Count, mean and percentiles of latencies, in milliseconds."""

    count: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float | int]:
        """The summary as plain JSON-ready values (rounded to 0.01 ms)."""
        return {key: round(value, 2) if isinstance(value, float) else value
                for key, value in asdict(self).items()}

    def line(self) -> str:
        """One human line, e.g. ``p50 3.1 ms  p90 5.0 ms  p99 9.8 ms  max 12.0 ms (n=600)``."""
        if self.count == 0:
            return "no samples"
        return (f"p50 {self.p50_ms:.1f} ms  p90 {self.p90_ms:.1f} ms  p99 {self.p99_ms:.1f} ms"
                f"  max {self.max_ms:.1f} ms  (mean {self.mean_ms:.1f} ms, n={self.count})")


def summarize(seconds: Iterable[float]) -> LatencySummary:
    """Summarize latencies given in seconds (an empty input gives an all-zero summary)."""
    ordered = sorted(seconds)
    if not ordered:
        return LatencySummary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    ms = 1000.0
    return LatencySummary(
        count=len(ordered),
        mean_ms=sum(ordered) / len(ordered) * ms,
        p50_ms=percentile(ordered, 0.50) * ms,
        p90_ms=percentile(ordered, 0.90) * ms,
        p99_ms=percentile(ordered, 0.99) * ms,
        max_ms=ordered[-1] * ms,
    )
