"""``python -m localcloud.dynamodb``: run the local DynamoDB on its own (see ``server.main``)."""

from __future__ import annotations

import sys

from .server import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
