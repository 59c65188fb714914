"""Benchmark the local cloud's DynamoDB (localcloud.dynamodb) as the chat uses it.

Measures, against a real server process through boto3 (what the Lambda does):

- the join-history Query (Messages, room = :r, ScanIndexForward=False, Limit=60) with 1k, 10k and
  100k stored messages, spread over 10 rooms and all in one room, with our per-partition index
  and with stock moto (``--no-fast-query``);
- PutItem latency with 100k stored messages (journal + fsync on);
- startup time at 100k messages from a snapshot and from a journal (the after-SIGKILL case);
- thread vs process: the event-loop lag of an asyncio loop in this process while a load generator
  process drives the server, with the server in a thread of this process or in its own process.

Data is written straight into snapshot/journal files (fast), then served by the real server.
Usage: ``.venv/bin/chat-bench-dynamodb [--sizes 1000,10000,100000] [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import boto3
from botocore.config import Config
from localcloud.dynamodb import LocalDynamoDB
from localcloud.dynamodb.store import SNAPSHOT_FORMAT, SNAPSHOT_VERSION
from localcloud.template import DEFAULT_TEMPLATE, load_template, table_specs

__all__ = ["main"]

CONTENT = "A friendly message about Paris, music and the weekend plans of everyone here."


def _client(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - the local endpoint ignores it
        config=Config(retries={"max_attempts": 1}),
    )


def _message(index: int, rooms: int) -> dict[str, Any]:
    return {
        "room": {"S": f"room-{index % rooms}"},
        "msgId": {"S": f"{1_700_000_000_000 + index:016d}-{index:08x}"},
        "user": {"S": f"user{index % 37}"},
        "lang": {"S": "en"},
        "content": {"S": CONTENT},
        "sentiment": {"S": "POSITIVE"},
        "topics": {"M": {"Paris": {"N": "1"}}},
        "status": {"S": "published"},
    }


def write_snapshot(data_dir: Path, messages: int, rooms: int) -> None:
    """A snapshot file holding ``messages`` messages (format of localcloud.dynamodb.store)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    specs = table_specs(load_template(DEFAULT_TEMPLATE))
    header = {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "seq": 0,
        "tables": [
            {"name": name, "create": spec.create_table_kwargs(name), "ttl": spec.ttl_attribute}
            for name, spec in specs.items()
        ],
    }
    with (data_dir / "snapshot.jsonl").open("w", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for index in range(messages):
            record = {"t": "MessagesTable", "i": _message(index, rooms)}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
        out.write(json.dumps({"end": True, "items": messages}) + "\n")


def write_journal(data_dir: Path, messages: int, rooms: int) -> None:
    """A journal of ``messages`` PutItem requests, as a server killed before compaction leaves."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "journal.log").open("wb") as out:
        for index in range(messages):
            body = json.dumps({"TableName": "MessagesTable", "Item": _message(index, rooms)})
            payload = json.dumps({"seq": index + 1, "op": "PutItem", "body": body}).encode()
            out.write(b"%08x %s\n" % (zlib.crc32(payload), payload))


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50_ms": pick(0.50), "p99_ms": pick(0.99), "mean_ms": statistics.fmean(ordered) * 1000}


def _timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm-up (connection, caches)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


def join_query(ddb: Any, room: str) -> Callable[[], Any]:
    """The chat's join-history Query for ``room``."""
    return lambda: ddb.query(
        TableName="MessagesTable",
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": room}},
        ScanIndexForward=False,
        Limit=60,
    )


def bench_queries(sizes: list[int], root: Path, repeat: int) -> list[dict[str, Any]]:
    """Join Query latency per size, layout and Query implementation."""
    rows = []
    for size in sizes:
        for rooms in (10, 1):
            data = root / f"q-{size}-{rooms}"
            write_snapshot(data, size, rooms)
            for fast in (True, False):
                if not fast and size > 10_000 and rooms == 1:
                    runs = max(3, repeat // 10)  # stock moto takes seconds here
                elif not fast and size > 10_000:
                    runs = max(5, repeat // 5)
                else:
                    runs = repeat
                with LocalDynamoDB(data_dir=data, fast_query=fast, fsync=False) as db:
                    ddb = _client(db.url)
                    page = join_query(ddb, "room-0")()
                    assert len(page["Items"]) == 60
                    stats = _timed(join_query(ddb, "room-0"), runs)
                rows.append(
                    {"messages": size, "rooms": rooms, "fast_query": fast, "runs": runs, **stats}
                )
                print(json.dumps(rows[-1]), flush=True)
    return rows


def bench_puts_and_startup(size: int, root: Path, repeat: int) -> dict[str, Any]:
    """PutItem latency at ``size`` stored messages; startup from snapshot and from journal."""
    result: dict[str, Any] = {"messages": size}
    data = root / f"s-{size}"
    write_snapshot(data, size, 10)
    started = time.perf_counter()
    with LocalDynamoDB(data_dir=data) as db:
        result["startup_snapshot_s"] = time.perf_counter() - started
        assert db.startup is not None
        result["startup_snapshot_restore_s"] = db.startup.seconds
        ddb = _client(db.url)
        counter = iter(range(10**9))

        def put() -> None:
            index = size + next(counter)
            ddb.put_item(TableName="MessagesTable", Item=_message(index, 10))

        result["put_fsync"] = _timed(put, repeat)
        stopping = time.perf_counter()
    result["stop_with_snapshot_s"] = time.perf_counter() - stopping
    with LocalDynamoDB(data_dir=data, fsync=False) as db:
        ddb = _client(db.url)
        counter = iter(range(10**6, 10**9))
        result["put_no_fsync"] = _timed(put, repeat)
    journal_dir = root / f"j-{size}"
    write_journal(journal_dir, size, 10)
    started = time.perf_counter()
    with LocalDynamoDB(data_dir=journal_dir, fsync=False) as db:
        result["startup_journal_s"] = time.perf_counter() - started
    print(json.dumps(result), flush=True)
    return result


_LOAD = r"""
import sys, time, boto3
from botocore.config import Config
url, seconds = sys.argv[1], float(sys.argv[2])
ddb = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
    aws_access_key_id="b", aws_secret_access_key="b", config=Config(retries={"max_attempts": 1}))
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    ddb.query(TableName="MessagesTable", KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": "room-%d" % (n % 10)}},
        ScanIndexForward=False, Limit=60)
    ddb.put_item(TableName="MessagesTable",
        Item={"room": {"S": "room-1"}, "msgId": {"S": "z%09d" % n}})
    n += 1
print(n)
"""


async def _loop_lag(seconds: float, tick: float = 0.001) -> list[float]:
    lags = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        before = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(time.perf_counter() - before - tick)
    return lags


def bench_isolation(size: int, root: Path, seconds: float) -> list[dict[str, Any]]:
    """Event-loop lag in this process while another process loads the server."""
    rows = []
    data = root / f"iso-{size}"
    write_snapshot(data, size, 10)
    # Stock moto only out of process: the speed-ups, once installed in this process, stay.
    runs: list[tuple[Literal["thread", "process"], bool]] = [
        ("thread", True),
        ("process", True),
        ("process", False),
    ]
    for isolation, fast in runs:
        with LocalDynamoDB(data_dir=data, isolation=isolation, fsync=False, fast_query=fast) as db:
            load = subprocess.Popen(
                [sys.executable, "-c", _LOAD, db.url, str(seconds)], stdout=subprocess.PIPE
            )
            lags = asyncio.run(_loop_lag(seconds))
            out, _ = load.communicate()
        rows.append(
            {
                "isolation": isolation,
                "fast_query": fast,
                "messages": size,
                "load_rounds_per_s": int(out.strip()) / seconds,
                "loop_lag": _percentiles(lags),
                "loop_lag_max_ms": max(lags) * 1000,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one JSON object per measurement, then a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--skip", default="", help="comma list: queries,puts,isolation")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    repeat = args.repeat
    if args.quick:
        sizes, repeat = [1000, 10_000], 20
    skip = set(filter(None, args.skip.split(",")))
    summary: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-dynamodb-") as tmp:
        root = Path(tmp)
        if "queries" not in skip:
            summary["queries"] = bench_queries(sizes, root, repeat)
        if "puts" not in skip:
            summary["puts_and_startup"] = bench_puts_and_startup(max(sizes), root, repeat)
        if "isolation" not in skip:
            summary["isolation"] = bench_isolation(10_000, root, 5.0 if not args.quick else 2.0)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
