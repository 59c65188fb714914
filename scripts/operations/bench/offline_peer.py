"""The peer row of chat-bench-gateway: serverless-offline running the same echo in Node.

serverless 3 with the serverless-offline 13 plugin, in-process mode (``--useInProcess``: the
handler runs in the plugin's own Node process), and an echo handler that does what
tests/localcloud/handlers/echo.py does in the local cloud: the MESSAGE event in, one AWS SDK v3
``PostToConnectionCommand`` back to the sender, through serverless-offline's own @connections
endpoint (``POST /@connections/{id}`` on its WebSocket port).

The packages are installed with npm into a temporary folder at bench time (``install``); the
benchmark skips the row with a note where npm is missing. ``serve`` runs in the benchmark's
server child: it starts Node in a process group of its own on free 127.0.0.1 ports, announces
the WebSocket URL, reports the group's CPU, and stops the whole group at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "HANDLER_JS",
    "PACKAGES",
    "InstallError",
    "find_npm",
    "group_alive",
    "group_cpu_seconds",
    "install",
    "node_command",
    "serve",
    "serverless_yml",
    "stop_group",
    "versions",
]

# npm package specs: the versions the issue names, and the SDK v3 client the handler uses.
PACKAGES = {
    "serverless": "^3",
    "serverless-offline": "^13",
    "@aws-sdk/client-apigatewaymanagementapi": "^3",
}
_INSTALL_TIMEOUT = 600.0  # seconds for npm install
_START_TIMEOUT = 90.0  # seconds for serverless-offline to listen
_STOP_TIMEOUT = 10.0  # seconds for the Node group to exit on SIGTERM before SIGKILL
_PORT_ATTEMPTS = 3  # a freshly picked port can be taken before Node binds it: pick again
_ENV = {
    # the Framework's telemetry and update notices: nothing of that belongs in a benchmark
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
    "NO_UPDATE_NOTIFIER": "1",
}

# One SDK client per environment, as echo.py's module-level boto3 client. It posts to
# serverless-offline's own @connections endpoint with placeholder keys (serverless-offline does
# not check signatures) and explicit timeouts: 1 s to connect and 3 s per request over 3
# attempts stay well inside the function's 29 s timeout, so a post can never outlive its
# invocation. The SDK's default Node handler keeps connections alive.
HANDLER_JS = """\
"use strict";
const {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} = require("@aws-sdk/client-apigatewaymanagementapi");

const client = new ApiGatewayManagementApiClient({
  endpoint: process.env.ECHO_CONNECTIONS_ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
});

exports.handler = async (event) => {
  const { eventType, connectionId } = event.requestContext;
  if (eventType === "MESSAGE") {
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: event.body }),
    );
  }
  return { statusCode: 200 };
};
"""

_SERVERLESS_YML = """\
service: bench-echo
frameworkVersion: "3"
provider:
  name: aws
  runtime: nodejs20.x
  region: us-east-1
  stage: local
  environment:
    ECHO_CONNECTIONS_ENDPOINT: http://127.0.0.1:{websocket_port}
plugins:
  - serverless-offline
functions:
  echo:
    handler: handler.handler
    timeout: 29
    memorySize: 128
    events:
      - websocket: {{route: $connect}}
      - websocket: {{route: $disconnect}}
      - websocket: {{route: $default}}
"""


class InstallError(RuntimeError):
    """npm could not install the peer's packages."""


def serverless_yml(websocket_port: int) -> str:
    """The service: the echo on $connect/$disconnect/$default, posting to this WebSocket port."""
    return _SERVERLESS_YML.format(websocket_port=websocket_port)


def find_npm() -> str | None:
    """npm's path on PATH, or None where it is missing."""
    return shutil.which("npm")


