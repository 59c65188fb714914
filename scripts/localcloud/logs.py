"""Where the local cloud's output goes: a quiet terminal and a complete log file.

This module owns the logging set-up of ``python -m localcloud``. Every line anything writes (the
local cloud's own loggers, the libraries it runs, its DynamoDB and language children, and the
Lambda's stdout/stderr, which ``localcloud.function_output`` turns into log records) becomes a
record of Python's ``logging``, and two handlers share them:

- the log file gets every record at or above ``--log-level``, one line each, in the format
  ``HH:MM:SS LEVEL   SOURCE          MESSAGE`` (the Lambda's JSON lines and EMF metric blobs as
  written). It rotates at 10 MB (3 old files kept); each start writes a dated header line.
- the terminal gets what a person wants to see while chatting: one line per Lambda invocation,
  the local cloud's own start/stop and warning lines, and every warning or error of the function
  in full, made readable (a JSON log record becomes ``message key=value (location)`` and its
  traceback). Records marked ``file_only`` (the Lambda's INFO logs, metrics, library
  ``warnings``, the children's start-up lines) and the libraries' records below ERROR (access
  lines, library warnings) stay in the file. ``--verbose`` shows everything the file gets.

One timestamp format (``HH:MM:SS``, local time) on both. Terminal text is made safe: control
characters (ANSI escapes) and bidirectional overrides from chat text are printed escaped.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from localcloud.runtime import InvocationResult

__all__ = [
    "FILE_ONLY",
    "LOG_FILE_NAME",
    "TerminalFilter",
    "configure",
    "forward_child_log",
    "human_record",
    "invocation_line",
    "queue_invocation_line",
    "selection_value",
    "terminal_safe",
]

LOG_FILE_NAME = "localcloud.log"
FILE_ONLY = {"file_only": True}  # ``extra=`` for a record that belongs in the file only
DATE_FORMAT = "%H:%M:%S"
LINE_FORMAT = "%(asctime)s %(levelname)-7s %(source)-15s %(message)s"
_MAX_BYTES = 10 * 1024 * 1024
_BACKUPS = 3
_OWN = "localcloud"

# Powertools' standard keys: shown as the location and request, not as key=value pairs.
_STANDARD_KEYS = frozenset({
    "level", "location", "message", "timestamp", "service", "name", "cold_start",
    "function_name", "function_memory_size", "function_arn", "function_request_id",
    "xray_trace_id", "exception", "exception_name", "stack_trace", "sampling_rate",
    "correlation_id", "polling_interval",
})
# C0/C1 controls (but tab and newline) and bidirectional embeddings/overrides/isolates.
_UNSAFE = {
    **{c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))},
    **{c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}


def terminal_safe(text: str) -> str:
    """``text`` with every control character and bidi override escaped (tab, newline kept)."""
    return text.translate(_UNSAFE)


class _Source(logging.Filter):
    """Give every record a short ``source`` (``gateway``, ``dynamodb``, ``ChatFunction#1``...)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "source"):
            name = record.name
            if name == _OWN:
                record.source = "localcloud"
            elif name.startswith(_OWN + "."):
                record.source = name[len(_OWN) + 1:].split(".")[0]
            else:
                record.source = name
        return True


class TerminalFilter(logging.Filter):
    """What reaches the terminal when not ``--verbose`` (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "file_only", False):
            return False
        name = record.name
        if name == _OWN or name.startswith(_OWN + "."):
            return True
        return record.levelno >= logging.ERROR  # a library's access lines and warnings: file


def human_record(document: Mapping[str, Any]) -> str:
    """One Powertools JSON log record as text: message, extra keys, location, request, trace."""
    message = str(document.get("message", ""))
    extras = "  ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in document.items()
        if key not in _STANDARD_KEYS
    )
    where = [str(document[k]) for k in ("name", "location") if document.get(k)]
    request = document.get("function_request_id")
    if isinstance(request, str):
        where.append(f"request {request[:8]}")
    text = message + (f"  {extras}" if extras else "")
    if where:
        text += f"  ({', '.join(where)})"
    trace = document.get("exception") or document.get("stack_trace")
    if trace:
        text += "\n" + (trace if isinstance(trace, str) else json.dumps(trace, indent=2)).rstrip()
    return text


class _FileFormatter(logging.Formatter):
    """One record, its continuation lines (a traceback, a warning's source line) indented."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\n    ")


class _TerminalFormatter(logging.Formatter):
    """The file's line format; a function's JSON warning made readable; text made safe."""

    def format(self, record: logging.LogRecord) -> str:
        document = getattr(record, "lambda_json", None)
        if isinstance(document, dict):
            saved = record.msg, record.args
            record.msg, record.args = human_record(document), None
            try:
                text = super().format(record)
            finally:
                record.msg, record.args = saved
        else:
            text = super().format(record)
        return terminal_safe(text).replace("\n", "\n    ")


def configure(
    level: str,
    log_file: Path,
    *,
    verbose: bool = False,
    terminal: TextIO | None = None,
) -> list[logging.Handler]:
    """Send every record to ``log_file`` and the human ones to ``terminal`` (stderr).

    Returns the two handlers installed on the root logger (a test removes them again).
    Library ``warnings.warn`` messages become ``py.warnings`` records (file only).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    source = _Source()
    with log_file.open("a", encoding="utf-8") as out:  # the date, once: lines carry the time
        out.write(
            f"---- local cloud started {time.strftime('%Y-%m-%d %H:%M:%S %z')}"
            f" (log level {level}{', verbose' if verbose else ''}) ----\n"
        )
    to_file = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
    )
    to_file.setFormatter(_FileFormatter(LINE_FORMAT, DATE_FORMAT))
    to_file.addFilter(source)
    to_terminal = logging.StreamHandler(terminal if terminal is not None else sys.stderr)
    to_terminal.setFormatter(_TerminalFormatter(LINE_FORMAT, DATE_FORMAT))
    to_terminal.addFilter(source)
    if not verbose:
        to_terminal.addFilter(TerminalFilter())
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(to_file)
    root.addHandler(to_terminal)
    logging.captureWarnings(True)
    return [to_file, to_terminal]


# -- the children's stderr ---------------------------------------------------------------------

# What localcloud.dynamodb and localcloud.language write: "2026-12-03 17:08:04,945 INFO ...".
_CHILD_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL)"
    r" (?:dynamodb |[\w.]+: )?(.*)$"
)


def forward_child_log(stream: IO[bytes], logger: logging.Logger) -> threading.Thread:
    """Read a child process's stderr in a daemon thread and log each line as ``logger``.

    A line in the children's log format keeps its level (INFO and below: file only, the parent
    reports the start itself); any other line (a traceback) continues the record before it, or
    is a warning of its own. The thread ends when the child closes its stderr.
    """

    def pump() -> None:
        level = logging.WARNING
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                match = _CHILD_LINE.match(line)
                if match:
                    level, line = logging.getLevelNamesMapping()[match[1]], match[2]
                logger.log(level, "%s", line, extra={"file_only": level < logging.WARNING})

    thread = threading.Thread(target=pump, name=f"log-{logger.name}", daemon=True)
    thread.start()
    return thread


# -- the gateway's line per invocation ---------------------------------------------------------

_ACTION = re.compile(r"^[\w$.:-]{1,32}$")
_QUIET_ERRORS = {  # failures that are no news: throttling has its own line once a second
    "TooManyRequestsException": (logging.INFO, "throttled", True),
    "Runtime.Stopped": (logging.INFO, "not run: stopping", False),
}


def selection_value(body: str | bytes, path: tuple[str, ...]) -> str | None:
    """The frame's value at the route selection path (its ``action``), if short and plain."""
    if len(body) > 4096:
        return None
    try:
        value: Any = json.loads(body)
    except ValueError:
        return None
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) and _ACTION.match(value) else None


