"""Fixtures shared by every suite: the local cloud as a real subprocess on free ports.

``local_cloud`` is what a newcomer runs (``python -m localcloud``), started once per test session
on port 0 with a temporary data folder; tests talk to it over real sockets only. Tests that need
their own instance (a restart, shortened timeouts) use ``start_local_cloud``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
START_TIMEOUT = 90.0


@dataclass
class RunningCloud:
    """One ``python -m localcloud`` process and the URLs it printed."""

    data_dir: Path
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    urls: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None

    @property
    def page_url(self) -> str:
        return self.urls["page"]

    @property
    def ws_url(self) -> str:
        return self.urls["websocket"]

    @property
    def connections_url(self) -> str:
        return self.urls["connections"]

    @property
    def dynamodb_url(self) -> str:
        return self.urls["dynamodb"]

    @property
    def language_url(self) -> str:
        return self.urls["language"]

    def start(self) -> RunningCloud:
        """Start the process and wait until it has written its ready file."""
        ready = self.data_dir / f"ready-{uuid.uuid4().hex}.json"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"localcloud-{self.data_dir.name}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "localcloud",
                "--port", "0",
                "--data-dir", str(self.data_dir),
                "--ready-file", str(ready),
                "--log-level", "INFO",
                *self.args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"local cloud exited with {self.process.returncode}; log: {self.log_path}\n"
                    + self.log_path.read_text(errors="replace")[-4000:]
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(
                    f"local cloud not ready in {START_TIMEOUT}s; log: {self.log_path}"
                )
            time.sleep(0.05)
        self.urls = json.loads(ready.read_text(encoding="utf-8"))
        ready.unlink()
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """Stop the process (SIGTERM = clean shutdown; SIGKILL = crash) and wait for it."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def restart(self, sig: int = signal.SIGTERM) -> RunningCloud:
        """Stop and start again on the same data folder (new ports)."""
        self.stop(sig)
        return self.start()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: the fast suites report first, and Playwright's event loop
    (alive while a browser module runs) never overlaps an asyncio test."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def start_local_cloud(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RunningCloud]]:
    """A factory: start a private local cloud with extra command-line arguments."""
    started: list[RunningCloud] = []

    def start(*args: str, env: dict[str, str] | None = None) -> RunningCloud:
        cloud = RunningCloud(
            data_dir=tmp_path_factory.mktemp("localcloud"), args=args, env=env or {}
        )
        started.append(cloud)
        return cloud.start()

    yield start
    for cloud in started:
        cloud.stop()


@pytest.fixture(scope="session")
def local_cloud(start_local_cloud: Callable[..., RunningCloud]) -> RunningCloud:
    """The shared local cloud of this test session (use a fresh `room` per test)."""
    return start_local_cloud()


@pytest.fixture
def room() -> str:
    """A room name no other test uses."""
    return f"room-{uuid.uuid4().hex[:12]}"
