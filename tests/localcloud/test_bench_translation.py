"""scripts/bench_translation.py runs end to end on tiny counts and prints every table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_translation.py"


def test_bench_translation_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_translation", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    assert module.main(["--messages", "3", "--spawned", "1", "--seconds", "0.2"]) == 0

    out = capsys.readouterr().out
    for heading in ("First use", "Per message", "Throughput", "Memory (PSS)"):
        assert heading in out
    assert "| en->fr (2 modes) |" in out
    assert "boto3 TranslateText, pivoted (en->fr)" in out
    assert "**all 8 legs alive**" in out
