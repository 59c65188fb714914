"""Cold start of the Lambda: import time beside ``import boto3``, and the first requests.

    .venv/bin/chat-bench coldstart [--baseline DIR]      # import times, fresh interpreter each
    .venv/bin/chat-bench firstrequest [--baseline DIR]   # import + runtime + first events

``--baseline DIR`` names another checkout's ``backend`` folder (e.g. ``git archive main backend``
unpacked), measured in the same run, interleaved, so "before" and "after" share the load.

- coldstart: ``import positive_chat.app`` in a fresh interpreter (the function's code on
  PYTHONPATH, as Lambda's task root) with tracing off (POWERTOOLS_TRACE_DISABLED, as the local
  cloud); and in a Lambda-like environment with tracing on (LAMBDA_TASK_ROOT set, so the X-Ray
  SDK and its patches load at init as in AWS; note: this venv also has ``requests``, which the
  SDK then patches, and the Lambda artifact does not); beside ``import boto3`` and the offline
  detector's model load (done in a background thread, never waited for by an event).
- firstrequest: a fresh interpreter times ``import positive_chat.app``, then sets up the
  in-process rig of operations.inprocess (moto DynamoDB, fake Comprehend/Translate/@connections
  with no added latency; untimed), then times the Runtime's construction and the first events
  of one connection: $connect, a v2 init, the first message (with a client id, so through the
  idempotency gate), and a second message as the warm reference. It also reports which of the
  deferred modules the untimed rig had already imported (none, or the figures would flatter).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

# What positive_chat loads on first use only (adapters/tracing.py, idempotency.py, ssm_secret).
DEFERRED = (
    "aws_xray_sdk.core",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
)

__all__ = ["bench_coldstart", "bench_firstrequest", "first_request_child"]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _env(backend: Path, *, tracing: bool) -> dict[str, str]:
    # The function's code on the path as Lambda has it (its task root), not behind the
    # editable install's import hook, whose lookups would be timed too.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(backend), str(ROOT / "scripts")]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    for name in ("LAMBDA_TASK_ROOT", "_X_AMZN_TRACE_ID"):
        env.pop(name, None)
    if tracing:
        del env["POWERTOOLS_TRACE_DISABLED"]
        env["LAMBDA_TASK_ROOT"] = str(backend)
        env["_X_AMZN_TRACE_ID"] = TRACE_ID
    return env


def _run(argv: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(
        argv, capture_output=True, text=True, check=True, env=env, timeout=300, cwd=ROOT
    )
    return out.stdout.strip().splitlines()[-1]


def _time_import(statement: str, backend: Path, *, tracing: bool = False) -> float:
    code = f"import time, sys; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return float(_run([sys.executable, "-c", code], _env(backend, tracing=tracing))) * 1000.0


def _trees(args: argparse.Namespace) -> dict[str, Path]:
    trees = {"": ROOT / "backend"}
    if args.baseline is not None:
        trees[" (baseline)"] = Path(args.baseline).resolve()
    return trees


def bench_coldstart(args: argparse.Namespace, machine: str) -> str:
    """Import times, interleaved so the machine's load hits each alike."""
    cases: dict[str, tuple[str, Path, bool]] = {"import boto3": ("import boto3", ROOT, False)}
    for label, tree in _trees(args).items():
        app = "import positive_chat.app"
        cases[f"{app}, tracing off{label}"] = (app, tree, False)
        cases[f"{app}, Lambda env, tracing on{label}"] = (app, tree, True)
    if not args.no_detector:
        cases["detector model load (background)"] = (
            "from positive_chat.adapters.offline_detector import OfflineDetector; "
            "from positive_chat.domain.languages import LANGUAGES; "
            "assert OfflineDetector(LANGUAGES).load()",
            ROOT / "backend",
            False,
        )
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, (statement, tree, tracing) in cases.items():
            times[name].append(_time_import(statement, tree, tracing=tracing))
    base = _median(times["import boto3"])
    lines = [
        f"cold start, {machine}; fresh interpreter each, median of {args.repeat}",
        "",
        "| what | median ms | min ms | vs import boto3 |",
        "|---|---:|---:|---:|",
    ]
    for name, values in times.items():
        lines.append(
            f"| {name} | {_median(values):.0f} | {min(values):.0f} | "
            f"{_median(values) / base:.2f}x |"
        )
    return "\n".join(lines)


