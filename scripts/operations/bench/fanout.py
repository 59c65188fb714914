"""Fan-out benchmark: time to the last reader of a large room, direct vs sharded, in process.

    .venv/bin/chat-bench fanout                    # same as .venv/bin/chat-bench-fanout
    .venv/bin/chat-bench-fanout --sizes 100,1000 --crossover "" --shard-sizes "" \\
        --delivery-memories "" --handoff-rounds 0 --json

Rooms of ``--sizes`` readers are delivered both ways by the product's code (how, and what is
emulated: operations.bench.fanout_runs and fanout_rig): directly by the chat function at
``--chat-memory``, and in shards (``--threshold``, ``--shard-size``) by delivery functions at
``--delivery-memory``; a room at or below the threshold is sharded anyway (marked "forced") to
show what sharding would cost it. Then, to tune the template's values: direct vs sharded for the
``--crossover`` sizes, the largest room for each of ``--shard-sizes`` and each of
``--delivery-memories``, and the composed timeline of the largest room at a few concurrency caps
(the ESM's documented start of 5 concurrent batches, the template's cap). Last, the client CPU
per shard handed off: SendMessageBatch (SqsShardQueue, up to 10 shards per call) vs
Invoke(InvocationType="Event") (one per shard), side by side, rounds alternating.

Assumptions are flags: ``--queue-ms`` (queue -> delivery function), ``--cold-ms`` (per delivery
invocation; 0 = warm), ``--concurrency`` (delivery environments at once).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from typing import Any

from operations.bench.fanout_rig import CPU_MB, rig
from operations.bench.fanout_runs import (
    Assumptions,
    Run,
    handoff_cpu,
    read_room,
    run_direct,
    run_sharded,
)
from operations.bench.suite import machine

__all__ = ["main", "parse", "render", "run"]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _row(run: Run, a: Assumptions, note: str = "") -> dict[str, Any]:
    return {
        "path": run.path + note,
        "readers": run.readers,
        "shards": len(run.shards),
        "chat_s": run.chat_s,
        "last_s": run.pct(100),
        "p50_s": run.pct(50),
        "p99_s": run.pct(99),
        "gb_s": run.gb_seconds(a),
        "usd_per_1000": run.cost(a) * 1000,
        "cpu_us_per_reader": run.cpu_us_per_reader(),
        "chat_cpu_share": run.chat_cpu / run.chat_s if run.chat_s else 0.0,
        "delivery_cpu_share": (
            sum(s.cpu for s in run.shards) / sum(s.duration for s in run.shards)
            if run.shards else 0.0
        ),
        "once": run.posted_once,
        "assumptions": asdict(a),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every table of the benchmark, as data."""
    a = Assumptions(
        rtt_ms=args.rtt_ms, sqs_rtt_ms=args.sqs_rtt_ms, queue_ms=args.queue_ms,
        cold_ms=args.cold_ms, concurrency=args.concurrency, chat_mb=args.chat_memory,
        delivery_mb=args.delivery_memory, workers=args.workers,
    )
    result: dict[str, Any] = {"machine": machine(), "assumptions": asdict(a)}
    with rig(a.rtt_ms, a.sqs_rtt_ms, a.workers) as (bench, counts):
        run_direct(bench, counts, 20, a)  # warm: pools, connections, signing, imports

        def sharded(size: int, b: Assumptions = a, shard_size: int = args.shard_size) -> Any:
            threshold = args.threshold if size > args.threshold else 1
            made = run_sharded(bench, counts, size, b, threshold=threshold, shard_size=shard_size)
            return made, (" (forced)" if threshold == 1 and size <= args.threshold else "")

        result["main"] = []
        largest: Run | None = None
        for size in args.sizes:
            result["main"].append(_row(run_direct(bench, counts, size, a), a))
            made, note = sharded(size)
            result["main"].append(_row(made, a, note))
            largest = made
        result["crossover"] = []
        for size in args.crossover:
            result["crossover"].append(_row(run_direct(bench, counts, size, a), a))
            made, note = sharded(size, shard_size=min(args.shard_size, size))
            result["crossover"].append(_row(made, a, note))
        top = max(args.sizes)
        result["shard_sizes"] = [
            _row(sharded(top, shard_size=s)[0], a) | {"shard_size": s} for s in args.shard_sizes
        ]
        result["memories"] = []
        for mb in args.delivery_memories:
            b = replace(a, delivery_mb=mb)
            result["memories"].append(_row(sharded(top, b)[0], b) | {"memory": mb})
        if largest is not None:
            result["concurrency"] = [
                _row(largest.compose(replace(a, concurrency=c)), replace(a, concurrency=c))
                | {"concurrency": c}
                for c in sorted({5, 20, a.concurrency})
            ]
        result["handoff"] = [
            handoff_cpu(bench, readers, args.handoff_shards, args.handoff_rounds)
            for readers in (args.handoff_readers if args.handoff_rounds > 0 else [])
        ]
        result["read_room"] = [read_room(bench, n) for n in args.read_sizes]
    result["load_after"] = machine().rsplit("load average ", 1)[1]
    return result


