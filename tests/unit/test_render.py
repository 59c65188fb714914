"""Unit tests of site_renderer: the static site the deploy uploads and the local cloud serves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_renderer.render import (
    CACHE_IMMUTABLE,
    CACHE_REVALIDATE,
    FRONTEND_DIR,
    LANGUAGES_FILE,
    RenderError,
    cache_control_for,
    content_security_policy,
    load_languages,
    main,
    render_site,
    websocket_origin,
)

ROOT = Path(__file__).resolve().parents[2]
WS_URL = "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod"


class _Page(HTMLParser):
    """Collect the tags and attributes of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.script_bodies.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, body = self.script_bodies[-1]
            self.script_bodies[-1] = (attrs, body + data)

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.tags
            if name == tag and all(attrs.get(k.replace("_", "-")) == v for k, v in wanted.items())
        ]


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _settings(page: _Page) -> dict[str, object]:
    islands = [body for attrs, body in page.script_bodies if attrs.get("id") == "app-settings"]
    assert len(islands) == 1
    loaded = json.loads(islands[0])
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The real frontend rendered into a temporary folder."""
    return render_site(tmp_path / "dist", ws_url=WS_URL, build_version="1.2.3")


def test_render_site_writes_the_page_and_every_asset_it_references(site: Path) -> None:
    """Every src/href in index.html points at a file that was written under static/<hash>/."""
    page = _parse(site / "index.html")
    refs = [a["src"] for a in page.find("script") if a.get("src")]
    refs += [a["href"] for a in page.find("link") if a.get("href")]
    refs += [a["src"] for a in page.find("img") if a.get("src")]
    assert any(ref and ref.endswith("js/chat.js") for ref in refs)
    for ref in refs:
        assert ref is not None
        parts = Path(ref).parts
        assert parts[0] == "static"
        assert len(parts[1]) == 12
        assert (site / ref).is_file(), ref


def test_render_site_asset_version_follows_content(tmp_path: Path) -> None:
    """Changing any asset changes the versioned folder; rendering twice keeps one version."""
    frontend = tmp_path / "frontend"
    shutil.copytree(FRONTEND_DIR, frontend)
    out = tmp_path / "dist"
    render_site(out, ws_url=WS_URL, frontend_dir=frontend)
    first = {p.name for p in (out / "static").iterdir()}
    render_site(out, ws_url=WS_URL, frontend_dir=frontend)
    assert {p.name for p in (out / "static").iterdir()} == first
    with (frontend / "static" / "css" / "app.css").open("a", encoding="utf-8") as css:
        css.write("\n/* changed */\n")
    render_site(out, ws_url=WS_URL, frontend_dir=frontend)
    second = {p.name for p in (out / "static").iterdir()}
    assert len(second) == 1
    assert second != first


def test_render_site_sets_a_strict_content_security_policy(site: Path) -> None:
    """The CSP meta allows own scripts/styles and only the WebSocket's origin."""
    metas = _parse(site / "index.html").find("meta", http_equiv="Content-Security-Policy")
    assert len(metas) == 1
    assert metas[0]["content"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src wss://abc123.execute-api.eu-west-1.amazonaws.com; base-uri 'none'; "
        "form-action 'none'"
    )


def test_render_site_has_no_inline_script_or_handlers(site: Path) -> None:
    """Scripts are external modules or a non-executed JSON island; no on* attributes or styles."""
    page = _parse(site / "index.html")
    for attrs, body in page.script_bodies:
        if attrs.get("type") == "application/json":
            continue
        assert attrs.get("src"), "inline script"
        assert attrs.get("type") == "module"
        assert body.strip() == ""
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), tag
        assert "style" not in attrs, tag


def test_render_site_injects_the_deployment_settings(site: Path) -> None:
    """The JSON island carries the WebSocket URL, build version, limits and all languages."""
    settings = _settings(_parse(site / "index.html"))
    assert settings["wsUrl"] == WS_URL
    assert settings["buildVersion"] == "1.2.3"
    assert settings["limits"] == {"contentChars": 2000, "contentBytes": 5000, "historyPage": 50}
    served = json.loads(LANGUAGES_FILE.read_text(encoding="utf-8"))["languages"]
    assert isinstance(settings["languages"], list)
    assert [(lang["code"], lang["native"], lang["dir"]) for lang in settings["languages"]] == [
        (lang["code"], lang["native"], lang["dir"]) for lang in served
    ]


