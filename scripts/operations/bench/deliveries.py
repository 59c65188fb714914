"""Chat deliveries/s through the local cloud: the lean PostToConnection beside boto3's, one run.

    .venv/bin/chat-bench-deliveries                        # rooms of 10 and 100, 3 rounds
    .venv/bin/chat-bench-deliveries --rounds 5 --messages 400

It starts two local clouds (``python -m localcloud --port 0 --ephemeral``, the template's
workers and stage throttling): one as shipped (the fan-out posts through
``adapters.lean_post``) and one with ``--env LEAN_POST_TO_CONNECTION=off`` (boto3's client for
every post). Both are warmed by an untimed run, then measured in alternating rounds: for each
round and room size, one load run on each cloud (the first path alternates between rounds), while
the other cloud sits idle. A load run is the tester client's ``load`` mode (every delivery
verified: nothing lost, duplicated or reordered): ``--messages`` messages (a quarter for rooms of
100 and more) offered at 200 msg/s to one room of N readers in one language.

Per path and room size it prints deliveries/s (all rounds' deliveries over their summed delivery
time, first send to last delivery), the delivery latency p50 / p99 (the median of the rounds'),
the ratio lean / boto3, the ratio of their CPU per delivery (boto3 / lean: what the throughput
ratio would be if the machine's CPU were the only limit, a figure that the load of other jobs
disturbs far less than throughput), and the CPU per delivery of each process group of the cloud
measured over the sending and delivery phase only (joins excluded): the gateway process (WebSockets,
@connections, its worker IPC), the Lambda workers (``localcloud.gw_worker``), DynamoDB and the
language services (Linux ``/proc``), and the load client (this process, ``time.process_time``);
"all" adds every group and the client.

Everything binds 127.0.0.1 on port 0, and every child is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[3]
PATHS = ("lean", "boto3")
GROUPS = ("gateway", "workers", "dynamodb", "language", "other")
SHOWN = ("gateway", "workers", "dynamodb")  # the others are ~0 in one-language rooms
_START_TIMEOUT = 120.0
_OFFERED_RATE = 200.0  # msg/s: above what the local cloud sustains, so the rate is its ceiling


# -- the clouds and their CPU --------------------------------------------------------------------


@dataclass
class Cloud:
    """One running local cloud: its process, WebSocket URL and the path its Lambda posts by."""

    path: str
    process: subprocess.Popen[bytes]
    url: str

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each process group of this cloud (live processes)."""
        used = dict.fromkeys(GROUPS, 0.0)
        for pid in _descendants(self.process.pid):
            with contextlib.suppress(OSError):
                used[_group(pid, self.process.pid)] += _cpu_seconds(pid)
        return used

    def check_path(self) -> str:
        """What the Lambda workers' environment says of LEAN_POST_TO_CONNECTION, checked against
        the path this cloud is meant to measure (RuntimeError when they disagree)."""
        root = self.process.pid
        workers = [pid for pid in _descendants(root) if _group(pid, root) == "workers"]
        if not workers:
            raise RuntimeError(f"the {self.path} cloud has no Lambda workers running")
        values = set()
        for pid in workers:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                found = [v for v in environ.read().split(b"\0")
                         if v.startswith(b"LEAN_POST_TO_CONNECTION=")]  # fmt: skip
            values.add(found[0].decode() if found else "LEAN_POST_TO_CONNECTION unset")
        expected = {"lean": "LEAN_POST_TO_CONNECTION unset",
                    "boto3": "LEAN_POST_TO_CONNECTION=off"}[self.path]  # fmt: skip
        if values != {expected}:
            raise RuntimeError(f"the {self.path} cloud's workers have {sorted(values)}")
        return f"{self.path}: {len(workers)} workers, {expected}"


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _group(pid: int, root: int) -> str:
    if pid == root:
        return "gateway"
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        argv = cmdline.read().split(b"\0")
    for module, group in ((b"localcloud.gw_worker", "workers"),
                          (b"localcloud.dynamodb", "dynamodb"),
                          (b"localcloud.language", "language")):  # fmt: skip
        if module in argv:
            return group
    return "other"  # e.g. the Apertium pipeline (not used by one-language rooms)


