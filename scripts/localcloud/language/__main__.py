"""``python -m localcloud.language``: run the offline Comprehend/Translate endpoints alone."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from localcloud.language.server import serve

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.language",
        description="Offline Amazon Comprehend and Amazon Translate endpoints (one URL for both).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 = pick a free one)")
    parser.add_argument(
        "--accuracy",
        choices=("low", "high"),
        default="low",
        help="lingua mode: low loads in ~0.2 s/50 MB, high in ~5 s/570 MB (default low)",
    )
    parser.add_argument("--warm", action="store_true", help="load the language model at start")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    # Used by localcloud.language.LanguageServices, which runs this module as its child.
    parser.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0-65535, not {args.port}")
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    def announce(url: str) -> None:
        if args.ready_fd is not None:
            with os.fdopen(args.ready_fd, "w") as ready:
                ready.write(url + "\n")
            return
        print(f"export AWS_ENDPOINT_URL_COMPREHEND={url}", flush=True)
        print(f"export AWS_ENDPOINT_URL_TRANSLATE={url}", flush=True)

    try:
        serve(
            host=args.host,
            port=args.port,
            accuracy=args.accuracy,
            warm=args.warm,
            on_ready=announce,
            parent_pid=args.parent_pid,
        )
    except OSError as err:  # e.g. the port is taken: say so, no traceback
        message = f"cannot serve on {args.host}:{args.port}: {err}"
        if args.ready_fd is not None:
            with contextlib.suppress(OSError), os.fdopen(args.ready_fd, "w") as ready:
                ready.write(message + "\n")
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
