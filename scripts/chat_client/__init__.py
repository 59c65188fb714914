"""The Positive Chat tester client: interactive chat, scripted exchanges with ``--expect``
assertions, and a load generator that verifies every delivery (protocol v2).

Modules::

    cli          argument parsing, exit statuses         (python -m chat_client)
    connection   the WebSocket, clear errors, heartbeat  (the only websockets user)
    errors       the exception tree
    display      frames -> terminal text (escaped, coloured)
    expect       the --expect grammar
    ledger       delivery verification (lost / duplicate / out of order)
    stats        latency percentiles
    languages    the served languages (backend/positive_chat/languages.json)
    interactive  the terminal chat and its command table
    scripted     the send command
    load         the load command
"""

from __future__ import annotations

__all__: list[str] = []
