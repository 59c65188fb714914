"""The lock files are what gets installed, and they honour pyproject.toml's ranges.

``scripts/lock`` writes requirements/{uv,local,dev}.txt (every platform, sha256 hashes) and
backend/requirements.txt (the Lambda's runtime closure). ``scripts/setup`` syncs .venv to one of
them with ``uv pip sync --require-hashes``; this suite runs in that .venv, so the first test is
the proof that the lock, and nothing else, was installed (on CI: a fresh clone's first setup).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    """One ``name==version ; marker`` entry of a lock file and its hashes."""

    name: str
    version: str
    marker: str | None
    hashes: tuple[str, ...]

    def applies(self) -> bool:
        """True when the entry's marker holds for this interpreter."""
        return self.marker is None or Marker(self.marker).evaluate()


def read_lock(path: Path) -> list[Pin]:
    """The entries of a ``uv pip compile --generate-hashes`` file."""
    pins: list[Pin] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            last = pins[-1]
            digest = stripped.removeprefix("--hash=").removesuffix("\\").strip()
            pins[-1] = Pin(last.name, last.version, last.marker, (*last.hashes, digest))
            continue
        match = _PIN.match(stripped)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        name, version, marker = match.groups()
        pins.append(Pin(canonicalize_name(name), version, marker, ()))
    return pins


def applicable(path: Path) -> dict[str, str]:
    """name -> version of the entries that apply to this interpreter."""
    found: dict[str, str] = {}
    for pin in read_lock(path):
        if pin.applies():
            assert pin.name not in found, f"{path.name}: {pin.name} pinned twice here"
            found[pin.name] = pin.version
    return found


def installed_lock() -> Path:
    """The lock scripts/setup last synced this .venv to (its stamp says which)."""
    stamps = sorted(ROOT.joinpath(".venv").glob(".installed-*"))
    assert len(stamps) == 1, f"expected one scripts/setup stamp in .venv, found {stamps}"
    return LOCKS / f"{stamps[0].name.removeprefix('.installed-')}.txt"


def test_the_environment_is_exactly_the_lock() -> None:
    """Every installed distribution is pinned, at the lock's version, and none is missing."""
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop(PROJECT)  # the project itself, editable
    assert installed == applicable(installed_lock())


@pytest.mark.parametrize("lock", ["uv.txt", "local.txt", "dev.txt"])
def test_every_lock_entry_is_pinned_with_hashes(lock: str) -> None:
    """pip and uv refuse a file whose hash differs: each entry carries sha256 hashes."""
    pins = read_lock(LOCKS / lock)
    assert pins
    for pin in pins:
        assert pin.hashes, pin
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), pin


def _declared(requirements: list[str]) -> list[Requirement]:
    return [r for r in map(Requirement, requirements) if canonicalize_name(r.name) != PROJECT]


@pytest.mark.parametrize("extra", ["local", "dev"])
def test_locks_hold_every_declared_requirement_within_its_range(extra: str) -> None:
    """A dependency added to pyproject.toml without running scripts/lock fails here."""
    project = PYPROJECT["project"]
    wanted = _declared(project["dependencies"]) + _declared(project["optional-dependencies"][extra])
    if extra == "dev":
        wanted += _declared(project["optional-dependencies"]["local"])
    pins = {p.name: p.version for p in read_lock(LOCKS / f"{extra}.txt") if p.applies()}
    for requirement in wanted:
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{extra}.txt: run scripts/lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            requirement,
            pins[name],
        )


def test_dev_lock_keeps_the_local_locks_versions() -> None:
    """dev = local + tools, at the same versions (scripts/lock constrains one by the other)."""
    local = {(p.name, p.version, p.marker) for p in read_lock(LOCKS / "local.txt")}
    dev = {(p.name, p.version, p.marker) for p in read_lock(LOCKS / "dev.txt")}
    assert local <= dev
    (uv,) = read_lock(LOCKS / "uv.txt")
    assert ("uv", uv.version, None) in local


def test_lambda_requirements_are_exact_pins_of_the_runtime_dependencies() -> None:
    """backend/requirements.txt (sam build) pins every runtime dependency within its range."""
    pins = {p.name: p for p in read_lock(ROOT / "backend" / "requirements.txt")}
    assert all(p.hashes and p.marker is None for p in pins.values()), pins
    for requirement in _declared(PYPROJECT["project"]["dependencies"]):
        pin = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pin.version), (requirement, pin.version)
    dev_only = {"moto", "pytest", "aiohttp", "websockets", "uv", "pip", "setuptools"}
    assert not dev_only & set(pins)