def _table(rows: list[dict[str, Any]], first: str = "") -> list[str]:
    lines = [
        f"| {first or 'readers'} | path | shards | chat fn s | last reader s | p50 s | p99 s "
        "| GB-s | Lambda $ / 1,000 msgs | CPU µs/reader | vCPU used: chat / delivery | once |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        key = r[first] if first else f"{r['readers']:,}"
        lines.append(
            f"| {key} | {r['path']} | {r['shards']} | {r['chat_s']:.2f} | {r['last_s']:.2f} "
            f"| {r['p50_s']:.2f} | {r['p99_s']:.2f} | {r['gb_s']:.2f} | {r['usd_per_1000']:.3f} "
            f"| {r['cpu_us_per_reader']:,.0f} "
            f"| {r['chat_cpu_share']:.2f} / {r['delivery_cpu_share']:.2f} "
            f"| {'yes' if r['once'] else '**NO**'} |"
        )
    return lines


def render(result: dict[str, Any]) -> str:
    """The result as markdown."""
    a = result["assumptions"]
    lines = [
        f"{result['machine']} (before); load average {result['load_after']} after",
        "",
        f"Post RTT {a['rtt_ms']:g} ms, SendMessageBatch RTT {a['sqs_rtt_ms']:g} ms, queue -> "
        f"function {a['queue_ms']:g} ms, cold start {a['cold_ms']:g} ms, delivery concurrency "
        f"{a['concurrency']}, {a['workers']} posting threads; chat function {a['chat_mb']} MB "
        f"({a['chat_mb'] / CPU_MB:.2f} vCPU), delivery function {a['delivery_mb']} MB "
        f"({a['delivery_mb'] / CPU_MB:.2f} vCPU).",
        "",
        *_table(result["main"]),
    ]
    sections = [
        ("crossover", "Direct vs sharded near the threshold:", ""),
        ("shard_sizes", "Largest room by shard size:", "shard_size"),
        ("memories", "Largest room by delivery function memory (MB):", "memory"),
        ("concurrency", "Largest room, same shards, composed at other concurrency caps:",
         "concurrency"),
    ]
    for key, title, first in sections:
        if result.get(key):
            lines += ["", title, "", *_table(result[key], first)]
    if result.get("read_room"):
        lines += [
            "",
            "Reading the room (DynamoConnectionStore.in_room, every ByRoom page, client CPU at a "
            "full core; the endpoint answers each page after the SendMessageBatch RTT):",
            "",
            "| readers | pages | client CPU s | CPU µs/item | wall s | CPU s at the chat "
            "function's share |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for q in result["read_room"]:
            lines.append(
                f"| {q['readers']:,} | {q['pages']} | {q['cpu_s']:.2f} | "
                f"{q['cpu_us_per_item']:.0f} | {q['wall_s']:.2f} | "
                f"{q['cpu_s'] / (a['chat_mb'] / CPU_MB):.2f} |"
            )
    for h in result["handoff"]:
        lines += [
            "",
            f"Hand-off, client CPU per shard ({h['shards']} shards of {h['shard_readers']} "
            f"readers, body {h['body_bytes']:,} bytes; SQS: {h['sqs_calls']} SendMessageBatch "
            f"calls; rounds alternating):",
            "",
            "| hand-off | CPU µs/shard, median | per round |",
            "|---|---:|---|",
        ]
        for name, label in (("sqs", "SQS SendMessageBatch"), ("invoke", "Lambda Invoke (Event)"),
                            ("encode", "encode_shard alone (in both)")):
            rounds = ", ".join(f"{v:,.0f}" for v in h["samples"][name])
            lines.append(f"| {label} | {h['median_us'][name]:,.0f} | {rounds} |")
        lines += ["", f"SQS / Invoke = **{h['ratio']:.0%}** of Invoke's client CPU per shard"]
    return "\n".join(lines)


def parse(argv: list[str], prog: str | None = None) -> argparse.Namespace:
    """The command line (``chat-bench fanout`` takes the same flags)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=_ints, default=[100, 1000, 10000])
    parser.add_argument("--threshold", type=int, default=300, help="FANOUT_SHARD_THRESHOLD")
    parser.add_argument("--shard-size", type=int, default=500, help="FANOUT_SHARD_SIZE")
    parser.add_argument("--chat-memory", type=int, default=512, help="ChatFunction MB")
    parser.add_argument("--delivery-memory", type=int, default=1024, help="DeliveryFunction MB")
    parser.add_argument("--rtt-ms", type=float, default=15.0, help="simulated post round trip")
    parser.add_argument("--sqs-rtt-ms", type=float, default=15.0, help="SendMessageBatch RTT")
    parser.add_argument("--queue-ms", type=float, default=60.0,
                        help="assumed queue -> delivery function latency")
    parser.add_argument("--cold-ms", type=float, default=0.0,
                        help="assumed cold start per delivery invocation (0: warm)")
    parser.add_argument("--concurrency", type=int, default=100,
                        help="delivery environments at once (ScalingConfig.MaximumConcurrency)")
    parser.add_argument("--workers", type=int, default=32, help="Settings.fanout_workers")
    parser.add_argument("--crossover", type=_ints, default=[200, 300, 500])
    parser.add_argument("--shard-sizes", type=_ints, default=[100, 250, 500, 1000, 2000])
    parser.add_argument("--delivery-memories", type=_ints, default=[512, 1024, 1769])
    parser.add_argument("--handoff-readers", type=_ints, default=[50, 500],
                        help="readers per shard in the hand-off CPU comparison")
    parser.add_argument("--handoff-shards", type=int, default=100)
    parser.add_argument("--handoff-rounds", type=int, default=6, help="0: skip the comparison")
    parser.add_argument("--read-sizes", type=_ints, default=[10000, 100000],
                        help="rooms read through DynamoConnectionStore.in_room")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args(argv)
    numbers = [*args.sizes, *args.crossover, *args.shard_sizes, *args.delivery_memories,
               *args.handoff_readers, *args.read_sizes, args.threshold, args.shard_size,
               args.chat_memory, args.delivery_memory, args.concurrency, args.workers,
               args.handoff_shards]
    if not args.sizes or min(numbers) < 1 or args.handoff_rounds < 0:
        parser.error("sizes, counts and memories must be positive")
    if min(args.rtt_ms, args.sqs_rtt_ms, args.queue_ms, args.cold_ms) < 0:
        parser.error("latencies cannot be negative")
    return args


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the benchmark and print markdown (or JSON)."""
    args = parse(sys.argv[1:] if argv is None else argv, prog)
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
