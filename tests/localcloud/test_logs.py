"""localcloud.logs on its own: what the terminal gets, the invocation line, children's lines."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from localcloud import logs
from localcloud.runtime import InvocationResult


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[tuple[io.StringIO, Path]]:
    """``logs.configure`` at INFO with a captured terminal; the root logger restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    terminal, log_file = io.StringIO(), tmp_path / "data" / "localcloud.log"
    added = logs.configure("INFO", log_file, terminal=terminal)
    yield terminal, log_file
    for handler in added:
        root.removeHandler(handler)
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def test_libraries_below_error_and_file_only_records_stay_in_the_file(
    configured: tuple[io.StringIO, Path],
) -> None:
    terminal, log_file = configured
    logging.getLogger("werkzeug").info('127.0.0.1 - - "POST / HTTP/1.1" 200 -')
    logging.getLogger("botocore.x").warning("a library warning")
    logging.getLogger("aiohttp.server").error("a library error")
    logging.getLogger("localcloud.runtime").info("cold start", extra=logs.FILE_ONLY)
    logging.getLogger("localcloud.gateway").warning("stage throttling")
    _flush()
    shown = terminal.getvalue()
    assert "HTTP/1.1" not in shown
    assert "a library warning" not in shown
    assert "cold start" not in shown
    assert re.search(r"^\d\d:\d\d:\d\d ERROR +aiohttp.server +a library error$", shown, re.M)
    assert re.search(r"^\d\d:\d\d:\d\d WARNING gateway +stage throttling$", shown, re.M)
    text = log_file.read_text("utf-8")
    assert text.startswith("---- local cloud started ")
    for line in ("HTTP/1.1", "a library warning", "a library error", "cold start"):
        assert line in text


def test_terminal_escapes_control_characters_and_bidi_overrides() -> None:
    assert logs.terminal_safe("a\x1b[31mb\u202ec\td\ne\x9b") == "a\\x1b[31mb\\u202ec\td\ne\\x9b"


def test_human_record_shows_message_extras_location_and_trace() -> None:
    text = logs.human_record({
        "level": "ERROR", "message": "unhandled error", "location": "on_default:190",
        "name": "positive_chat.router", "function_request_id": "0123456789abcdef",
        "timestamp": "x", "service": "positive-chat", "cold_start": False,
        "action": "message", "counts": [1, 2], "exception": "Traceback...\nKeyError: 'x'\n",
    })
    assert text == ("unhandled error  action=message  counts=[1, 2]"
                    "  (positive_chat.router, on_default:190, request 01234567)"
                    "\nTraceback...\nKeyError: 'x'")


def _result(ok: bool, *, payload: object = None, error: dict[str, object] | None = None,
            init_ms: float | None = None) -> InvocationResult:
    return InvocationResult("rid", ok, payload, error, 12.4, init_ms, 1)


def test_invocation_line_says_route_connection_action_duration_result_and_cold_start() -> None:
    level, text, extra = logs.invocation_line(
        "$default", "J7sX1FGjawXLrB0=", _result(True, payload={"statusCode": 200}, init_ms=530.6),
        None, "message",
    )
    assert (level, extra) == (logging.INFO, {"file_only": False})
    assert re.fullmatch(r"\$default +J7sX1FGj +message +12 ms  200  cold start \(init 531 ms\)",
                        text), text
    error = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 29.00 seconds"}
    level, text, _ = logs.invocation_line("$connect", "abcdefghij", _result(False, error=error),
                                          502)
    assert level == logging.ERROR
    assert text.endswith("error Sandbox.Timedout: Task timed out after 29.00 seconds")
    throttled = {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}
    level, text, extra = logs.invocation_line("$default", "abcdefghij",
                                              _result(False, error=throttled), None)
    assert (level, extra) == (logging.INFO, {"file_only": True})


def test_queue_invocation_line_says_function_message_batch_duration_and_failures() -> None:
    level, text, extra = logs.queue_invocation_line(
        "DeliveryFunction", "059f36b4-87a3", 1, 0, _result(True, init_ms=80.2)
    )
    assert (level, extra) == (logging.INFO, {"file_only": False})
    assert re.fullmatch(r"DeliveryFunction 059f36b4  1 message +12 ms  ok  cold start "
                        r"\(init 80 ms\)", text), text
    level, text, _ = logs.queue_invocation_line("Probe", "m", 3, 1, _result(True))
    assert level == logging.WARNING
    assert re.search(r"  3 messages +12 ms  1 of 3 failed: they stay on the queue$", text), text
    level, text, _ = logs.queue_invocation_line("Probe", "m", 2, None, _result(True))
    assert (level, text.endswith("invalid batch response: the batch stays on the queue")) == (
        logging.WARNING, True)
    error = {"errorType": "Runtime.ExitError", "errorMessage": "Runtime exited"}
    level, text, _ = logs.queue_invocation_line("Probe", "m", 1, None, _result(False, error=error))
    assert level == logging.ERROR
    assert text.endswith("error Runtime.ExitError: Runtime exited: the batch stays on the queue")


def test_selection_value_is_the_plain_action_or_nothing() -> None:
    path = ("action",)
    assert logs.selection_value('{"action": "message", "text": "hi"}', path) == "message"
    assert logs.selection_value(b'{"action": "init"}', path) == "init"
    assert logs.selection_value('{"action": "\\u001b[2J"}', path) is None
    assert logs.selection_value('{"action": 3}', path) is None
    assert logs.selection_value("not json", path) is None
    assert logs.selection_value('{"action": "x", "pad": "' + "a" * 5000 + '"}', path) is None


def test_child_lines_keep_their_level_and_continuations(
    configured: tuple[io.StringIO, Path],
) -> None:
    terminal, log_file = configured
    read_fd, write_fd = os.pipe()
    with os.fdopen(write_fd, "wb") as child:
        child.write(b"2026-12-03 17:08:04,945 INFO dynamodb restored 0 items\n"
                    b"2026-12-03 17:08:05,001 WARNING localcloud.language: apertium restarted\n"
                    b"Traceback (most recent call last):\n  File \"x.py\", line 1\n")
    pump = logs.forward_child_log(os.fdopen(read_fd, "rb"), logging.getLogger("localcloud.x"))
    pump.join(5)
    _flush()
    shown = terminal.getvalue()
    assert "restored 0 items" not in shown  # INFO from a child: the file only
    assert re.search(r"^\d\d:\d\d:\d\d WARNING x +apertium restarted$", shown, re.M), shown
    assert re.search(r"^\d\d:\d\d:\d\d WARNING x +Traceback", shown, re.M), shown
    assert "2026-12-03" not in shown  # one timestamp format
    assert "restored 0 items" in log_file.read_text("utf-8")
