"""The lean-vs-boto3 deliveries benchmark (chat-bench-deliveries) at a tiny size.

Numbers are not judged here (benchmarks are, in BENCHMARKS.md); this keeps the benchmark runnable
and its table whole: both clouds start on the path they are meant to measure, every delivery of
both paths is verified, and the CPU accounting covers the gateway, the workers and the client.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROW = re.compile(
    r"^\| 3 \| (?P<path>lean|boto3) \| 1 \| (?P<delivered>\d+)/(?P<expected>\d+) \| 0/0 \| "
    r"(?P<rate>[\d,]+) \| [\d,]+ \| [\d,]+ \| (?P<ratio>[^|]*) \| (?P<cpu>[^|]*) \| "
    r"(?P<gateway>[\d,]+) / (?P<workers>[\d,]+) / (?P<dynamodb>[\d,]+) / (?P<client>[\d,]+) \| "
    r"(?P<all>[\d,]+) \|$",
    re.MULTILINE,
)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.timeout(300)
def test_bench_deliveries_measures_both_paths_side_by_side() -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "chat-bench-deliveries"), "--sizes", "3",
         "--messages", "4", "--rounds", "1", "--warmup", "2", "--workers", "2"],
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert re.search(r"paths checked: lean: 2 workers, LEAN_POST_TO_CONNECTION unset; "
                     r"boto3: 2 workers, LEAN_POST_TO_CONNECTION=off", run.stdout), run.stdout
    rows = {m["path"]: m for m in ROW.finditer(run.stdout)}
    assert set(rows) == {"lean", "boto3"}, run.stdout
    for row in rows.values():
        assert int(row["delivered"]) == int(row["expected"]) == 4 * 3  # every reader, every message
        assert _number(row["rate"]) > 0
        for group in ("gateway", "workers", "client"):
            assert _number(row[group]) > 0, (group, run.stdout)
        assert _number(row["all"]) >= _number(row["workers"])
    lean, boto = rows["lean"], rows["boto3"]
    ratio = re.fullmatch(r"\*\*(\d+\.\d\d)x\*\*", lean["ratio"].strip())
    assert ratio is not None, lean["ratio"]
    assert abs(float(ratio.group(1)) - _number(lean["rate"]) / _number(boto["rate"])) < 0.15
    cpu = re.fullmatch(r"(\d+\.\d\d)x", lean["cpu"].strip())
    assert cpu is not None, lean["cpu"]
    assert abs(float(cpu.group(1)) - _number(boto["all"]) / _number(lean["all"])) < 0.05
    assert boto["ratio"].strip() == boto["cpu"].strip() == ""
