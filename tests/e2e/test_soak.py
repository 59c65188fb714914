"""Soak, CI profile: users chat with churn on the local cloud for about a minute; nothing is lost.

``chat-soak`` (operations.soak) is run as a user would run it, against the session's local
cloud, and its verdict is checked field by field (the script's own ``ok`` covers the same
invariants; checking them here too keeps a failure readable). The longer run is documented in
BENCHMARKS.md ("Soak").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import RunningCloud

ROOT = Path(__file__).resolve().parents[2]
CI_PROFILE = ["--users", "24", "--rooms", "3", "--duration", "60", "--seed", "8"]


@pytest.mark.timeout(240)
def test_soak_ci_profile_loses_and_duplicates_nothing(local_cloud: RunningCloud) -> None:
    """24 users, 3 rooms, 60 s of churn: every accepted message stored once and delivered live."""
    assert local_cloud.process is not None
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "chat-soak"),
            "--url",
            local_cloud.ws_url,
            "--pid",
            str(local_cloud.process.pid),
            "--json",
            *CI_PROFILE,
        ],
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
        cwd=ROOT,
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    summary = json.dumps(report, indent=1)
    assert report["accepted"] >= 100, summary
    assert report["connections"] > report["users"], summary  # churn happened
    assert report["disconnects_abrupt"] > 0, summary
    assert (report["lost"], report["duplicates"], report["unexpected"]) == (0, 0, 0), summary
    assert report["in_history"] == report["accepted"], summary
    assert report["inconsistent_acks"] == 0, summary
    assert report["expected_live_deliveries"] > 0, summary
    assert (report["missed_live"], report["live_duplicates"]) == (0, 0), summary
    assert report["memory"]["samples"] >= 6, summary
    assert report["memory"]["growth_ratio"] <= 0.25, summary
    assert (report["client_errors"], report["unanswered"]) == (0, 0), summary
    assert report["ok"] is True, summary
    assert result.returncode == 0, result.stderr
