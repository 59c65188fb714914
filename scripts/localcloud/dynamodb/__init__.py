"""The local cloud's DynamoDB: moto serving template.yaml's tables, kept in a data folder.

This package owns the DynamoDB endpoint of the local cloud (``AWS_ENDPOINT_URL_DYNAMODB``).
``LocalDynamoDB`` is the integrator's handle::

    db = LocalDynamoDB(data_dir=Path(".localcloud/dynamodb"))
    url = db.start()      # tables exist and the data is restored when this returns
    ...
    db.stop()             # snapshot, clean stop; idempotent

By default the server runs in its own process: moto holds the GIL for a whole request, and the
gateway's event loop must not stall behind it (see BENCHMARKS.md, "Local DynamoDB"); the two
processes then share the machine's cores. ``isolation="thread"`` serves from a thread of the
calling process instead (quicker to start, for tests).

Durability: a write is in the journal, fsynced, before its response leaves, so killing the
server (even SIGKILL) loses nothing that was answered. See ``store`` and ``journal``.

Modules: ``store`` (moto + journal + snapshots, a WSGI app), ``journal`` (the write-ahead log),
``speedups`` (a Query index and a fast item encoder for moto), ``server`` (HTTP server, child
process).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Literal

from ..template import DEFAULT_TEMPLATE
from .server import ThreadedServer, build_store
from .store import DataDirError, DurableStore, StartupReport

__all__ = ["DataDirError", "LocalDynamoDB", "LocalDynamoDBError", "StartupReport"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding ``localcloud``


class LocalDynamoDBError(RuntimeError):
    """The server could not start (its exit status and last log lines are in the message)."""


class LocalDynamoDB:
    """A DynamoDB endpoint on ``host:port`` serving the template's tables.

    ``data_dir`` None keeps everything in memory and writes no file. Tables are named by their
    logical ids in the template (``table_names`` maps one to the other).
    """

    def __init__(
        self,
        *,
        data_dir: Path | None,
        template_path: Path = DEFAULT_TEMPLATE,
        host: str = "127.0.0.1",
        port: int = 0,
        # Where it runs
        isolation: Literal["process", "thread"] = "process",
        region: str = "us-east-1",
        # Durability
        fsync: bool = True,
        compact_after_records: int = 20_000,
        start_timeout: float = 300.0,
        fast_query: bool = True,
        # Where the server process's log lines go: None = this process's stderr, as they are
        log_to: logging.Logger | None = None,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.template_path = Path(template_path)
        self.host = host
        self.port = port
        self.isolation = isolation
        self.region = region
        self.fsync = fsync
        self.compact_after_records = compact_after_records
        self.start_timeout = start_timeout
        self.fast_query = fast_query
        self.log_to = log_to
        self._log_pump: threading.Thread | None = None
        self.url = ""
        self.table_names: dict[str, str] = {}
        self.startup: StartupReport | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._store: DurableStore | None = None
        self._server: ThreadedServer | None = None

    @property
    def pid(self) -> int | None:
        """The server process's id (process isolation, while running)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> str:
        """Start serving; returns ``http://HOST:PORT`` once tables and data are ready."""
        if self.url:
            raise RuntimeError("already started")
        if self.isolation == "thread":
            self._start_thread()
        elif self.isolation == "process":
            self._start_process()
        else:
            raise ValueError(f"isolation must be 'process' or 'thread', not {self.isolation!r}")
        return self.url

    def stop(self) -> None:
        """Snapshot and stop (idempotent; safe if start failed)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._process is not None:
            self._stop_process(self._process)
            self._process = None
        if self._log_pump is not None:  # its last lines (the snapshot) are logged by now
            self._log_pump.join(timeout=2.0)
            self._log_pump = None
        self.url = ""

    def __enter__(self) -> LocalDynamoDB:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- thread ----------------------------------------------------------------------------------
    def _start_thread(self) -> None:
        store = build_store(
            data_dir=self.data_dir,
            template_path=self.template_path,
            region=self.region,
            fsync=self.fsync,
            compact_after_records=self.compact_after_records,
            fast_query=self.fast_query,
        )
        try:
            self.startup = store.open()
        except BaseException:
            store.close()
            raise
        self._store = store
        try:
            self._server = ThreadedServer(store, host=self.host, port=self.port)
        except OSError:
            store.close()
            self._store = None
            raise
        self.url = self._server.start()
        self.table_names = {name: name for name in store.table_specs}

    # --- process ---------------------------------------------------------------------------------
    def _start_process(self) -> None:
        command = [
            sys.executable,
            "-m",
            "localcloud.dynamodb",
            "--parent-pipe",
            "--template",
            str(self.template_path),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--region",
            self.region,
            "--compact-after",
            str(self.compact_after_records),
        ]
        if self.data_dir is not None:
            command += ["--data-dir", str(self.data_dir)]
        if not self.fsync:
            command.append("--no-fsync")
        if not self.fast_query:
            command.append("--no-fast-query")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p
        )
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            stderr=subprocess.PIPE if self.log_to is not None else None,
        )
        assert process.stdout is not None
        if self.log_to is not None:
            assert process.stderr is not None
            from ..logs import forward_child_log

            self._log_pump = forward_child_log(process.stderr, self.log_to)
        try:
            line = _read_line(process.stdout, self.start_timeout)
        except TimeoutError as err:
            self._stop_process(process)
            raise LocalDynamoDBError(
                f"the local DynamoDB did not start within {self.start_timeout:.0f} s"
            ) from err
        if not line:
            code = process.wait()
            raise LocalDynamoDBError(
                f"the local DynamoDB exited with status {code} before it was ready"
                " (see its log)"
            )
        ready = json.loads(line)
        self._process = process
        self.url = str(ready["url"])
        self.table_names = dict(ready["tables"])
        self.startup = StartupReport(**ready["startup"])

    @staticmethod
    def _stop_process(process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
        """Close the pipe (the child snapshots and exits), then insist if it hangs."""
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _read_line(stream: IO[bytes], timeout: float) -> str:
    """One line from a pipe within ``timeout`` seconds ("" at EOF)."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = stream.fileno()
    while not buffer.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            return ""
        buffer += chunk
    return buffer.decode().strip()
