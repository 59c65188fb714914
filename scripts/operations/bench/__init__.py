"""Benchmarks, each beside a baseline measured in the same run (see BENCHMARKS.md)."""

from __future__ import annotations

__all__: list[str] = []
