"""Unit tests of the load mode's latency statistics."""

from __future__ import annotations

import pytest
from chat_client.stats import percentile, summarize
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 0.0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 1.0, 4.0),
        ([float(v) for v in range(1, 101)], 0.9, 90.1),
        ([float(v) for v in range(1, 101)], 0.99, 99.01),
        ([0.0, 10.0], 0.25, 2.5),
    ],
    ids=["single", "median-even", "min", "max", "p90-of-100", "p99-of-100", "interpolated"],
)
def test_percentile_interpolates_linearly_between_ranks(values, fraction, expected):
    """Percentiles follow the linear definition (numpy's default)."""
    assert percentile(values, fraction) == pytest.approx(expected)


def test_percentile_refuses_no_values_and_bad_fractions():
    """An empty input or a fraction outside 0..1 is an error, not a made-up number."""
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        percentile([1.0], 1.5)


def test_summarize_reports_milliseconds():
    """The summary converts seconds to milliseconds and orders unsorted input."""
    summary = summarize([0.004, 0.001, 0.003, 0.002])
    assert summary.count == 4
    assert summary.p50_ms == pytest.approx(2.5)
    assert summary.max_ms == pytest.approx(4.0)
    assert summary.mean_ms == pytest.approx(2.5)
    assert summary.as_dict()["p50_ms"] == 2.5
    assert summary.line().startswith("p50 2.5 ms  p90 3.7 ms")


def test_summarize_of_nothing_is_all_zero():
    """No samples give a zero summary that says so."""
    summary = summarize([])
    assert summary.count == 0
    assert summary.line() == "no samples"


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=50))
def test_summarize_percentiles_are_ordered(values):
    """For any samples: min <= p50 <= p90 <= p99 <= max."""
    summary = summarize(values)
    tolerance = 1e-9
    assert min(values) * 1000 - tolerance <= summary.p50_ms <= summary.p90_ms + tolerance
    assert summary.p90_ms <= summary.p99_ms + tolerance
    assert summary.p99_ms <= summary.max_ms + tolerance
