"""Every third-party package the code imports is declared in pyproject.toml, in the right place.

The Lambda (backend/positive_chat) may import only [project].dependencies (what
backend/requirements.txt ships); the local cloud (scripts/localcloud) also the ``local`` extra;
the other scripts and the tests also the ``dev`` extra. A module counts as imported when an
``import``/``from`` statement names it anywhere in a file; imports under ``if TYPE_CHECKING:``
are for mypy, so they count against the ``dev`` extra.
A package that arrives only as another package's dependency is not declared: the day that
package drops it, the import breaks. (Declaring ``boto3-stubs[dynamodb]`` declares the stub
package that extra names.)
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
FIRST_PARTY_ROOTS = ("backend", "scripts", "tests")


def normalise(name: str) -> str:
    """PEP 503 name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: Iterable[str]) -> set[str]:
    """The distributions ``requirements`` name, plus those their named extras add."""
    names: set[str] = set()
    for requirement in requirements:
        match = _NAME.match(requirement)
        assert match, requirement
        name = normalise(match.group(1))
        names.add(name)
        for extra in filter(None, (e.strip() for e in (match.group(2) or "").split(","))):
            for dependency in metadata.requires(name) or []:
                if re.search(rf"extra\s*==\s*['\"]{re.escape(extra)}['\"]", dependency):
                    names.add(normalise(_NAME.match(dependency).group(1)))  # type: ignore[union-attr]
    return names


def declared() -> dict[str, set[str]]:
    """Distributions each part of the code may import."""
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    runtime = _declared(project["dependencies"])
    local = runtime | _declared(r for r in extras["local"] if not r.startswith("positive-chat"))
    dev = local | _declared(r for r in extras["dev"] if not r.startswith("positive-chat"))
    return {"runtime": runtime, "local": local, "dev": dev}


def _first_party(root: Path) -> set[str]:
    names = set(FIRST_PARTY_ROOTS)
    for top in FIRST_PARTY_ROOTS:
        for path in (root / top).rglob("*.py"):
            names.add(path.stem)
            names.update(p.name for p in path.parents if (p / "__init__.py").exists())
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(nodes: Iterable[ast.AST]) -> set[str]:
    found = set()
    for tree in nodes:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def imported_modules(path: Path) -> tuple[set[str], set[str]]:
    """Top-level names of the absolute imports in ``path``: (at run time, for type checking)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    checking = [n for n in ast.walk(tree) if isinstance(n, ast.If) and _is_type_checking(n)]
    typing_only = _imports(child for block in checking for child in block.body)
    return _imports([tree]) - typing_only, typing_only


def part_of(relative: str) -> str:
    """Which declared set a file (path relative to the project) may import from."""
    if relative.startswith("backend/"):
        return "runtime"
    if relative.startswith("scripts/localcloud/"):
        return "local"
    return "dev"


def undeclared_imports(root: Path = ROOT) -> list[str]:
    """``file: module (distribution)`` for every import of a package not declared for it."""
    allowed = declared()
    first_party = _first_party(root)
    distributions = metadata.packages_distributions()
    problems = []
    for top in FIRST_PARTY_ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            run_time, typing_only = imported_modules(path)
            # Type-checking imports (stubs) are for mypy, a dev tool.
            checks = [(m, part_of(relative)) for m in run_time] + [(m, "dev") for m in typing_only]
            for module, part in sorted(checks):
                if module in sys.stdlib_module_names or module in first_party:
                    continue
                owners = {normalise(d) for d in distributions.get(module, [])}
                if not owners:
                    problems.append(f"{relative}: {module} (no distribution)")
                elif not owners & allowed[part]:
                    problems.append(f"{relative}: {module} ({', '.join(sorted(owners))})")
    return problems


def test_every_imported_package_is_declared() -> None:
    """No import relies on a package that only arrives as another package's dependency."""
    assert undeclared_imports() == []


def test_the_check_catches_an_undeclared_import(tmp_path: Path) -> None:
    """werkzeug (installed as moto's dependency) is refused in the Lambda, allowed locally."""
    lambda_module = tmp_path / "backend" / "positive_chat" / "probe.py"
    local_module = tmp_path / "scripts" / "localcloud" / "probe.py"
    for path in (lambda_module, local_module):
        path.parent.mkdir(parents=True)
        (path.parent / "__init__.py").touch()
        path.write_text("import json\nimport boto3\nfrom werkzeug.serving import make_server\n")

    assert undeclared_imports(tmp_path) == ["backend/positive_chat/probe.py: werkzeug (werkzeug)"]
