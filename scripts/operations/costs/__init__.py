"""What Positive Chat costs: the price table, the call meter, the cost report, the call count."""

from __future__ import annotations

__all__: list[str] = []
