"""One Lambda execution environment: the process behind each worker of the runtime pool.

Run as ``python -m localcloud.gw_worker IN_FD OUT_FD FUNCTION_ARN`` by ``localcloud.runtime``,
with the function's environment already set and the current directory at its CodeUri. It owns
what the Lambda Python runtime does inside an environment: the init phase (import the handler
once, report how long it took), then one invocation at a time with a real ``LambdaContext``
(its remaining-time clock counts down to the deadline the pool set), the result marshalled as
JSON exactly as Lambda marshals it, and errors reported in Lambda's shape
(``errorMessage``/``errorType``/``stackTrace``) with the traceback written to stderr, as
CloudWatch would show it.

Wire format on both pipes: a 4-byte big-endian length, then a pickle.
  pool -> worker: ``(aws_request_id, deadline_epoch_ms, trace_id, event)``
  worker -> pool: ``("ready", init_ms)`` once, or ``("init_error", error)`` and exit;
                  then ``("ok", result_json)`` or ``("error", error)`` per invocation.
This module imports only the standard library, so it adds nothing to the function's modules.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO

__all__ = ["CognitoIdentity", "LambdaContext", "load_handler", "main"]

_HEADER = 4


class CognitoIdentity:
    """``context.identity`` as the Lambda runtime builds it for non-mobile invokes (all None)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self) -> None:
        self.cognito_identity_id: str | None = None
        self.cognito_identity_pool_id: str | None = None


class LambdaContext:
    """The context object of the Lambda Python runtime (same attribute names and types).

    As in the real runtime, ``memory_limit_in_mb`` and ``function_version`` are strings read from
    the environment, and ``get_remaining_time_in_millis`` counts down to an epoch deadline.
    """

    def __init__(self, aws_request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = aws_request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context: Any = None
        self.identity = CognitoIdentity()
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the pool kills this invocation (never negative)."""
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: str) -> None:
        """Write to the function's log, like ``context.log`` in Lambda."""
        sys.stdout.write(message)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb}])"
        )


def load_handler(handler: str) -> Callable[[Any, Any], Any]:
    """Import ``module.path.function`` as Lambda does (errors carry Lambda's error types)."""
    module_name, _, attr = handler.rpartition(".")
    if not module_name:
        raise _InitError(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise _InitError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {err}"
        ) from err
    function = getattr(module, attr, None)
    if not callable(function):
        raise _InitError(
            "Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'"
        )
    return function  # type: ignore[no-any-return]


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _error(err: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(err),
        "errorType": error_type or type(err).__name__,
        "stackTrace": traceback.format_tb(err.__traceback__),
    }


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    if data is None or len(data) < size:
        return None
    return data


def _send(out_fd: int, message: tuple[Any, ...]) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(payload).to_bytes(_HEADER, "big") + payload)
    while view:
        written = os.write(out_fd, view)
        view = view[written:]


def _log_error(request_id: str, error: dict[str, Any]) -> None:
    # What the Lambda runtime prints for an unhandled exception.
    sys.stderr.write(
        f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
        f"Traceback (most recent call last):\n{''.join(error['stackTrace'])}"
        f"RequestId: {request_id}\n"
    )
    sys.stderr.flush()


def serve(in_stream: BinaryIO, out_fd: int, handler_name: str, function_arn: str) -> int:
    """Init, then answer invocations until the pool closes the pipe; the exit status."""
    started = time.perf_counter()
    try:
        # The Lambda runtime's own step, emulated: AWS puts the function's code root
        # (LAMBDA_TASK_ROOT, here the template's CodeUri) first on sys.path before importing
        # the handler. The only sys.path edit under scripts/, and it is the emulation itself.
        task_root = os.environ.get("LAMBDA_TASK_ROOT")
        if task_root and task_root not in sys.path[:1]:
            sys.path.insert(0, task_root)
        handler = load_handler(handler_name)
    except _InitError as err:
        _send(out_fd, ("init_error", _error(err, err.error_type)))
        return 1
    except Exception as err:  # the module raised while importing: Lambda's init error
        _send(out_fd, ("init_error", _error(err, "Runtime.ImportModuleError")))
        return 1
    _send(out_fd, ("ready", (time.perf_counter() - started) * 1000.0))

    loads, dumps = pickle.loads, json.dumps
    while True:
        header = _read_exact(in_stream, _HEADER)
        if header is None:
            return 0  # the pool closed the pipe (or died): this environment is shut down
        payload = _read_exact(in_stream, int.from_bytes(header, "big"))
        if payload is None:
            return 0
        request_id, deadline_ms, trace_id, event = loads(payload)
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
        context = LambdaContext(request_id, deadline_ms, function_arn)
        try:
            result = handler(event, context)
        except Exception as err:
            error = _error(err)
            _log_error(request_id, error)
            _send(out_fd, ("error", error))
            continue
        try:
            body = dumps(result)
        except (TypeError, ValueError) as err:
            error = _error(err, "Runtime.MarshalError")
            error["errorMessage"] = f"Unable to marshal response: {err}"
            _log_error(request_id, error)
            _send(out_fd, ("error", error))
            continue
        _send(out_fd, ("ok", body))


def main(argv: list[str]) -> int:
    """Entry point: ``IN_FD OUT_FD FUNCTION_ARN`` (handler from ``_HANDLER``)."""
    if len(argv) != 4:
        sys.stderr.write("usage: python -m localcloud.gw_worker IN_FD OUT_FD FUNCTION_ARN\n")
        return 2
    # Ctrl-C in a terminal reaches the whole process group; the gateway decides when
    # environments stop (after the last $disconnect), so the worker ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    in_fd, out_fd = int(argv[1]), int(argv[2])
    with os.fdopen(in_fd, "rb") as in_stream:
        return serve(in_stream, out_fd, os.environ.get("_HANDLER", ""), argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
