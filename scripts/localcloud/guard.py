"""Keep web pages off the local cloud's control endpoints.

The local cloud listens on 127.0.0.1, which every web page the developer opens can reach: a page
on any site can send a ``no-cors`` POST to ``http://127.0.0.1:PORT/_localcloud/faults`` (or to
moto's ``/moto-api/reset``). It cannot read the answer, but the request is sent and acted on.
Control endpoints therefore refuse what only a browser sends on a page's behalf:

- an ``Origin`` header naming another origin than the server's own (``null`` included);
- ``Sec-Fetch-Site: cross-site`` or ``same-site`` (another port or site);
- for a request with a body, any ``Content-Type`` but ``application/json`` (a ``no-cors``
  request can only send ``text/plain``, form or multipart bodies; JSON needs a CORS preflight,
  which these servers never grant).

Tools (the tests, ``LanguageServices``, boto3, curl) send no ``Origin`` and no
``Sec-Fetch-Site``, and the fault switch's clients send ``application/json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["browser_refusal", "guard_wsgi"]

_BROWSER_SITES = frozenset({"cross-site", "same-site"})


def browser_refusal(
    headers: Mapping[str, str], *, host: str, require_json: bool = False
) -> str | None:
    """Why a request to a control endpoint is refused, or None when it may go on.

    ``headers`` are the request's (any case); ``host`` is its ``Host`` (the server's own origin
    is ``http://{host}``); ``require_json`` for requests that carry a document.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    origin = lower.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.scheme not in ("http", "https") or parts.netloc != host:
            return f"requests from another origin ({origin[:100]}) are refused"
    site = lower.get("sec-fetch-site", "").strip().lower()
    if site in _BROWSER_SITES:
        return f"requests from another site (Sec-Fetch-Site: {site}) are refused"
    if require_json:
        media = lower.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            return "the body must be sent as Content-Type: application/json"
    return None


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def guard_wsgi(app: WsgiApp, *, require_json: bool = False) -> WsgiApp:
    """``app`` behind ``browser_refusal``: a refused request is 403 with a JSON error."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = {
            key[5:].replace("_", "-"): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if "CONTENT_TYPE" in environ:
            headers["CONTENT-TYPE"] = str(environ["CONTENT_TYPE"])
        has_body = environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD", "OPTIONS")
        refusal = browser_refusal(
            headers, host=str(environ.get("HTTP_HOST", "")), require_json=require_json and has_body
        )
        if refusal is None:
            return app(environ, start_response)
        body = ('{"error": "' + refusal.replace('"', "'") + '"}').encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return guarded
