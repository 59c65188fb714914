"""CPU per PostToConnection: the Lambda's lean poster beside its boto3 client, in one run.

    .venv/bin/chat-bench-post                      # 8 rounds x 2,000 posts per path
    .venv/bin/chat-bench-post --rounds 12 --posts 3000 --frame-bytes 600

Both paths are built as the composition root builds them (positive_chat.app): the boto3 client
with the production Config (standard retries, pool, timeouts) bound to the invocation's deadline,
and ``LeanConnectionsApi`` over that same client with the session's credentials (static keys
plus a session token, as Lambda has). They post the same frame, sequentially from this process,
to a separate server process on 127.0.0.1 that answers every ``@connections`` POST 200 (the
null server of operations.bench.gateway). CPU is this process's user+system time
(``time.process_time``) per post; rounds alternate lean/boto3 (and which goes first) so drift in
the machine's speed hits both; the ratio is of the per-path medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from operations.bench.gateway import _default_loop, _server
from operations.bench.suite import machine

__all__ = ["bench_session", "main"]

CONNECTION_ID = "L0SM9cOFvHcCIhw="  # an API Gateway connection id's shape


def bench_session(workers: int) -> tuple[Any, Any]:
    """A boto3 session with placeholder credentials (session token and all, as in Lambda) and
    the client config app.Clients uses, for benches against local null servers."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id="ASIABENCHMARK",
        aws_secret_access_key="bench-secret",  # noqa: S106 - placeholders for the local server
        aws_session_token="bench-session-token" * 20,
        region_name="us-east-1",
    )
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=workers,
        connect_timeout=3,
        read_timeout=10,
    )
    return session, config


def _posters(url: str, workers: int) -> dict[str, Callable[[str, bytes], None]]:
    """The boto3 and lean posts, composed as app.Runtime composes them."""
    from positive_chat.adapters.connections_api import ConnectionsApi
    from positive_chat.adapters.lean_post import LeanConnectionsApi
    from positive_chat.adapters.resilience import DeadlineSlot, ResiliencePolicy, bind_to_invocation

    session, config = bench_session(workers)
    slot, reserve = DeadlineSlot(), ResiliencePolicy().answer_reserve
    client: Any = bind_to_invocation(
        session.client("apigatewaymanagementapi", endpoint_url=url, config=config), slot, reserve
    )
    lean = LeanConnectionsApi(
        client, session.get_credentials, slot, reserve=reserve, pool_size=workers
    )
    return {"lean": lean.post, "boto3": ConnectionsApi(client).post}


def _cpu_per_post(post: Callable[[str, bytes], None], frame: bytes, posts: int) -> float:
    """Microseconds of this process's CPU per post."""
    started = time.process_time()
    for _ in range(posts):
        post(CONNECTION_ID, frame)
    return (time.process_time() - started) / posts * 1e6


def run(rounds: int, posts: int, frame_bytes: int, warmup: int) -> dict[str, Any]:
    """Alternate lean/boto3 batches against the null server; the CPU of each batch."""
    frame = json.dumps({"type": "message", "text": "x" * max(0, frame_bytes - 30)}).encode()
    load_before = machine()
    with _server("null", argparse.Namespace(loop=_default_loop())) as (_, url):
        posters = _posters(url, workers=32)
        for post in posters.values():  # connection, endpoint and signing caches
            for _ in range(warmup):
                post(CONNECTION_ID, frame)
        samples: dict[str, list[float]] = {name: [] for name in posters}
        for n in range(rounds):
            order = ["lean", "boto3"] if n % 2 == 0 else ["boto3", "lean"]
            for name in order:
                samples[name].append(_cpu_per_post(posters[name], frame, posts))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "machine": load_before,
        "load_after": machine().rsplit("load average ", 1)[1],
        "rounds": rounds,
        "posts": posts,
        "frame_bytes": len(frame),
        "samples": samples,
        "median_us": medians,
        "ratio": medians["lean"] / medians["boto3"],
    }


def render(result: dict[str, Any]) -> str:
    """The result as markdown."""
    lines = [
        f"{result['machine']} (before); load average {result['load_after']} after",
        "",
        f"{result['rounds']} rounds x {result['posts']:,} posts per path, alternating, "
        f"frame {result['frame_bytes']} bytes, sequential, one process:",
        "",
        "| path  | CPU µs/post, median | per round |",
        "|-------|--------------------:|-----------|",
    ]
    for name in ("lean", "boto3"):
        rounds = ", ".join(f"{value:,.0f}" for value in result["samples"][name])
        lines.append(f"| {name:<5} | {result['median_us'][name]:,.0f} | {rounds} |")
    lines += ["", f"lean / boto3 = **{result['ratio']:.0%}** of boto3's CPU per post"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print markdown (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=8, help="batches per path, alternating")
    parser.add_argument("--posts", type=int, default=2000, help="posts per batch")
    parser.add_argument("--frame-bytes", type=int, default=300, help="size of the posted frame")
    parser.add_argument("--warmup", type=int, default=300, help="untimed posts per path")
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON")
    args = parser.parse_args(argv)
    if min(args.rounds, args.posts, args.frame_bytes) < 1 or args.warmup < 0:
        parser.error("--rounds, --posts and --frame-bytes must be positive")
    result = run(args.rounds, args.posts, args.frame_bytes, args.warmup)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
