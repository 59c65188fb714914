"""The local DynamoDB's HTTP server, in a thread or as its own process.

This module owns serving a ``DurableStore`` over HTTP and the child-process protocol:

- ``ThreadedServer``: a threaded, keep-alive (HTTP/1.1) werkzeug server in a background thread.
- ``main()`` (``python -m localcloud.dynamodb``): run one server in this process. It prints one
  JSON line ``{"url": ..., "tables": {...}, "pid": ...}`` on stdout once the tables exist and the
  data is restored. It stops cleanly (snapshot) on SIGTERM, or, with ``--parent-pipe``, when its
  stdin closes, which is also what happens if the parent dies; SIGINT is then ignored so a Ctrl-C
  in the terminal lets the parent stop the gateway (and its last writes) before the database.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ..template import DEFAULT_TEMPLATE, load_template, table_specs
from .store import DataDirError, DurableStore

__all__ = ["ThreadedServer", "build_store", "main"]

logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request (the gateway logs invocations)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip per-request access logs."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Send werkzeug's own messages (errors) to our logger at DEBUG."""
        logger.debug(message, *args)


class ThreadedServer:
    """Serve a WSGI app on ``host:port`` (0 = any free port) from a daemon thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long shutdown() may wait
            name="dynamodb-http",
            daemon=True,
        )
        self._stopped = False

    @property
    def url(self) -> str:
        """The endpoint URL, with the port actually bound."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        """Start serving; returns the URL."""
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop accepting requests and close the socket (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


def build_store(
    *,
    data_dir: Path | None,
    template_path: Path,
    region: str = "us-east-1",
    fsync: bool = True,
    compact_after_records: int = 20_000,
    fast_query: bool = True,
) -> DurableStore:
    """A store holding the template's tables (named by their logical ids)."""
    specs = table_specs(load_template(template_path))
    return DurableStore(
        data_dir=data_dir,
        table_specs=specs,
        region=region,
        fsync=fsync,
        compact_after_records=compact_after_records,
        fast_query=fast_query,
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.dynamodb",
        description="A local DynamoDB serving template.yaml's tables, persisted in a data folder.",
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (omit: memory only)")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--no-fsync", action="store_true", help="flush to the OS only")
    parser.add_argument("--compact-after", type=int, default=20_000, help="journal records")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--no-fast-query", action="store_true", help="stock moto Query (for measurements)"
    )
    parser.add_argument(
        "--parent-pipe",
        action="store_true",
        help="stop when stdin closes and ignore SIGINT (used by LocalDynamoDB)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT (or stdin EOF with --parent-pipe)."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s dynamodb %(message)s",
        stream=sys.stderr,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    if args.parent_pipe:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

        def watch_parent() -> None:
            # Raw reads (no buffered-reader lock held at interpreter exit); b"" = EOF: the parent
            # closed the pipe or died.
            while os.read(sys.stdin.fileno(), 4096):
                pass
            stop.set()

        threading.Thread(target=watch_parent, name="parent-pipe", daemon=True).start()
    else:
        signal.signal(signal.SIGINT, on_signal)

    store = build_store(
        data_dir=args.data_dir,
        template_path=args.template,
        region=args.region,
        fsync=not args.no_fsync,
        compact_after_records=args.compact_after,
        fast_query=not args.no_fast_query,
    )
    try:
        report = store.open()
    except DataDirError as err:
        logger.error("%s", err)
        return 2
    # The restored items live as long as the process: keep the cyclic GC from re-scanning them
    # (full collections over 100k items cost ~30 ms, landing inside random requests).
    gc.freeze()
    server = ThreadedServer(store, host=args.host, port=args.port)
    url = server.start()
    ready = {
        "url": url,
        "tables": {name: name for name in store.table_specs},
        "pid": os.getpid(),
        "startup": dataclasses.asdict(report),
    }
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    logger.info("local DynamoDB on %s (data: %s)", url, args.data_dir or "memory only")
    stop.wait()
    server.stop()
    store.close()
    logger.info("local DynamoDB stopped")
    return 0
