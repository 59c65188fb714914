"""Benchmarks of Positive Chat, each beside a baseline measured in the same run.

    .venv/bin/chat-bench all           # everything below, in order
    .venv/bin/chat-bench handler       # in-process fan-out to 10 / 100 / 1,000
    .venv/bin/chat-bench coldstart     # import time vs a bare `import boto3`
    .venv/bin/chat-bench firstrequest  # import + runtime + the first events
    .venv/bin/chat-bench memory        # peak RSS during the 1,000-reader fan-out
    .venv/bin/chat-bench localcloud    # the local cloud vs a bare websockets relay
    .venv/bin/chat-bench artifact      # Lambda zip size with / without py3langid
    .venv/bin/chat-bench fanout        # large rooms: direct vs sharded (operations.bench.fanout)

- handler: the real handler in process (operations.inprocess): DynamoDB on moto in process,
  Comprehend/Translate/@connections answered by fakes at botocore's ``before-send`` with FIXED
  latencies (PostToConnection 5 ms, Comprehend and Translate 10 ms each) so that the fan-out's
  concurrency shows. Wall time per message is split into "AWS" (time during which at least one
  request was in flight, overlaps merged; DynamoDB's share is moto's own CPU) and "our code"
  (the rest). "Summed" adds every request's time; summed / in-flight = effective concurrency.
- coldstart, firstrequest: operations.bench.coldstart (``--baseline DIR``: another checkout's
  backend folder measured in the same run, interleaved).
- memory: a child process runs the 1,000-reader fan-out and reports its RSS after the setup and
  its peak (ru_maxrss) after the fan-out.
- localcloud: `python -m localcloud` (ephemeral; its environments warmed by an untimed run)
  driven by the tester client's load mode (every delivery verified) for rooms of 10 and 100
  users in 1 and 3 languages, beside the bare `websockets` relay of operations.bench.gateway
  (an echo: one frame in, one out, per connection, closed loop; same machine, same run).
- artifact: the Lambda package as `sam build` makes it (pip, arm64 wheels, python3.12),
  unzipped, with and without the offline detector's py3langid + numpy.

Everything binds 127.0.0.1 on port 0, and every child process is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from operations.bench import coldstart

ROOT = Path(__file__).resolve().parents[3]

__all__ = ["main"]

LATENCY_MS = {
    "PostToConnection": 5.0,
    "DetectDominantLanguage": 10.0,
    "DetectSentiment": 10.0,
    "DetectEntities": 10.0,
    "TranslateText": 10.0,
}


def machine() -> str:
    """nproc, CPU model, Python, load average: the line every result carries."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs ({model}), "
        f"Python {platform.python_version()}, load average {_load()}"
    )


def _load() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            return " ".join(loadavg.read().split()[:3])
    except OSError:
        return "?"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


# -- handler: in-process fan-out ---------------------------------------------------------------


def handler_run(readers: int, messages: int, *, report_rss: bool = False) -> dict[str, Any]:
    """Post ``messages`` distinct messages into a room of ``readers`` (en/fr/de)."""
    from operations.costs.report import TextMaker
    from operations.inprocess import handler_in_process

    texts = TextMaker(seed=readers)
    langs = ["en", "fr", "de"]
    with handler_in_process(texts.language_of, "all", latency_ms=LATENCY_MS) as harness:
        members = [(f"r{i:05d}", langs[i % len(langs)]) for i in range(readers)]
        for connection_id, lang in members:
            harness.seed_connection(connection_id, lang)
        warm = texts.distinct("en")
        harness.invoke(members[0][0], {"action": "message", "content": warm})  # warm-up
        rss_before = _rss_now_kb()
        walls, in_flight, summed, posts, cpu = [], [], [], [], []
        for n in range(messages):
            sender, lang = members[n % len(members)]
            harness.reset()
            harness.invoke(sender, {"action": "message", "content": texts.distinct(lang)})
            walls.append(harness.durations_ms[-1])
            cpu.append(harness.cpu_ms[-1])
            in_flight.append(harness.meter.aws_wall_seconds() * 1000.0)
            summed.append(harness.meter.aws_seconds() * 1000.0)
            posts.append(harness.meter.operations()["apigatewaymanagementapi:PostToConnection"])
    result = {
        "readers": readers,
        "messages": messages,
        "wall_ms": _median(walls),
        "aws_in_flight_ms": _median(in_flight),
        "own_code_ms": _median([w - a for w, a in zip(walls, in_flight, strict=True)]),
        "aws_summed_ms": _median(summed),
        "cpu_ms": _median(cpu),
        "posts": _median([float(p) for p in posts]),
    }
    if report_rss:
        result["rss_after_setup_mb"] = rss_before / 1024.0
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return result


def _rss_now_kb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return float(line.split()[1])
    return 0.0


