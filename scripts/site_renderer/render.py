"""Render the browser frontend into a static site (``dist/`` for S3 + CloudFront, or locally).

This module owns turning ``frontend/templates`` (jinja2, autoescaped) and ``frontend/static``
(plain ES modules and CSS, no build toolchain) into a folder that any static host can serve:

- every page template (``*.html`` not starting with ``_``; ``_*.html`` are layouts and partials)
  becomes a page at the top of the folder; pages are served ``no-cache``;
- the static tree is copied under ``static/<content hash>/``, so asset URLs change whenever any
  asset changes and can be cached forever (relative imports between modules keep working);
- the deployment's settings (WebSocket URL, languages with native names, build version, limits,
  connection timing) are injected as a JSON data island (``<script type="application/json">``,
  never executed) that the page's modules read, so the Content-Security-Policy needs no inline
  script at all;
- a strict Content-Security-Policy ``<meta>`` limits the page to its own scripts and styles and
  to the one WebSocket origin. ``frame-ancestors`` cannot be set from a meta tag: the deploy sets
  it as a response header (see :data:`RESPONSE_HEADERS`).

No secret ever goes into the page: only the public WebSocket URL and public settings.

Errors::

    RenderError (ValueError)   bad WebSocket URL, build version, languages file or templates
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

__all__ = [
    "CACHE_IMMUTABLE",
    "CACHE_REVALIDATE",
    "CONTENT_MAX_BYTES",
    "CONTENT_MAX_CHARS",
    "FRONTEND_DIR",
    "HEARTBEAT_SECONDS",
    "HISTORY_PAGE",
    "LANGUAGES_FILE",
    "PLANNED_RECONNECT_SECONDS",
    "RESPONSE_HEADERS",
    "Language",
    "RenderError",
    "cache_control_for",
    "content_security_policy",
    "load_languages",
    "main",
    "render_site",
    "websocket_origin",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
FRONTEND_DIR = REPO_ROOT / "frontend"
LANGUAGES_FILE = REPO_ROOT / "backend" / "positive_chat" / "languages.json"

# Limits of protocol v2 (docs/protocol.md). The page starts with these and then follows the
# `limits` the server sends in `joined`, so a server-side change needs no re-render.
CONTENT_MAX_CHARS = 2000
CONTENT_MAX_BYTES = 5000
HISTORY_PAGE = 50

# Connection timing. API Gateway closes a WebSocket after 10 idle minutes and after 2 hours in
# any case: ping every 4.5 minutes, and reconnect on our own terms at 1 h 50 min.
HEARTBEAT_SECONDS = 270
PLANNED_RECONNECT_SECONDS = 110 * 60

# Cache policy: hashed assets forever, pages revalidated on every load.
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_REVALIDATE = "no-cache"

# Headers the host must add to every response (a <meta> CSP cannot carry frame-ancestors).
RESPONSE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_BUILD_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_ASSET_VERSION = re.compile(r"^[0-9a-f]{12}$")
_STATIC = "static"


class RenderError(ValueError):
    """The site cannot be rendered from these inputs; the message says why."""


@dataclass(frozen=True)
class Language:
    """A language the backend serves, as the page shows it."""

    code: str
    name: str
    native: str
    dir: str  # "ltr" or "rtl"


def load_languages(path: Path = LANGUAGES_FILE) -> tuple[Language, ...]:
    """Read the served languages (code, English name, native name, direction) from the backend."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise RenderError(f"cannot read the languages file {path}: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise RenderError(f"the languages file {path} is not valid JSON: {err}") from err
    entries = document.get("languages") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise RenderError(f"the languages file {path} has no 'languages' list")
    languages: list[Language] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise RenderError(f"languages[{index}] in {path} is not an object")
        values = {key: entry.get(key) for key in ("code", "name", "native", "dir")}
        if not all(isinstance(value, str) and value for value in values.values()):
            raise RenderError(f"languages[{index}] in {path} needs code, name, native and dir")
        language = Language(**values)  # type: ignore[arg-type]
        if not _LANGUAGE_CODE.match(language.code) or language.dir not in ("ltr", "rtl"):
            raise RenderError(f"languages[{index}] in {path} has a bad code or dir: {entry}")
        languages.append(language)
    if len({language.code for language in languages}) != len(languages):
        raise RenderError(f"the languages file {path} lists a code twice")
    return tuple(languages)


