"""The function's stdout/stderr routed by the local cloud: quiet terminal, complete log file.

Real worker processes run tests/localcloud/handlers/noisy.py (JSON logs, EMF metrics, a library
``warnings`` message, a warning, a logged error, an unhandled error) under
``localcloud.logs.configure``, with the terminal captured in a StringIO.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from localcloud import logs
from localcloud.runtime import FunctionRuntime, lambda_environment
from localcloud.template import FunctionSpec

HANDLERS = Path(__file__).parent / "handlers"
KINDS = ["info", "warning", "own_warning", "logged_error", "crash"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was (configure() adds handlers and sets its level)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


async def _run(tmp_path: Path, *, verbose: bool, level: str = "INFO") -> tuple[str, str]:
    """Invoke every kind once; the terminal's text and the log file's text."""
    terminal = io.StringIO()
    log_file = tmp_path / "localcloud.log"
    logs.configure(level, log_file, verbose=verbose, terminal=terminal)
    spec = FunctionSpec(logical_id="Noisy", handler="noisy.handler", code_uri=HANDLERS,
                        runtime="python3.12", timeout=10, memory_mb=128, environment={})
    runtime = FunctionRuntime(spec, lambda_environment(spec, {}, region="us-east-1"),
                              max_workers=1)
    try:
        results = [await runtime.invoke({"kind": kind}) for kind in KINDS]
    finally:
        await runtime.stop()  # waits until the worker's output is read to its end
    assert [r.ok for r in results] == [True, True, True, True, False]
    for handler in logging.getLogger().handlers:
        handler.flush()
    return terminal.getvalue(), log_file.read_text("utf-8")


async def test_terminal_shows_warnings_and_errors_readably_and_nothing_else(
    tmp_path: Path, restore_logging: None
) -> None:
    terminal, log_file = await _run(tmp_path, verbose=False)
    # No JSON, no metrics, no library warning, no print on the terminal.
    assert '"level"' not in terminal
    assert '"_aws"' not in terminal
    assert not re.search(r"^\S+ \S+ +\S+ +\{", terminal, re.M), terminal
    assert "No application metrics" not in terminal
    assert "a plain print" not in terminal
    # The function's JSON warning, readable, its control characters escaped.
    warning = re.search(r"^\d\d:\d\d:\d\d WARNING Noisy#1 +DetectSentiment failed (.*)$",
                        terminal, re.M)
    assert warning, terminal
    assert "error_code=InternalServerException" in warning[1]
    assert "(handler:20, request " in warning[1]
    assert "\\x1b[2J" in warning[1]
    assert "\x1b" not in terminal
    # Its own warnings.warn (from the function's code, not a library) is shown.
    assert "UserWarning: the handler's own warning" in terminal
    # A logged error: the message, then its traceback, indented.
    assert re.search(r"^\d\d:\d\d:\d\d ERROR +Noisy#1 +unhandled error +action=message", terminal,
                     re.M), terminal
    assert re.search(r"^    ZeroDivisionError: division by zero$", terminal, re.M), terminal
    # An unhandled error: the runtime's report in full, as one record.
    crash = re.search(r"^\d\d:\d\d:\d\d ERROR +Noisy#1 +\[ERROR\] RuntimeError: the function "
                      r"failed\n    Traceback.*?\n    RequestId: \S+$", terminal, re.M | re.S)
    assert crash, terminal
    assert 'raise RuntimeError("the function failed")' in crash[0]
    # The file has everything, raw.
    for text in ('"level":"INFO"', '"_aws"', "UserWarning: No application metrics to publish",
                 "a plain print", "DetectSentiment failed", "RuntimeError: the function failed",
                 "cold start: environment #1"):
        assert text in log_file, text
    assert "cold start" not in terminal  # no line of its own: the gateway's line says so


async def test_verbose_shows_the_json_logs_and_metrics_too(
    tmp_path: Path, restore_logging: None
) -> None:
    terminal, log_file = await _run(tmp_path, verbose=True)
    for text in ('"level":"INFO"', '"_aws"', "No application metrics", "a plain print"):
        assert text in terminal, text
        assert text in log_file, text


async def test_log_level_warning_keeps_only_problems(
    tmp_path: Path, restore_logging: None
) -> None:
    terminal, log_file = await _run(tmp_path, verbose=True, level="WARNING")
    assert '"level":"INFO"' not in log_file
    assert '"_aws"' not in log_file
    assert '"level":"INFO"' not in terminal
    assert "DetectSentiment failed" in terminal
    assert "DetectSentiment failed" in log_file
    assert "RuntimeError: the function failed" in log_file
