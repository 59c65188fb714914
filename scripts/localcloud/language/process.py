"""Run the language services in a process of their own, for the local cloud and tests.

This module owns the child process's life: start it, learn its URL, switch its faults, stop it.
The child is a fresh interpreter running ``python -m localcloud.language`` (not a fork, and not
multiprocessing's spawn, which re-imports the caller's ``__main__``), so lingua's CPU work and
memory never touch the gateway's process. It reports its URL on a pipe once it listens, stops on
SIGTERM, and stops by itself if its parent dies.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.language.analysis import Accuracy
from localcloud.language.server import FAULTS_PATH

__all__ = ["LanguageServices", "LanguageServicesError"]

LOG = logging.getLogger("localcloud.language")

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 10.0


class LanguageServicesError(RuntimeError):
    """The language services process could not start, or refused a control request."""


class LanguageServices:
    """Offline Comprehend + Translate endpoints in a child process.

    >>> services = LanguageServices()
    >>> url = services.start()   # "http://127.0.0.1:PORT"; set AWS_ENDPOINT_URL_COMPREHEND/...
    >>> services.stop()
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        # Analysis
        accuracy: Accuracy = "low",
        warm: bool = False,
        # Logging (the child's root level)
        log_level: str = "WARNING",
        # Where its log lines go: None = this process's stderr, as they are
        log_to: logging.Logger | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.accuracy: Accuracy = accuracy
        self.warm = warm
        self.log_level = log_level
        self.log_to = log_to
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the child process and return its base URL once it is listening."""
        if self._process is not None:
            return self.url
        read_fd, write_fd = os.pipe()
        command = [
            sys.executable,
            "-m",
            "localcloud.language",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--accuracy",
            self.accuracy,
            "--log-level",
            self.log_level,
            "--ready-fd",
            str(write_fd),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.warm:
            command.append("--warm")
        env = dict(os.environ)
        # The child must import this very package, wherever it was imported from.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            process = subprocess.Popen(
                command, pass_fds=(write_fd,), env=env, stdin=subprocess.DEVNULL,
                stderr=subprocess.PIPE if self.log_to is not None else None,
            )
        finally:
            os.close(write_fd)
        if self.log_to is not None:
            assert process.stderr is not None
            from localcloud.logs import forward_child_log

            forward_child_log(process.stderr, self.log_to)
        with os.fdopen(read_fd, "rb") as ready:
            line = _read_line(ready, _START_TIMEOUT)
        if not line.startswith(b"http://"):
            _end(process)
            reason = line.decode(errors="replace").strip() or (
                f"the process exited with code {process.poll()}"
                if process.poll() is not None
                else f"no answer within {_START_TIMEOUT:g} s"
            )
            raise LanguageServicesError(f"the language services failed to start: {reason}")
        self._process = process
        self.url = line.decode().strip()
        return self.url

    def stop(self) -> None:
        """Stop the child process (SIGTERM, then SIGKILL after a grace period); idempotent."""
        process, self._process = self._process, None
        if process is not None:
            _end(process)

    # ------------------------------------------------------------------ faults

    def set_fault(
        self,
        service: str,
        mode: str,
        *,
        rate: float = 1.0,
        delay_seconds: float = 0.0,
        operations: list[str] | None = None,
    ) -> dict[str, Any]:
        """Install a fault rule (see :mod:`localcloud.language.faults`); return all rules."""
        document: dict[str, Any] = {
            "service": service,
            "mode": mode,
            "rate": rate,
            "delaySeconds": delay_seconds,
        }
        if operations is not None:
            document["operations"] = operations
        return self._control("POST", document)

    def clear_faults(self, service: str | None = None) -> dict[str, Any]:
        """Remove one service's fault rule, or all of them; return all rules."""
        return self._control("DELETE", None, f"?service={service}" if service else "")

    def faults(self) -> dict[str, Any]:
        """Every service's fault rule and injected count."""
        return self._control("GET", None)

    def _control(self, method: str, document: Any, query: str = "") -> dict[str, Any]:
        if not self.url:
            raise LanguageServicesError("the language services are not running")
        data = json.dumps(document).encode() if document is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own http:// URL
            f"{self.url}{FAULTS_PATH}{query}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer: dict[str, Any] = json.load(response)
        except urllib.error.HTTPError as err:
            detail = json.loads(err.read() or b"{}").get("error", err.reason)
            raise LanguageServicesError(f"fault switch refused: {detail}") from err
        return answer

    def __enter__(self) -> LanguageServices:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _read_line(stream: BinaryIO, timeout: float) -> bytes:
    """One line from the child's readiness pipe; b"" if it closes or stays silent too long."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            return b""
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            break
        data += chunk
    return data


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            LOG.warning("language services did not stop in %g s; killing", _STOP_TIMEOUT)
            process.kill()
            process.wait()