def websocket_origin(ws_url: str) -> str:
    """The origin (``wss://host[:port]``) of a WebSocket URL; RenderError if it is not one."""
    if not isinstance(ws_url, str) or not ws_url.strip():
        raise RenderError("the WebSocket URL is empty")
    if any(ch.isspace() or ord(ch) < 0x20 or ch in "'\";<>\\" for ch in ws_url):
        raise RenderError(f"the WebSocket URL holds characters a URL cannot: {ws_url!r}")
    try:
        parts = urlsplit(ws_url)
        port = parts.port
    except ValueError as err:
        raise RenderError(f"the WebSocket URL is malformed: {ws_url!r} ({err})") from err
    if parts.scheme not in ("ws", "wss"):
        raise RenderError(f"the WebSocket URL must start with wss:// or ws://, got {ws_url!r}")
    if not parts.hostname:
        raise RenderError(f"the WebSocket URL has no host: {ws_url!r}")
    if parts.username is not None or parts.password is not None:
        raise RenderError("the WebSocket URL must not carry credentials")
    if parts.fragment:
        raise RenderError(f"the WebSocket URL must not have a #fragment: {ws_url!r}")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def content_security_policy(ws_url: str) -> str:
    """The page's Content-Security-Policy: own scripts and styles only, one WebSocket origin."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {websocket_origin(ws_url)}",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def cache_control_for(relative_path: str) -> str:
    """The Cache-Control a host should send for one file of the rendered site."""
    parts = Path(relative_path).parts
    if len(parts) >= 3 and parts[0] == _STATIC and _ASSET_VERSION.match(parts[1]):
        return CACHE_IMMUTABLE
    return CACHE_REVALIDATE


def render_site(
    out_dir: Path,
    *,
    ws_url: str,
    build_version: str | None = None,
    frontend_dir: Path = FRONTEND_DIR,
    languages_file: Path = LANGUAGES_FILE,
) -> Path:
    """Render every page and copy the versioned assets into ``out_dir``; return ``out_dir``."""
    csp = content_security_policy(ws_url)
    if build_version is not None and not _BUILD_VERSION.match(build_version):
        raise RenderError(
            "the build version must be 1-64 characters of A-Z a-z 0-9 . _ + - "
            f"starting with a letter or digit, got {build_version!r}"
        )
    languages = load_languages(languages_file)
    templates_dir = Path(frontend_dir) / "templates"
    static_dir = Path(frontend_dir) / _STATIC
    pages = sorted(
        path.name
        for path in templates_dir.glob("*.html")
        if path.is_file() and not path.name.startswith("_")
    )
    if not pages:
        raise RenderError(f"no page templates (*.html) in {templates_dir}")
    if not static_dir.is_dir():
        raise RenderError(f"no static folder at {static_dir}")

    asset_version = _tree_hash(static_dir)
    settings: dict[str, Any] = {
        "wsUrl": ws_url,
        "buildVersion": build_version,
        "assetVersion": asset_version,
        "languages": [asdict(language) for language in languages],
        "limits": {
            "contentChars": CONTENT_MAX_CHARS,
            "contentBytes": CONTENT_MAX_BYTES,
            "historyPage": HISTORY_PAGE,
        },
        "timing": {
            "heartbeatSeconds": HEARTBEAT_SECONDS,
            "plannedReconnectSeconds": PLANNED_RECONNECT_SECONDS,
        },
    }

    def asset(path: str) -> str:
        if not (static_dir / path).is_file():
            raise RenderError(f"a template refers to a missing asset: {path}")
        return f"{_STATIC}/{asset_version}/{path}"

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals.update(
        asset=asset,
        csp=csp,
        settings=settings,
        languages=languages,
        build_version=build_version,
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in pages:
        try:
            html = environment.get_template(name).render()
        except jinja2.TemplateError as err:
            raise RenderError(f"template {name} failed to render: {err}") from err
        (out_dir / name).write_text(html, encoding="utf-8")
    _copy_static(static_dir, out_dir / _STATIC, asset_version)
    return out_dir


def _tree_hash(root: Path) -> str:
    """A short hash of every file's relative path and bytes under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def _copy_static(static_dir: Path, out_static: Path, asset_version: str) -> None:
    """Copy the assets under ``out_static/<asset_version>`` and drop earlier local versions."""
    target = out_static / asset_version
    if out_static.is_dir():
        for old in out_static.iterdir():
            if old.is_dir() and _ASSET_VERSION.match(old.name) and old.name != asset_version:
                shutil.rmtree(old)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(static_dir, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``render-frontend --ws-url URL --out dist [--build-version V]``."""
    parser = argparse.ArgumentParser(
        prog="render-frontend",
        description="Render the Positive Chat page into a static folder for deployment.",
    )
    parser.add_argument("--ws-url", required=True, help="the WebSocket URL (wss://...)")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="output folder (dist)")
    parser.add_argument("--build-version", default=None, help="shown in the page (e.g. git sha)")
    args = parser.parse_args(argv)
    try:
        out = render_site(args.out, ws_url=args.ws_url, build_version=args.build_version)
    except RenderError as err:
        parser.exit(2, f"render-frontend: error: {err}\n")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
