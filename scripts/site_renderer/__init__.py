"""The site renderer: the browser frontend (``frontend/``) rendered into a static site.

One renderer for both places the page is served from: the local cloud serves what it renders on
start-up, and the deploy uploads what it renders for the stack's WebSocket URL (S3 +
CloudFront). It imports nothing from the backend, the local cloud or the other tools (the import
contracts in pyproject.toml hold it to that).

    render     render_site, the Content-Security-Policy, content-hashed assets, Cache-Control
               (python -m site_renderer, scripts/render-frontend, .venv/bin/render-frontend)
"""

from __future__ import annotations

__all__: list[str] = []