STEPS = ("import", "runtime", "connect", "init", "message", "message2")


def bench_firstrequest(args: argparse.Namespace, machine: str) -> str:
    """The first events of a fresh interpreter, per tree, interleaved."""
    trees = _trees(args)
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    argv = [sys.executable, "-m", "operations.bench.suite", "firstrequest-child"]
    for _ in range(args.repeat):
        for label, tree in trees.items():
            runs[label].append(json.loads(_run(argv, _env(tree, tracing=False))))
    lines = [
        f"first requests, {machine}; fresh interpreter each, median of {args.repeat}; "
        "tracing off; in-process rig, fakes without added latency",
        "",
        "| tree | import ms | runtime ms | $connect ms | init ms | 1st message ms |"
        " cold total ms | 2nd message ms | deferred modules the rig preloaded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, results in runs.items():
        med = {step: _median([r[step] for r in results]) for step in STEPS}
        total = _median([sum(r[s] for s in STEPS[:-1]) for r in results])
        preloaded = sorted({m for r in results for m in r["preloaded"]}) or ["none"]
        name = label.strip(" ()") or "this branch"
        lines.append(
            f"| {name} | {med['import']:.0f} | {med['runtime']:.0f} | "
            f"{med['connect']:.1f} | {med['init']:.1f} | {med['message']:.1f} | {total:.0f} | "
            f"{med['message2']:.1f} | {', '.join(preloaded)} |"
        )
    return "\n".join(lines)


def first_request_child() -> dict[str, Any]:
    """In a fresh interpreter: the timings of bench_firstrequest, as one dict (ms)."""
    from operations.inprocess import Context, handler_in_process, in_process_environment

    in_process_environment()
    started = time.perf_counter()
    from positive_chat import app

    out: dict[str, Any] = {"import": (time.perf_counter() - started) * 1000.0}
    post_init = app.Runtime.__post_init__

    def timed_post_init(runtime: Any) -> None:
        begun = time.perf_counter()
        post_init(runtime)
        out["runtime"] = (time.perf_counter() - begun) * 1000.0

    app.Runtime.__post_init__ = timed_post_init  # type: ignore[method-assign,assignment]
    connect = json.loads((ROOT / "tests" / "events" / "connect.json").read_text("utf-8"))
    connect["requestContext"]["connectionId"] = "first1"  # the rig's user name is u + this id
    with handler_in_process({}, "all", fanout_workers=4) as harness:
        out["preloaded"] = [name for name in DEFERRED if name in sys.modules]
        connection = connect["requestContext"]["connectionId"]
        begun = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the EMF metric lines
            answer = harness.app.lambda_handler(connect, Context())
        out["connect"] = (time.perf_counter() - begun) * 1000.0
        if answer.get("statusCode") != 200:
            raise RuntimeError(f"$connect was refused: {answer}")
        harness.join(connection, "en")
        out["init"] = harness.durations_ms[-1]
        for step, n in (("message", 1), ("message2", 2)):
            harness.invoke(connection, {"action": "message", "v": 2, "id": f"c{n}",
                                        "content": f"hello number {n}"})  # fmt: skip
            out[step] = harness.durations_ms[-1]
        out["loaded_after"] = [name for name in DEFERRED if name in sys.modules]
        frames = harness.fake.frames
        if frames["joined"] != 1 or frames["ack"] != 2 or frames["error"]:
            raise RuntimeError(f"the first events did not go through: {dict(frames)}")
    app.Runtime.__post_init__ = post_init  # type: ignore[method-assign]
    return out
