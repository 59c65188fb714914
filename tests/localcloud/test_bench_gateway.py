"""scripts/bench_gateway.py end to end at a tiny size: every row and the boto3 floor are measured.

Numbers are not judged here (benchmarks are, in BENCHMARKS.md); this keeps the benchmark runnable:
each server starts, every echo comes back, and the CPU accounting covers each process group.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_gateway_measures_each_server_and_the_floor() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_gateway.py"), "--connections", "2",
         "--messages", "20", "--warmup", "5", "--floor-calls", "50", "--workers", "2"],
        capture_output=True, text=True, timeout=240, env=env, check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = {
        m["server"]: m
        for m in re.finditer(
            r"^\| (?P<server>\w+) +\| +2 x 20 +\| +(?P<rate>[\d,]+) \|.*\| "
            r"(?P<cpu>\d+) / (?P<workers>\d+) / (?P<client>\d+) \|$",
            run.stdout, re.MULTILINE,
        )
    }
    assert set(rows) == {"gateway", "nosdk", "raw"}, run.stdout
    for row in rows.values():
        assert int(row["rate"].replace(",", "")) > 0
        assert int(row["cpu"]) > 0
        assert int(row["client"]) > 0
    assert int(rows["gateway"]["workers"]) > 0  # the worker processes' CPU is counted
    assert int(rows["raw"]["workers"]) == 0  # the bare relay has no workers
    floor = re.search(r"boto3 floor: ([\d,]+) us of CPU per PostToConnection \(50 calls",
                      run.stdout)
    assert floor is not None, run.stdout
    assert int(floor.group(1).replace(",", "")) > 0
