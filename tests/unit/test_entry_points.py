"""The console commands of pyproject.toml's [project.scripts] and the launchers in scripts/."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
# The launchers the README names, and the console command each runs.
LAUNCHERS = {"chat-client": "chat-client", "deploy": "chat-deploy",
             "render-frontend": "render-frontend"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCRIPTS), ids=str)
def test_entry_point_is_installed_and_answers_help(name: str) -> None:
    """`scripts/setup` installed each command into the .venv beside this Python, and it runs: its
    function imports and answers --help (the module:function it names exists)."""
    command = Path(sys.executable).parent / name
    assert command.is_file(), f"{command} is missing: run scripts/setup"
    result = subprocess.run(
        [str(command), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout.lower()


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS), ids=str)
def test_launcher_runs_its_console_command(launcher: str) -> None:
    """Each README launcher in scripts/ is a thin wrapper of its console command."""
    path = ROOT / "scripts" / launcher
    assert os.access(path, os.X_OK)
    assert f".venv/bin/{LAUNCHERS[launcher]}" in path.read_text("utf-8")
    assert LAUNCHERS[launcher] in SCRIPTS


def test_no_module_under_scripts_edits_sys_path() -> None:
    """Packages are imported as installed packages; only the Lambda runtime emulation puts the
    function's code root on sys.path, as AWS's runtime does."""
    editing = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "scripts").rglob("*.py")
        if "sys.path.insert" in path.read_text("utf-8")
        or "sys.path[" in path.read_text("utf-8")
        or "sys.path.append" in path.read_text("utf-8")
    )
    assert editing == ["scripts/localcloud/gw_worker.py"]