def install(folder: Path, npm: str) -> None:
    """Install serverless, serverless-offline and the SDK client into ``folder`` with npm."""
    package = {"name": "bench-offline-peer", "private": True, "dependencies": PACKAGES}
    (folder / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    (folder / "handler.js").write_text(HANDLER_JS)
    command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                              timeout=_INSTALL_TIMEOUT, check=False, env=_environment())
    except subprocess.TimeoutExpired as error:
        raise InstallError(f"npm install took more than {_INSTALL_TIMEOUT:.0f} s") from error
    if done.returncode != 0:
        raise InstallError(f"npm install exited {done.returncode}: {done.stderr.strip()[-1500:]}")


def versions(folder: Path) -> dict[str, str]:
    """The installed version of each package, and Node's."""
    found = {name: json.loads((folder / "node_modules" / name / "package.json").read_text())[
        "version"] for name in PACKAGES}
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30,
                          check=False)
    found["node"] = node.stdout.strip().lstrip("v") or "?"
    return found


def node_command(folder: Path, ports: dict[str, int]) -> list[str]:
    """serverless-offline, in-process, on 127.0.0.1 and the given ports (by option name)."""
    command = [str(folder / "node_modules" / ".bin" / "serverless"), "offline", "start",
               "--useInProcess", "--host", "127.0.0.1", "--noSponsor"]
    for option in ("httpPort", "websocketPort", "lambdaPort"):
        command += [f"--{option}", str(ports[option])]
    return command


def _group_stats(pgid: int) -> Iterator[list[str]]:
    """The /proc stat fields (after the command name) of each live process in a process group."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # the process has just exited
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            yield fields


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU of every live process in a process group, with their reaped children's."""
    ticks = sum(sum(int(field) for field in fields[11:15]) for fields in _group_stats(pgid))
    return ticks / os.sysconf("SC_CLK_TCK")


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies are not)."""
    return any(True for _ in _group_stats(pgid))


Announce = Callable[..., Coroutine[Any, Any, None]]


async def serve(folder: Path, announce: Announce) -> None:
    """Run serverless-offline from an installed ``folder`` until ``announce`` returns."""
    with _running(folder) as (node, port):
        await announce(f"ws://127.0.0.1:{port}", list,
                       server_cpu=lambda: group_cpu_seconds(node.pid))


@contextlib.contextmanager
def _running(folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Node listening on free ports (picked again if one was taken meanwhile); stopped at exit."""
    log = folder / "serverless-offline.log"
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        ports = dict(zip(("httpPort", "websocketPort", "lambdaPort"), _free_ports(3), strict=True))
        (folder / "serverless.yml").write_text(serverless_yml(ports["websocketPort"]))
        with log.open("wb") as output:
            node = subprocess.Popen(node_command(folder, ports), cwd=folder, env=_environment(),
                                    stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            if _wait_listening(node, ports["websocketPort"]):
                yield node, ports["websocketPort"]
                return
        finally:
            stop_group(node)
        if attempt == _PORT_ATTEMPTS or "EADDRINUSE" not in log.read_text(errors="replace"):
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"serverless-offline did not start (exit {node.returncode}):\n"
                               f"{tail}")
    raise AssertionError("unreachable")


def _wait_listening(node: subprocess.Popen[bytes], port: int) -> bool:
    """True once the port accepts connections with Node alive; False if Node exits first."""
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if node.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return node.poll() is None
        time.sleep(0.1)
    return False


def stop_group(node: subprocess.Popen[Any]) -> None:
    """SIGTERM the process group led by ``node``, SIGKILL it if it lingers, and reap the leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        node.wait(_STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):  # children that outlived the leader, if any
        os.killpg(node.pid, signal.SIGKILL)
    node.wait()
    deadline = time.monotonic() + _STOP_TIMEOUT
    while group_alive(node.pid) and time.monotonic() < deadline:  # SIGKILL lands asynchronously
        time.sleep(0.01)


def _free_ports(count: int) -> list[int]:
    """Distinct ports free on 127.0.0.1 now (serverless-offline cannot be given port 0)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _environment() -> dict[str, str]:
    return {**os.environ, **_ENV}