def test_render_site_lists_every_language_with_its_native_name(site: Path) -> None:
    """Both language pickers offer every served language, tagged with its own lang."""
    html = (site / "index.html").read_text(encoding="utf-8")
    page = _parse(site / "index.html")
    for language in load_languages():
        assert len(page.find("option", value=language.code, lang=language.code)) == 2
        assert language.native in html


def test_render_site_escapes_hostile_settings(tmp_path: Path) -> None:
    """A language name holding markup cannot break out of the JSON island or an <option>."""
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    languages = tmp_path / "languages.json"
    languages.write_text(
        json.dumps(
            {"languages": [{"code": "en", "name": "English", "native": evil, "dir": "ltr"}]}
        ),
        encoding="utf-8",
    )
    out = render_site(tmp_path / "dist", ws_url=WS_URL, languages_file=languages)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    page = _parse(out / "index.html")
    settings = _settings(page)
    assert isinstance(settings["languages"], list)
    assert settings["languages"][0]["native"] == evil
    assert not any(tag == "img" and attrs.get("src") == "x" for tag, attrs in page.tags)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (
            "wss://abc.execute-api.us-east-1.amazonaws.com/prod",
            "wss://abc.execute-api.us-east-1.amazonaws.com",
        ),
        ("ws://127.0.0.1:8000/local", "ws://127.0.0.1:8000"),
        ("wss://Chat.Example.com", "wss://chat.example.com"),
        ("ws://[::1]:9000/x", "ws://[::1]:9000"),
    ],
    ids=["aws", "local", "case", "ipv6"],
)
def test_websocket_origin_accepts_websocket_urls(url: str, origin: str) -> None:
    """The CSP's connect-src is the URL's scheme, host and port."""
    assert websocket_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.com/ws",
        "ws://",
        "wss://user:pw@example.com/",
        "wss://example.com/#x",
        "wss://example.com/a b",
        "wss://example.com/'; script-src *",
        "wss://example.com:99999/",
    ],
    ids=["empty", "https", "no-host", "credentials", "fragment", "space", "csp-injection", "port"],
)
def test_websocket_origin_refuses_other_urls(url: str) -> None:
    """Anything but a plain ws/wss URL is a clear RenderError."""
    with pytest.raises(RenderError):
        content_security_policy(url)


@pytest.mark.parametrize(
    "version",
    ["", "a b", "-x", "x" * 65, "<b>"],
    ids=["empty", "space", "dash", "long", "markup"],
)
def test_render_site_refuses_a_bad_build_version(tmp_path: Path, version: str) -> None:
    """The build version is a short token, never markup."""
    with pytest.raises(RenderError, match="build version"):
        render_site(tmp_path, ws_url=WS_URL, build_version=version)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"languages": []}', "no 'languages'"),
        ('{"languages": [{"code": "en"}]}', "needs code, name, native and dir"),
        (
            '{"languages": [{"code": "en", "name": "E", "native": "E", "dir": "up"}]}',
            "bad code or dir",
        ),
        (
            '{"languages": [{"code": "en", "name": "E", "native": "E", "dir": "ltr"},'
            ' {"code": "en", "name": "E", "native": "E", "dir": "ltr"}]}',
            "twice",
        ),
    ],
    ids=["missing", "bad-json", "empty", "incomplete", "bad-dir", "duplicate"],
)
def test_load_languages_explains_a_bad_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    """A broken languages file is a RenderError naming the problem."""
    path = tmp_path / "languages.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RenderError, match=message):
        load_languages(path)


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("index.html", CACHE_REVALIDATE),
        ("static/0123456789ab/js/chat.js", CACHE_IMMUTABLE),
        ("static/not-a-hash/js/chat.js", CACHE_REVALIDATE),
    ],
    ids=["page", "asset", "unversioned"],
)
def test_cache_control_for_pages_and_assets(path: str, policy: str) -> None:
    """Pages revalidate; only content-versioned assets are cached forever."""
    assert cache_control_for(path) == policy


