"""The translation benchmark (operations.bench.translation) runs end to end on tiny counts and
prints every table."""

from __future__ import annotations

import pytest
from operations.bench import translation


def test_bench_translation_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert translation.main(["--messages", "3", "--spawned", "1", "--seconds", "0.2"]) == 0

    out = capsys.readouterr().out
    for heading in ("First use", "Per message", "Throughput", "Memory (PSS)"):
        assert heading in out
    assert "| en->fr (2 modes) |" in out
    assert "boto3 TranslateText, pivoted (en->fr)" in out
    assert "**all 8 legs alive**" in out
