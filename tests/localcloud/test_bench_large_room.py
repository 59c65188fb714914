"""The large-room benchmark (chat-bench-large-room) at a tiny size, through the delivery function.

Numbers are not judged here (BENCHMARKS.md has them); this keeps the benchmark runnable and its
count honest: with a threshold of 2 and shards of 2, six readers are served by the delivery
function, and the benchmark reports every delivery once, or fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(300)
def test_bench_large_room_counts_every_delivery_once() -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "chat-bench-large-room"), "--readers", "6",
         "--rate", "2", "--seconds", "2", "--settle", "5",
         "--env", "FANOUT_SHARD_THRESHOLD=2", "--env", "FANOUT_SHARD_SIZE=2"],
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "6 readers joined" in run.stdout
    assert re.search(
        r"-- 2 message\(s\)/s for 2 s\n"
        r"readers 6, messages 4 \(not acked: 0\): "
        r"deliveries expected 24, received 24, missing 0, duplicated 0",
        run.stdout,
    ), run.stdout
    assert re.search(r"latency ms: p50 \d+  p99 \d+  max \d+", run.stdout), run.stdout
    assert re.search(r"throughput: [\d,]+ deliveries/s", run.stdout), run.stdout


def test_bench_large_room_refuses_nonsense_with_a_usage_error() -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "chat-bench-large-room"), "--readers", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert "must be positive" in run.stderr