def test_main_renders_and_prints_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI renders into --out and prints where."""
    assert main(["--ws-url", "ws://127.0.0.1:8000/local", "--out", str(tmp_path / "d")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "d")
    assert (tmp_path / "d" / "index.html").is_file()


def test_main_reports_a_bad_url_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad --ws-url exits 2 with one readable line."""
    with pytest.raises(SystemExit) as exited:
        main(["--ws-url", "http://nope", "--out", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "render-frontend: error: the WebSocket URL must start with wss://" in err
    assert "Traceback" not in err


def test_render_frontend_script_wraps_the_cli(tmp_path: Path) -> None:
    """scripts/render-frontend renders a site from the repository root."""
    result = subprocess.run(
        [
            str(ROOT / "scripts" / "render-frontend"),
            *("--ws-url", WS_URL, "--out", str(tmp_path / "out")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "index.html").is_file()


# ---------------------------------------------------------------- the moderator console page


@pytest.mark.parametrize("name", ["index.html", "moderator.html"], ids=["chat", "moderator"])
def test_render_site_pages_share_the_strict_policy(site: Path, name: str) -> None:
    """Every page has the same CSP, external module scripts only, and no handlers or styles."""
    page = _parse(site / name)
    metas = page.find("meta", http_equiv="Content-Security-Policy")
    assert [meta["content"] for meta in metas] == [content_security_policy(WS_URL)]
    for attrs, body in page.script_bodies:
        if attrs.get("type") == "application/json":
            continue
        assert attrs.get("type") == "module", "inline script"
        assert attrs.get("src"), "inline script"
        assert body.strip() == ""
    for tag, attrs in page.tags:
        assert not any(attr.startswith("on") for attr in attrs), tag
        assert "style" not in attrs, tag


def test_render_site_writes_the_moderator_console(site: Path) -> None:
    """moderator.html loads moderator.js and every asset it references exists."""
    page = _parse(site / "moderator.html")
    scripts = [a["src"] for a in page.find("script", type="module")]
    assert len(scripts) == 1
    assert (scripts[0] or "").endswith("js/moderator.js")
    refs = [a["href"] for a in page.find("link") if a.get("href")] + scripts
    refs += [a["src"] for a in page.find("img") if a.get("src")]
    for ref in refs:
        assert ref is not None
        assert (site / ref).is_file(), ref
    assert _settings(page)["wsUrl"] == WS_URL


def test_moderator_secret_field_can_never_reach_a_url(site: Path) -> None:
    """The secret is a nameless password field in a form with no action; CSP forbids submits."""
    page = _parse(site / "moderator.html")
    secret_inputs = page.find("input", id="signin-secret")
    assert len(secret_inputs) == 1
    secret = secret_inputs[0]
    assert secret.get("type") == "password"
    assert secret.get("autocomplete") == "current-password"
    assert "name" not in secret  # a nameless field is never serialized into a query string
    forms = page.find("form", id="signin-form")
    assert len(forms) == 1
    assert "action" not in forms[0]
    assert "method" not in forms[0]
    assert "form-action 'none'" in content_security_policy(WS_URL)
    assert [a for a in page.find("label") if a.get("for") == "signin-secret"] != []


def test_moderator_page_settings_hold_no_secret(site: Path) -> None:
    """The settings island of the console is the public one: no secret or parameter name."""
    settings = _settings(_parse(site / "moderator.html"))
    assert set(settings) == set(_settings(_parse(site / "index.html")))
    blob = json.dumps(settings).lower()
    assert "secret" not in blob
    assert "parameter" not in blob


def test_moderator_page_documents_the_keyboard_shortcuts(site: Path) -> None:
    """The help dialog lists j, k, a, r, / and ? and each control labels its inputs."""
    html = (site / "moderator.html").read_text(encoding="utf-8")
    page = _parse(site / "moderator.html")
    assert len(page.find("dialog", id="help-dialog")) == 1
    shortcuts = re.findall(r"<dt><kbd>([^<]+)</kbd></dt>", html)
    assert {"j", "k", "a", "r", "/", "?"} <= set(shortcuts)
    labelled = {attrs.get("for") for attrs in page.find("label")}
    for tag, attrs in page.tags:
        if tag in ("input", "select", "textarea"):
            assert attrs.get("id") in labelled, attrs
