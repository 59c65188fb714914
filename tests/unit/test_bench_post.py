"""chat-bench-post runs both paths against its null server and reports their CPU side by side."""

from __future__ import annotations

import pytest
from operations.bench.post import render, run


@pytest.mark.slow
def test_bench_post_measures_both_paths_in_one_run() -> None:
    result = run(rounds=2, posts=20, frame_bytes=100, warmup=5)
    assert set(result["samples"]) == {"lean", "boto3"}
    assert all(len(values) == 2 and min(values) > 0 for values in result["samples"].values())
    assert result["ratio"] == result["median_us"]["lean"] / result["median_us"]["boto3"]
    table = render(result)
    assert "| lean  |" in table
    assert "| boto3 |" in table
    assert "load average" in table