def invocation_line(
    route: str,
    connection_id: str,
    result: InvocationResult,
    status: int | None,
    action: str | None = None,
) -> tuple[int, str, dict[str, bool]]:
    """The level, text and ``extra`` of the one line an invocation gets.

    Route (and the frame's action), the connection id's first 8 characters, the duration, the
    result (the proxy response's status code, or the error) and whether it was a cold start.
    A throttled invocation (it never ran) is written to the log file only.
    """
    level, file_only = logging.INFO, False
    if result.ok:
        payload = result.payload
        code = payload.get("statusCode") if isinstance(payload, dict) else None
        outcome = str(status if status is not None else code if code is not None else "ok")
    else:
        error = result.error or {}
        kind = str(error.get("errorType"))
        level, outcome, file_only = _QUIET_ERRORS.get(
            kind, (logging.ERROR, f"error {kind}: {error.get('errorMessage')}", False)
        )
    cold = f"  cold start (init {result.init_ms:.0f} ms)" if result.init_ms is not None else ""
    text = (f"{route:<11} {connection_id[:8]:<8}  {action or '':<10} "
            f"{result.duration_ms:6.0f} ms  {outcome}{cold}")
    return level, text, {"file_only": file_only}


def queue_invocation_line(
    function: str,
    first_message_id: str,
    records: int,
    failed: int | None,
    result: InvocationResult,
) -> tuple[int, str, dict[str, bool]]:
    """The level, text and ``extra`` of the line of one invocation by an SQS event source.

    The function, the first message id's first 8 characters, the batch size, the duration, the
    result (how many records failed and stay on the queue, ``failed`` None meaning an invalid
    partial batch response: all of them) and whether it was a cold start.
    """
    level, file_only = logging.INFO, False
    if not result.ok:
        error = result.error or {}
        kind = str(error.get("errorType"))
        level, outcome, file_only = _QUIET_ERRORS.get(
            kind, (logging.ERROR, f"error {kind}: {error.get('errorMessage')}", False)
        )
        outcome += ": the batch stays on the queue"
    elif failed is None:
        level, outcome = logging.WARNING, "invalid batch response: the batch stays on the queue"
    elif failed:
        level, outcome = logging.WARNING, f"{failed} of {records} failed: they stay on the queue"
    else:
        outcome = "ok"
    cold = f"  cold start (init {result.init_ms:.0f} ms)" if result.init_ms is not None else ""
    batch = f"{records} message{'s' if records != 1 else ''}"
    text = (f"{function:<16} {first_message_id[:8]:<8}  {batch:<11} "
            f"{result.duration_ms:6.0f} ms  {outcome}{cold}")
    return level, text, {"file_only": file_only}
