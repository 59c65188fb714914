"""A Lambda execution environment's stdout and stderr, turned into log records.

This module owns reading what the function writes (as CloudWatch Logs would receive it) and
saying what each line is, for ``localcloud.logs`` to route: the worker processes of
``localcloud.runtime`` write into pipes read by ``FunctionOutput``, which logs every line or
block as the ``localcloud.lambda`` logger with the environment as its ``source``
(``ChatFunction#2``). Nothing in the function changes: it writes where it always writes.

stdout:
- a Powertools JSON log record: its own ``level``; below WARNING it is ``file_only``; WARNING
  and above carries the parsed record (``lambda_json``) so the terminal can show it readably.
- an EMF metric blob (``{"_aws": ...}``): INFO, file only.
- any other line (``print``): INFO, file only.

stderr (multi-line blocks are kept together as one record):
- ``[ERROR] Type: message`` + traceback + ``RequestId: ...``: the runtime's report of an
  unhandled error (``localcloud.gw_worker``): ERROR.
- ``Traceback (most recent call last):`` up to the exception line: ERROR.
- a ``warnings`` message (``path:line: Category: text`` and its source line): WARNING, file only
  when it comes from a library (a path outside the function's code, or in site-packages).
- any other line: WARNING (a library's logging warning printed by Python's last-resort handler).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from typing import Any

__all__ = ["LOGGER", "FunctionOutput"]

LOGGER = logging.getLogger("localcloud.lambda")

_WARNING = re.compile(r"^(.+?):\d+: ([A-Za-z_][\w.]*(?:Warning|Deprecation\w*)): ")
_LEVEL_PREFIX = '{"level":"'
_LIBRARY_DIRS = ("/site-packages/", "/dist-packages/")


def _level(name: Any) -> int:
    level = logging.getLevelName(name) if isinstance(name, str) else None
    return level if isinstance(level, int) else logging.INFO


class FunctionOutput(asyncio.Protocol):
    """One pipe (``stdout`` or ``stderr``) of one execution environment."""

    def __init__(
        self, source: str, stream: str, task_root: str, on_eof: Callable[[], None]
    ) -> None:
        self._source = source
        self._stderr = stream == "stderr"
        self._task_root = task_root.rstrip("/") + "/"
        self._on_eof = on_eof
        self._partial = b""
        self._block: list[str] = []
        self._block_kind = ""
        self._block_level = logging.ERROR
        self._block_file_only = False

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            if self._stderr:
                self._stderr_line(line)
            else:
                self._stdout_line(line)
        self._flush_block()  # a block is written at once: it does not span two reads

    def connection_lost(self, exc: Exception | None) -> None:
        if self._partial:
            self.data_received(b"\n")
        self._flush_block()
        self._on_eof()

    # -- stdout --------------------------------------------------------------------------------

    def _stdout_line(self, line: str) -> None:
        if not line:
            return
        if not line.startswith("{"):
            self._log(logging.INFO, line, file_only=True)
            return
        if line.startswith('{"_aws":'):
            self._log(logging.INFO, line, file_only=True)
            return
        if line.startswith(_LEVEL_PREFIX):  # Powertools' layout: a cheap look at the level
            end = line.find('"', len(_LEVEL_PREFIX))
            level = _level(line[len(_LEVEL_PREFIX):end])
            if level < logging.WARNING:
                self._log(level, line, file_only=True)
                return
        try:
            document = json.loads(line)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            self._log(logging.INFO, line, file_only=True)
            return
        level = _level(document.get("level"))
        if "_aws" in document or level < logging.WARNING:
            self._log(level, line, file_only=True)
        else:
            self._log(level, line, file_only=False, document=document)

    # -- stderr --------------------------------------------------------------------------------

    def _stderr_line(self, line: str) -> None:
        kind = self._block_kind
        if kind == "runtime":
            self._block.append(line)
            if line.startswith("RequestId:"):
                self._flush_block()
            return
        if kind and (line.startswith((" ", "\t")) or (kind == "traceback" and not line)):
            self._block.append(line)
            return
        if kind == "traceback":  # the exception line ends the traceback
            self._block.append(line)
            self._flush_block()
            return
        self._flush_block()
        self._start(line)

    def _start(self, line: str) -> None:
        warning = _WARNING.match(line)
        if warning:
            path = warning[1]
            library = not path.startswith(self._task_root) or any(
                d in path for d in _LIBRARY_DIRS
            )
            self._open("warning", line, logging.WARNING, file_only=library)
        elif line.startswith("[ERROR]"):
            self._open("runtime", line, logging.ERROR, file_only=False)
        elif line.startswith("Traceback (most recent call last):"):
            self._open("traceback", line, logging.ERROR, file_only=False)
        elif line.strip():
            self._log(logging.WARNING, line, file_only=False)

    def _open(self, kind: str, line: str, level: int, *, file_only: bool) -> None:
        self._block_kind, self._block = kind, [line]
        self._block_level, self._block_file_only = level, file_only

    def _flush_block(self) -> None:
        if self._block:
            text = "\n".join(self._block).rstrip("\n")
            self._log(self._block_level, text, file_only=self._block_file_only)
        self._block, self._block_kind = [], ""

    # -- out -----------------------------------------------------------------------------------

    def _log(
        self, level: int, text: str, *, file_only: bool, document: dict[str, Any] | None = None
    ) -> None:
        if LOGGER.isEnabledFor(level):
            LOGGER.log(level, "%s", text, extra={
                "source": self._source, "file_only": file_only, "lambda_json": document,
            })
