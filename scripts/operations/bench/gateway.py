"""Echo benchmark of the local API Gateway, beside the raw ceiling of a bare `websockets` server.

    .venv/bin/chat-bench-gateway --connections 10 --messages 2000

For each server it starts a child process (so the load client and the server do not share an
interpreter), opens N connections and has each send M frames in a closed loop: send, wait for
the echo, send the next. It reports echoes per second and the round-trip latency (p50, p99,
max) per server, side by side:

- ``gateway``: the local API Gateway running a trivial Lambda (tests/localcloud/handlers/echo.py:
  the MESSAGE event in, one boto3 PostToConnection back), in its worker-process pool;
- ``lean``: the same gateway and echo, with the handler's PostToConnection signed by botocore's
  SigV4 signer and sent by ``http.client``, without boto3's client pipeline
  (tests/localcloud/handlers/echo_lean.py): what the local cloud itself carries;
- ``raw``: a bare `websockets` echo server, the ceiling of Python WebSockets on this machine;
- ``offline`` (optional, the peer): serverless-offline 13 in-process with a Node echo making one
  AWS SDK v3 PostToConnectionCommand per frame (operations/bench/offline_peer.py), installed with
  npm into a temporary folder before the rows; skipped with a note where npm is missing.

After the table, the boto3 floor: the CPU of the echo handler's one boto3 PostToConnection,
called in a loop from one process against an HTTP server that does nothing, and the most
echoes/s this machine's cores could give if everything else in an echo cost nothing.

The gateway's environments are started and warmed before timing. Everything binds 127.0.0.1 on
port 0 (serverless-offline on free ports picked for it), and every child is stopped at the end,
serverless-offline's whole Node process group with it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operations.bench import offline_peer

__all__ = ["BenchResult", "main"]

ROOT = Path(__file__).resolve().parents[3]
HANDLERS = ROOT / "tests" / "localcloud" / "handlers"
_START_TIMEOUT = 120.0  # seconds for a server child to announce its URL

ECHO_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: bench, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Echo.Arn
  Connect: {{Type: AWS::ApiGatewayV2::Route, Properties: {{ApiId: !Ref Api, RouteKey: $connect, Target: !Sub "integrations/${{Integration}}"}}}}
  Disconnect: {{Type: AWS::ApiGatewayV2::Route, Properties: {{ApiId: !Ref Api, RouteKey: $disconnect, Target: !Sub "integrations/${{Integration}}"}}}}
  Default: {{Type: AWS::ApiGatewayV2::Route, Properties: {{ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${{Integration}}"}}}}
  Echo:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: {code}, Handler: {handler}.handler, Runtime: python3.12, Timeout: 29, MemorySize: 128}}
"""  # noqa: E501 - a YAML document