def bench_handler(args: argparse.Namespace) -> str:
    """The fan-out table."""
    rows = [
        handler_run(n, args.messages if n < 1000 else max(3, args.messages // 2))
        for n in args.sizes
    ]
    lines = [
        f"handler in process, {machine()}; fake latencies (ms): "
        + ", ".join(f"{k} {v:g}" for k, v in LATENCY_MS.items()),
        "",
        "| readers | msgs | wall ms/msg | AWS in flight ms | our code ms | AWS summed ms |"
        " concurrency | CPU ms/msg | posts/msg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        concurrency = r["aws_summed_ms"] / r["aws_in_flight_ms"] if r["aws_in_flight_ms"] else 0
        lines.append(
            f"| {r['readers']:,} | {r['messages']} | {r['wall_ms']:.1f} | "
            f"{r['aws_in_flight_ms']:.1f} | {r['own_code_ms']:.1f} | {r['aws_summed_ms']:.1f} | "
            f"{concurrency:.1f}x | {r['cpu_ms']:.1f} | {r['posts']:.0f} |"
        )
    by = {r["readers"]: r for r in rows}
    if 100 in by and 1000 in by:
        ratio = by[1000]["wall_ms"] / by[100]["wall_ms"]
        lines.append("")
        lines.append(f"1,000 readers take {ratio:.1f}x the time of 100 (10x = no concurrency)")
    return "\n".join(lines)


# -- memory -------------------------------------------------------------------------------------


def bench_memory(args: argparse.Namespace) -> str:
    """Peak RSS of a child process running the 1,000-reader fan-out."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "operations.bench.suite",
            "handler-child",
            "--readers",
            "1000",
            "--messages",
            str(max(3, args.messages // 2)),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return (
        f"memory, {machine()}\n\n"
        "| process | RSS after setup MB | peak RSS MB |\n|---|---:|---:|\n"
        f"| handler + moto, 1,000-reader fan-out | {result['rss_after_setup_mb']:.0f} | "
        f"{result['peak_rss_mb']:.0f} |"
    )


# -- localcloud ---------------------------------------------------------------------------------


def _start_localcloud(tmp: Path) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    ready = tmp / "ready.json"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud",
            "--port",
            "0",
            "--ephemeral",
            "--log-level",
            "WARNING",
            "--ready-file",
            str(ready),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if child.poll() is not None:
            raise RuntimeError(
                f"the local cloud exited: {child.stderr.read() if child.stderr else ''}"
            )
        if time.monotonic() > deadline:
            _stop(child)
            raise RuntimeError("the local cloud did not start within 120 s")
        time.sleep(0.2)
    time.sleep(0.2)
    return child, json.loads(ready.read_text("utf-8"))


def _stop(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _load_run(url: str, users: int, langs: tuple[str, ...], count: int) -> dict[str, Any]:
    from chat_client.load import LoadOptions, run_load

    out = io.StringIO()
    options = LoadOptions(
        url=url,
        users=users,
        rooms=1,
        langs=langs,
        rate=200.0,
        count=count,
        timeout=30.0,
        open_timeout=30.0,
        progress=False,
        heartbeat=None,
        accept_low_rate=True,  # the rate asked is a ceiling; the table reports what was reached
        room_prefix=f"bench{users}-{len(langs)}-{time.time_ns() % 10**6}",
    )
    code = asyncio.run(run_load(options, out, io.StringIO(), as_json=True))
    result: dict[str, Any] = json.loads(out.getvalue().strip().splitlines()[-1])
    result["exit"] = code
    return result


def bench_localcloud(args: argparse.Namespace) -> str:
    """The local cloud's deliveries/s and latency beside the bare relay's echoes/s."""
    from operations.bench import gateway as bench_gateway

    lines = [
        f"local cloud, {machine()}",
        "",
        "| room | langs | sent | delivered | lost/dup | deliveries/s | p50 ms | p99 ms |"
        " relay echoes/s (same conns) | ours / relay |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    relay: dict[int, float] = {}
    for users in (10, 100):
        ns = argparse.Namespace(
            connections=users,
            messages=max(20, 4000 // users),
            warmup=5,
            workers=None,
            loop=bench_gateway._default_loop(),
        )
        relay[users] = bench_gateway._bench("raw", ns).rate
    with tempfile.TemporaryDirectory(prefix="bench-localcloud-") as tmp:
        child, urls = _start_localcloud(Path(tmp))
        try:
            # Untimed: start and warm the Lambda environments (imports, detector model).
            _load_run(urls["websocket"], 10, ("en", "fr", "de"), 30)
            for users, langs in (
                (10, ("en",)),
                (10, ("en", "fr", "de")),
                (100, ("en",)),
                (100, ("en", "fr", "de")),
            ):
                count = args.localcloud_messages if users == 10 else args.localcloud_messages // 4
                r = _load_run(urls["websocket"], users, langs, max(10, count))
                lat = r["latency_ms"]
                lines.append(
                    f"| {users} | {len(langs)} | {r['sent']} | {r['delivered']} | "
                    f"{r['lost']}/{r['duplicates']} | {r['deliveries_per_s']:.0f} | "
                    f"{lat.get('p50_ms', 0):.1f} | {lat.get('p99_ms', 0):.1f} | "
                    f"{relay[users]:,.0f} | "
                    f"{r['deliveries_per_s'] / relay[users]:.3f} |"
                )
        finally:
            _stop(child)
    return "\n".join(lines)


# -- artifact -----------------------------------------------------------------------------------


def _artifact_mb(requirements: list[str], tmp: Path) -> float:
    target = tmp / f"a{len(list(tmp.iterdir()))}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(target),
            "--platform",
            "manylinux2014_aarch64",
            "--implementation",
            "cp",
            "--python-version",
            "3.12",
            "--only-binary=:all:",
            *requirements,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    shutil.copytree(
        ROOT / "backend" / "positive_chat",
        target / "positive_chat",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) / 1e6


def bench_artifact(args: argparse.Namespace) -> str:
    """Unzipped Lambda artifact (arm64, python3.12) with and without the detector."""
    lines_in = (ROOT / "backend" / "requirements.txt").read_text("utf-8").splitlines()
    # The exact pins (scripts/lock), without their hashes: the whole runtime closure.
    reqs = [line.split()[0] for line in lines_in if "==" in line.split("#", 1)[0]]
    # numpy is in the closure only for py3langid.
    without = [r for r in reqs if not r.startswith(("py3langid==", "numpy=="))]
    with tempfile.TemporaryDirectory(prefix="bench-artifact-") as tmp:
        full = _artifact_mb(reqs, Path(tmp))
        bare = _artifact_mb(without, Path(tmp))
    return (
        f"artifact, {machine()}\n\n| artifact (unzipped, arm64) | MB |\n|---|---:|\n"
        f"| without py3langid | {bare:.1f} |\n| with py3langid (+ numpy) | {full:.1f} |\n"
        f"| Lambda limit | 262.1 |"
    )


def bench_fanout(args: argparse.Namespace) -> str:
    """The fan-out benchmark with its defaults (its own flags: chat-bench fanout --help)."""
    from operations.bench import fanout

    return fanout.render(fanout.run(fanout.parse([])))


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmark(s) and print markdown."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fanout"]:  # its own flags
        from operations.bench import fanout

        return fanout.main(argv[1:], prog="chat-bench fanout")
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "command",
        choices=[
            "all",
            "handler",
            "coldstart",
            "memory",
            "localcloud",
            "artifact",
            "fanout",
            "firstrequest",
            "handler-child",
            "firstrequest-child",
        ],
    )
    parser.add_argument("--sizes", default="10,100,1000", help="handler: room sizes")
    parser.add_argument("--messages", type=int, default=10, help="handler: messages per size")
    parser.add_argument(
        "--repeat", type=int, default=7, help="coldstart, firstrequest: fresh processes"
    )
    parser.add_argument(
        "--baseline", help="coldstart, firstrequest: another checkout's backend dir, side by side"
    )
    parser.add_argument(
        "--no-detector", action="store_true", help="coldstart: skip the detector's model load"
    )
    parser.add_argument(
        "--localcloud-messages",
        type=int,
        default=200,
        help="localcloud: messages for rooms of 10 (a quarter for 100)",
    )
    parser.add_argument("--readers", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes comma-separated integers, e.g. 10,100,1000")
    if not args.sizes or min(args.sizes) < 1 or args.messages < 1 or args.repeat < 1:
        parser.error("sizes, --messages and --repeat must be positive")
    if args.command == "handler-child":
        print(json.dumps(handler_run(args.readers, args.messages, report_rss=True)))
        return 0
    if args.command == "firstrequest-child":
        print(json.dumps(coldstart.first_request_child()))
        return 0
    if args.baseline is not None and not (Path(args.baseline) / "positive_chat").is_dir():
        parser.error("--baseline names a backend folder (one holding positive_chat/)")
    commands = {
        "handler": bench_handler,
        "coldstart": lambda a: coldstart.bench_coldstart(a, machine()),
        "firstrequest": lambda a: coldstart.bench_firstrequest(a, machine()),
        "memory": bench_memory,
        "localcloud": bench_localcloud,
        "artifact": bench_artifact,
        "fanout": bench_fanout,
    }
    chosen = list(commands) if args.command == "all" else [args.command]
    for name in chosen:
        started = time.perf_counter()
        print(f"$ .venv/bin/chat-bench {name}", flush=True)
        print(commands[name](args), flush=True)
        print(f"({time.perf_counter() - started:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
