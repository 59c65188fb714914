"""Tools around Positive Chat that are not deployed with the Lambda.

``chattools.render`` renders the browser frontend (``frontend/``) into a static site;
``chattools.client`` is the WebSocket tester client.
"""

from __future__ import annotations

__all__: list[str] = []
