"""``python -m chat_client``: the tester client's entry point (see ``--help``)."""

from __future__ import annotations

import sys

from chat_client.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
