"""``python -m site_renderer``: render the page into a folder (see ``--help``)."""

from __future__ import annotations

import sys

from site_renderer.render import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