@dataclass(frozen=True)
class BenchResult:
    """One server's numbers."""

    server: str
    connections: int
    messages: int
    seconds: float
    latencies_ms: list[float]
    cpu_us: dict[str, float] | None = None  # CPU per echo by process group, in microseconds

    @property
    def rate(self) -> float:
        """Echoes per second over the timed run."""
        return self.connections * self.messages / self.seconds

    def percentile(self, q: float) -> float:
        """The q-th percentile latency (0 < q < 100), in ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]

    def line(self) -> str:
        """A result row for the report."""
        return (
            f"| {self.server:<8} | {self.connections:>5} x {self.messages:<6} | "
            f"{self.rate:>8,.0f} | {statistics.median(self.latencies_ms):6.2f} | "
            f"{self.percentile(99):6.2f} | {max(self.latencies_ms):7.2f} | "
            + (" / ".join(f"{v:.0f}" for v in self.cpu_us.values()) if self.cpu_us else "")
            + " |"
        )


# -- servers (run in a child process) -----------------------------------------------------------


async def _serve_gateway(workers: int | None, handler: str) -> None:
    from localcloud.gateway import Gateway

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        template = Path(tmp) / "template.yaml"
        template.write_text(ECHO_TEMPLATE.format(code=HANDLERS, handler=handler))
        gateway = Gateway(template_path=template, function_env={}, workers=workers)
        await gateway.start()
        try:
            await gateway.warm(gateway.workers)
            await _announce_and_wait(gateway.ws_url, gateway.worker_pids)
        finally:
            await gateway.stop()


async def _serve_raw() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        await _announce_and_wait(f"ws://127.0.0.1:{port}/", list)


async def _serve_null() -> None:
    """An HTTP server that answers every PostToConnection 200 and does nothing else."""
    from aiohttp import web

    async def post(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/local/@connections/{connection_id}", post)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        await _announce_and_wait(f"http://127.0.0.1:{runner.addresses[0][1]}/local", list)
    finally:
        await runner.cleanup()


def _cpu_seconds(pid: int) -> float:
    """User+system CPU time of a live process (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _announce_and_wait(
    url: str, worker_pids: Callable[[], list[int]],
    server_cpu: Callable[[], float] = time.process_time,
) -> None:
    """Print the URL; answer each "cpu" line on stdin with CPU seconds used; stop at EOF.

    The server's CPU is this process's own, unless ``server_cpu`` measures another (the Node
    process group of serverless-offline, which this process only supervises).
    """
    print(url, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        workers = sum(_cpu_seconds(pid) for pid in worker_pids())
        print(json.dumps({"server": server_cpu(), "workers": workers}), flush=True)


# -- load client ---------------------------------------------------------------------------------


async def _run_client(
    url: str, connections: int, messages: int, warmup: int, cpu: Callable[[], dict[str, float]]
) -> BenchResult:
    from websockets.asyncio.client import connect

    sockets = [await connect(url, compression=None) for _ in range(connections)]
    latencies: list[float] = []

    async def drive(index: int, count: int, record: bool) -> None:
        ws = sockets[index]
        clock = time.perf_counter
        payload = json.dumps({"action": "echo", "n": 0, "pad": "x" * 40})
        for _ in range(count):
            sent = clock()
            await ws.send(payload)
            await ws.recv()
            if record:
                latencies.append((clock() - sent) * 1000.0)

    await asyncio.gather(*(drive(i, warmup, False) for i in range(connections)))
    loop = asyncio.get_running_loop()
    before = await loop.run_in_executor(None, cpu)
    client_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(drive(i, messages, True) for i in range(connections)))
    elapsed = time.perf_counter() - started
    client = time.process_time() - client_before
    after = await loop.run_in_executor(None, cpu)
    for ws in sockets:
        await ws.close()
    count = connections * messages
    used = {key: (after[key] - before[key]) / count * 1e6 for key in after}
    used["client"] = client / count * 1e6
    return BenchResult("", connections, messages, elapsed, latencies, used)


@contextlib.contextmanager
def _server(server: str, args: argparse.Namespace) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start one server child; yield it with the URL it announced; stop it at the end."""
    command = [sys.executable, "-m", "operations.bench.gateway", "--serve", server,
               "--loop", args.loop]
    if getattr(args, "workers", None):
        command += ["--workers", str(args.workers)]
    if server == "offline":
        command += ["--offline-dir", args.offline_dir]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], _START_TIMEOUT)
        url = child.stdout.readline().strip() if ready else ""
        if not url:
            raise RuntimeError(f"the {server} server did not start in {_START_TIMEOUT:.0f} s")
        yield child, url
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def _bench(server: str, args: argparse.Namespace) -> BenchResult:
    with _server(server, args) as (child, url):

        def cpu() -> dict[str, float]:
            assert child.stdin is not None
            assert child.stdout is not None
            child.stdin.write("cpu\n")
            child.stdin.flush()
            return dict(json.loads(child.stdout.readline()))

        result = asyncio.run(
            _run_client(url, args.connections, args.messages, args.warmup, cpu)
        )
    return BenchResult(server, result.connections, result.messages, result.seconds,
                       result.latencies_ms, result.cpu_us)


def boto3_floor(calls: int, loop: str) -> float:
    """CPU microseconds of one boto3 PostToConnection (echo.py's call) against a null server."""
    import boto3

    args = argparse.Namespace(loop=loop)
    with _server("null", args) as (_, url):
        client = boto3.client(
            "apigatewaymanagementapi", endpoint_url=url, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106 - placeholders
        )
        data = json.dumps({"action": "echo", "n": 0, "pad": "x" * 40}).encode()
        for _ in range(min(200, calls)):  # warm: connection, endpoint and signing caches
            client.post_to_connection(ConnectionId="bench0000000=", Data=data)
        started = time.process_time()
        for _ in range(calls):
            client.post_to_connection(ConnectionId="bench0000000=", Data=data)
        return (time.process_time() - started) / calls * 1e6


def _default_loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def _parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--messages", type=int, default=2000, help="per connection")
    parser.add_argument("--warmup", type=int, default=100, help="untimed messages per connection")
    parser.add_argument("--workers", type=int, default=None, help="gateway environments")
    parser.add_argument("--servers", default="gateway,lean,raw",
                        help="comma-separated, in order: gateway,lean,raw,offline "
                             "(offline: serverless-offline, installed with npm at bench time)")
    parser.add_argument("--floor-calls", type=int, default=3000,
                        help="boto3 calls timed for the floor (0: skip it)")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default=_default_loop(),
                        help="the servers' event loop (default: uvloop when installed)")
    parser.add_argument("--serve", choices=tuple(_SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--offline-dir", metavar="DIR",
                        help="npm folder for the offline row, kept and reused across runs "
                             "(default: a temporary folder, installed anew)")
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = sorted(set(servers) - _ROWS)
    if unknown or not servers:
        parser.error(f"--servers: unknown {', '.join(unknown) or '(none given)'}; choose from "
                     f"{', '.join(sorted(_ROWS))}")
    for name in ("connections", "messages"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args, servers


def _install_offline(args: argparse.Namespace, folder: Path) -> bool:
    """Install the serverless-offline row into ``folder``: False (with a note) without npm."""
    npm = offline_peer.find_npm()
    if npm is None:
        print("offline: skipped, npm is not on PATH (serverless-offline is installed with npm)")
        return False
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    offline_peer.install(folder, npm)
    found = ", ".join(f"{name} {version}"
                      for name, version in offline_peer.versions(folder).items())
    print(f"offline: {found} (npm install {time.monotonic() - started:.0f} s)")
    args.offline_dir = str(folder)
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with --serve, be one of its servers)."""
    args, servers = _parse(argv)
    if args.serve:
        with asyncio.Runner(loop_factory=_loop_factory(args.loop)) as runner:
            runner.run(_SERVERS[args.serve](args))
        return 0
    print(f"echo benchmark, {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}, server loop: {args.loop}")
    with tempfile.TemporaryDirectory(prefix="bench-offline-") as offline_dir:
        try:
            folder = Path(args.offline_dir or offline_dir).resolve()
            if "offline" in servers and not _install_offline(args, folder):
                servers.remove("offline")
        except offline_peer.InstallError as error:
            print(f"chat-bench-gateway: offline: {error}", file=sys.stderr)
            return 1
        _report(args, servers)
    return 0


def _report(args: argparse.Namespace, servers: list[str]) -> None:
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("| server   | conns x msgs   | echoes/s | p50 ms | p99 ms |  max ms |"
          " CPU us/echo: server / workers / client |")
    print("|----------|----------------|----------|--------|--------|---------|"
          "----------------------------------------|")
    for server in servers:
        print(_bench(server, args).line(), flush=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.floor_calls > 0:
        floor = boto3_floor(args.floor_calls, args.loop)
        cores = os.cpu_count() or 1
        print(f"\nboto3 floor: {floor:,.0f} us of CPU per PostToConnection ({args.floor_calls} "
              f"calls, one process, null server) -> at most {cores * 1e6 / floor:,.0f} echoes/s "
              f"on {cores} cores with a free gateway and a free load client")


_SERVERS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, None]]] = {
    "gateway": lambda args: _serve_gateway(args.workers, "echo"),
    "lean": lambda args: _serve_gateway(args.workers, "echo_lean"),
    "raw": lambda args: _serve_raw(),
    "null": lambda args: _serve_null(),
    "offline": lambda args: offline_peer.serve(Path(args.offline_dir), _announce_and_wait),
}
_ROWS = {"gateway", "lean", "raw", "offline"}  # the servers a run can time ("null" is the floor's)


if __name__ == "__main__":
    sys.exit(main())