def _cpu_seconds(pid: int) -> float:
    """User+system CPU time of a live process (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def local_cloud(path: str, tmp: Path, extra: list[str]) -> Iterator[Cloud]:
    """Start a local cloud whose Lambda posts by ``path``; yield it; stop it."""
    ready = tmp / f"ready-{path}.json"
    command = [sys.executable, "-m", "localcloud", "--port", "0", "--ephemeral",
               "--log-level", "WARNING", "--ready-file", str(ready), *extra]  # fmt: skip
    if path == "boto3":
        command += ["--env", "LEAN_POST_TO_CONNECTION=off"]
    log = (tmp / f"cloud-{path}.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (tmp / f"cloud-{path}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the {path} local cloud did not start:\n{tail}")
            time.sleep(0.2)
        time.sleep(0.2)  # the ready file is written whole, but let it land
        yield Cloud(path, process, str(json.loads(ready.read_text("utf-8"))["websocket"]))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


# -- one measured load run -----------------------------------------------------------------------


@dataclass
class Sample:
    """One load run on one cloud."""

    delivered: int
    expected: int
    lost: int
    duplicates: int
    seconds: float  # first send to last delivery
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float]  # seconds per group (and the load client) over send and delivery
    problems: list[str] = field(default_factory=list)


async def _settle(cloud: Cloud, limit: float = 15.0) -> None:
    """Wait until the cloud is idle (its joins' presence broadcasts done): < 5 % CPU for 0.3 s."""
    loop = asyncio.get_running_loop()
    end = time.monotonic() + limit
    before = sum((await loop.run_in_executor(None, cloud.cpu)).values())
    while time.monotonic() < end:
        await asyncio.sleep(0.3)
        now = sum((await loop.run_in_executor(None, cloud.cpu)).values())
        if now - before < 0.015:
            return
        before = now


async def measure(cloud: Cloud, readers: int, messages: int, timeout: float) -> Sample:
    """Join ``readers`` users to a new room; time ``messages`` messages through the cloud."""
    from chat_client.load import LoadOptions, LoadResult, LoadRun, Progress

    options = LoadOptions(
        url=cloud.url, users=readers, rooms=1, langs=("en",), rate=_OFFERED_RATE,
        count=messages, timeout=timeout, open_timeout=30.0, progress=False, heartbeat=None,
        accept_low_rate=True, room_prefix=f"bench-{cloud.path}-{readers}",
    )  # fmt: skip
    run = LoadRun(options, Progress(io.StringIO(), enabled=False), time.perf_counter)
    loop = asyncio.get_running_loop()
    try:
        await run.setup()
        await _settle(cloud)
        cpu_before = await loop.run_in_executor(None, cloud.cpu)
        client_before, first_send = time.process_time(), time.perf_counter()
        send_seconds = await run.send_all()
        await run.drain()
        client = time.process_time() - client_before
        cpu_after = await loop.run_in_executor(None, cloud.cpu)
    finally:
        with contextlib.suppress(Exception):
            await run.close()
    seconds = max(0.0, run.last_delivery_at - first_send)
    result = LoadResult(options, run.ledger.report(), send_seconds, seconds)
    report = result.report
    return Sample(
        delivered=report.delivered, expected=report.expected_deliveries, lost=report.lost,
        duplicates=report.duplicates, seconds=seconds,
        p50_ms=report.delivery_latency.p50_ms, p99_ms=report.delivery_latency.p99_ms,
        cpu={**{g: cpu_after[g] - cpu_before[g] for g in GROUPS}, "client": client},
        problems=result.problems(),
    )  # fmt: skip


# -- the report ----------------------------------------------------------------------------------


@dataclass
class Row:
    """Every round of one path and room size."""

    path: str
    readers: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(s.delivered for s in self.samples)

    @property
    def rate(self) -> float:
        seconds = sum(s.seconds for s in self.samples)
        return self.delivered / seconds if seconds else 0.0

    def cpu_us(self, group: str) -> float:
        """CPU microseconds per delivery of one process group."""
        return sum(s.cpu[group] for s in self.samples) / max(1, self.delivered) * 1e6

    def cpu_total(self) -> float:
        """CPU microseconds per delivery, every group and the load client."""
        return sum(self.cpu_us(g) for g in (*GROUPS, "client"))

    def line(self, ratios: str) -> str:
        s = self.samples
        expected = sum(x.expected for x in s)
        lost, dup = sum(x.lost for x in s), sum(x.duplicates for x in s)
        cpu = " / ".join(f"{self.cpu_us(g):,.0f}" for g in (*SHOWN, "client"))
        return (
            f"| {self.readers} | {self.path} | {len(s)} | {self.delivered}/{expected} | "
            f"{lost}/{dup} | {self.rate:,.0f} | "
            f"{statistics.median(x.p50_ms for x in s):,.0f} | "
            f"{statistics.median(x.p99_ms for x in s):,.0f} | {ratios} | {cpu} | "
            f"{self.cpu_total():,.0f} |"
        )


def report(rows: dict[tuple[str, int], Row], sizes: list[int]) -> list[str]:
    """The markdown table, then any run's problems."""
    lines = [
        "| room | path | rounds | delivered/expected | lost/dup | deliveries/s | p50 ms | p99 ms"
        " | lean / boto3 | CPU: boto3 / lean | CPU us/delivery: gateway / workers / dynamodb /"
        " client | all |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for readers in sizes:
        lean, boto = rows[("lean", readers)], rows[("boto3", readers)]
        rate = f"**{lean.rate / boto.rate:.2f}x**" if boto.rate else "-"
        cpu = f"{boto.cpu_total() / lean.cpu_total():.2f}x" if lean.cpu_total() else "-"
        lines.append(lean.line(f"{rate} | {cpu}"))
        lines.append(boto.line(" | "))
    for row in rows.values():
        for n, sample in enumerate(row.samples, 1):
            lines.extend(f"- {row.path}, room of {row.readers}, round {n}: {problem}"
                         for problem in sample.problems)  # fmt: skip
    return lines


async def _run(clouds: dict[str, Cloud], args: argparse.Namespace) -> dict[tuple[str, int], Row]:
    rows = {(path, n): Row(path, n) for path in PATHS for n in args.sizes}
    for cloud in clouds.values():  # untimed: start and warm every environment
        await measure(cloud, 10, args.warmup, args.timeout)
    print("paths checked: " + "; ".join(c.check_path() for c in clouds.values()), flush=True)
    for round_number in range(args.rounds):
        order = PATHS if round_number % 2 == 0 else PATHS[::-1]
        for readers in args.sizes:
            count = args.messages if readers < 100 else max(1, args.messages // 4)
            for path in order:
                sample = await measure(clouds[path], readers, count, args.timeout)
                rows[(path, readers)].samples.append(sample)
                print(f"round {round_number + 1}, room of {readers}, {path}: "
                      f"{sample.delivered} deliveries in {sample.seconds:.2f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print markdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100", help="room sizes (readers), comma-separated")
    parser.add_argument("--messages", type=int, default=200,
                        help="messages per run in rooms under 100 (a quarter from 100 up)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per path and room size")
    parser.add_argument("--warmup", type=int, default=30, help="untimed messages per cloud")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for joins, and for deliveries after the last send")
    parser.add_argument("--workers", type=int, default=None,
                        help="the clouds' Lambda environments (default: theirs)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes comma-separated integers, e.g. 10,100")
    if not args.sizes or min(args.sizes) < 2:
        parser.error("--sizes needs room sizes of at least 2")
    if min(args.messages, args.rounds, args.warmup) < 1 or args.timeout <= 0:
        parser.error("--messages, --rounds, --warmup and --timeout must be positive")
    extra = ["--workers", str(args.workers)] if args.workers else []
    load = os.getloadavg()
    started = time.perf_counter()
    print(f"deliveries/s, lean vs boto3 PostToConnection, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start", flush=True)  # fmt: skip
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-deliveries-")))
        clouds = {path: stack.enter_context(local_cloud(path, tmp, extra)) for path in PATHS}
        rows = asyncio.run(_run(clouds, args))
    print("\n".join(["", *report(rows, args.sizes), ""]))
    load = os.getloadavg()
    print(f"{time.perf_counter() - started:.0f} s in all; load average {load[0]:.2f} at the end")
    failed = any(s.problems for row in rows.values() for s in row.samples)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
