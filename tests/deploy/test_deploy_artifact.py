"""The Lambda artifact: only the backend package and its runtime dependencies, arm64, within limits.

The artifact is built offline the way ``sam build`` builds it for this template: the CodeUri
folder copied (without caches), then ``backend/requirements.txt`` installed as binary wheels for
the template's runtime and architecture. The wheels come from the package index (pip's cache
makes reruns fast); the build runs once per session.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from deploy_support import ROOT
from localcloud.template import function_spec
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.slow

UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda: deployment package, unzipped
ELF_MACHINE_AARCH64 = 183
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Local-cloud and test tooling that must never ride along into the Lambda.
NOT_RUNTIME = (
    "moto",
    "pytest",
    "aiohttp",
    "websockets",
    "jinja2",
    "yaml",
    "lingua",
    "vaderSentiment",
    "yake",
    "hypothesis",
    "playwright",
    "localcloud",
    "chat_client",
    "site_renderer",
    "operations",
    "tests",
    "scripts",
    "frontend",
)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*\\?$")


def _pins(text: str) -> dict[str, str]:
    """The ``name==version`` lines of a hashed requirements file, as canonical name -> version."""
    found = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "--hash=")):
            continue
        match = _PIN.match(stripped)
        assert match, f"not an exact pin: {line!r}"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


@pytest.fixture(scope="session")
def artifact(tmp_path_factory: pytest.TempPathFactory, sam_template: dict[str, Any]) -> Path:
    """The function's code folder as sam build leaves it (built once per test session)."""
    spec = function_spec(sam_template, "ChatFunction", template_dir=ROOT)
    props = sam_template["Globals"]["Function"]
    (architecture,) = props["Architectures"]
    out = tmp_path_factory.mktemp("artifact") / spec.logical_id
    shutil.copytree(spec.code_uri, out, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(out),
            "--platform",
            PLATFORMS[architecture],
            "--implementation",
            "cp",
            "--python-version",
            spec.runtime.removeprefix("python"),
            "--only-binary=:all:",
            "-r",
            str(spec.code_uri / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert pip.returncode == 0, f"pip could not build the artifact:\n{pip.stderr}"
    return out


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_artifact_holds_the_backend_package_exactly(artifact: Path) -> None:
    """positive_chat in the artifact is the source package, file for file, without caches."""
    source = ROOT / "backend" / "positive_chat"
    expected = {
        p.relative_to(source).as_posix()
        for p in _files(source)
        if "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    shipped = {
        p.relative_to(artifact / "positive_chat").as_posix()
        for p in _files(artifact / "positive_chat")
    }
    assert shipped == expected
    assert "__init__.py" in shipped


def test_artifact_holds_no_tooling(artifact: Path) -> None:
    """Nothing of the tests, scripts, frontend, local cloud or dev tools is packaged."""
    top_level = {p.name.split("-")[0] for p in artifact.iterdir()}
    assert sorted(top_level & set(NOT_RUNTIME)) == []
    # Our own test scaffolding must not leak in. (Third-party wheels may ship their own, e.g.
    # numpy/conftest.py: `sam build` packages those as-is, and they are never imported.)
    assert not list(artifact.glob("conftest.py"))
    assert not list(artifact.glob("test_*.py"))
    assert not list((artifact / "positive_chat").rglob("conftest.py"))
    assert not list((artifact / "positive_chat").rglob("test_*.py"))


def test_artifact_distributions_are_exactly_the_pinned_requirements(artifact: Path) -> None:
    """sam build installs the pins and nothing else; the pins satisfy pyproject's ranges."""
    installed = {}
    for dist_info in artifact.glob("*.dist-info"):
        name, version = dist_info.name.removesuffix(".dist-info").split("-")
        installed[canonicalize_name(name)] = version
    pins = _pins((ROOT / "backend" / "requirements.txt").read_text(encoding="utf-8"))
    assert installed == pins
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in map(Requirement, project["dependencies"]):
        assert requirement.specifier.contains(pins[canonicalize_name(requirement.name)])


def test_artifact_native_code_is_arm64_for_the_runtime(
    artifact: Path, sam_template: dict[str, Any]
) -> None:
    """Every shared object is an AArch64 ELF built for the template's Python (or the stable ABI)."""
    runtime = sam_template["Globals"]["Function"]["Runtime"].removeprefix("python")
    tag = "cpython-" + runtime.replace(".", "")
    shared = [p for p in _files(artifact) if ".so" in p.suffixes]
    for path in shared:
        header = path.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", path
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, path
        assert tag in path.name or ".abi3." in path.name or "cpython" not in path.name, path


def test_artifact_size_within_lambda_limits(
    artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The unzipped package is far under Lambda's 250 MB; both sizes are reported."""
    unzipped = sum(p.stat().st_size for p in _files(artifact))
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zipped:
        for path in _files(artifact):
            zipped.write(path, path.relative_to(artifact).as_posix())
    zipped_size = archive.stat().st_size
    with capsys.disabled():
        print(
            f"\nLambda artifact: {len(_files(artifact))} files, "
            f"{unzipped / 1e6:.1f} MB unzipped, {zipped_size / 1e6:.1f} MB zipped"
        )
    assert unzipped < UNZIPPED_LIMIT
    assert zipped_size < unzipped
