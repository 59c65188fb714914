"""chat-bench fanout runs both paths on a small room and every reader gets the message once.

Numbers are not judged here (benchmarks are, in BENCHMARKS.md): this keeps the benchmark runnable
and its bookkeeping right: the null endpoint's own count of posts per connection, the shards the
chat function handed off, and the timeline composed from the shards' runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from operations.bench.fanout import main
from operations.bench.fanout_rig import rig
from operations.bench.fanout_runs import Assumptions, Run, ShardRun, run_direct, run_sharded

FAST = Assumptions(rtt_ms=1, sqs_rtt_ms=1, queue_ms=5, chat_mb=512, delivery_mb=1024, workers=4)


@pytest.mark.slow
def test_each_reader_is_posted_exactly_once_direct_and_in_shards() -> None:
    with rig(FAST.rtt_ms, FAST.sqs_rtt_ms, FAST.workers) as (bench, counts):
        seen: list[dict[str, int]] = []

        def recorded() -> dict[str, int]:
            seen.append(counts())
            return seen[-1]

        direct = run_direct(bench, recorded, 20, FAST)
        sharded = run_sharded(bench, recorded, 20, FAST, threshold=5, shard_size=5)
    for run, posts in ((direct, seen[0]), (sharded, seen[1])):
        assert len(posts) == 20
        assert set(posts.values()) == {1}
        assert run.posted_once
        assert len(run.latencies) == 20
        assert min(run.latencies) > 0
    assert direct.shards == []
    assert len(sharded.shards) == 4  # 20 readers in shards of 5
    assert all(len(shard.offsets) == 5 for shard in sharded.shards)
    assert sharded.direct == []  # the chat function posted to nobody itself
    # A shard's readers are reached no sooner than the queue hands it over.
    assert min(sharded.latencies) >= min(s.accepted for s in sharded.shards) + 0.005


def test_the_timeline_runs_shards_in_parallel_up_to_the_concurrency() -> None:
    shards = [ShardRun(accepted=0.1, duration=1.0, cpu=0.1, offsets=[0.5, 1.0]) for _ in range(4)]
    run = Run("sharded", 8, chat_s=0.1, chat_cpu=0.01, direct=[], shards=shards)
    parallel = run.compose(Assumptions(queue_ms=100, concurrency=4))
    assert parallel.pct(100) == pytest.approx(1.2)
    assert parallel.pct(50) == pytest.approx(1.2)
    two_at_once = run.compose(Assumptions(queue_ms=100, concurrency=2, cold_ms=300))
    assert two_at_once.pct(100) == pytest.approx(0.5 + 1.0 + 1.0)
    assert two_at_once.pct(0) == pytest.approx(0.5 + 0.5)


def test_a_retried_shard_starts_after_its_parent() -> None:
    shards = [
        ShardRun(accepted=0.2, duration=1.0, cpu=0.1, offsets=[0.3]),
        ShardRun(accepted=0.9, duration=0.5, cpu=0.1, offsets=[0.4], parent=0),
    ]
    run = Run("sharded", 2, 0.2, 0.01, [], shards).compose(Assumptions(queue_ms=0))
    assert run.latencies == pytest.approx([0.5, 0.2 + 0.9 + 0.4])


@pytest.mark.slow
def test_the_command_prints_every_table(capsys: Any) -> None:
    assert main([
        "--sizes", "20", "--threshold", "5", "--shard-size", "5", "--rtt-ms", "1",
        "--sqs-rtt-ms", "1", "--queue-ms", "5", "--workers", "4", "--crossover", "12",
        "--shard-sizes", "10", "--delivery-memories", "1769", "--handoff-readers", "5",
        "--handoff-shards", "12", "--handoff-rounds", "2", "--read-sizes", "7000",
    ]) == 0
    out = capsys.readouterr().out
    assert "| 20 | direct | 0 |" in out
    assert "| 20 | sharded | 4 |" in out
    assert "| 12 | sharded | 3 |" in out  # the crossover room, in shards of 5
    assert "| 10 | sharded | 2 |" in out  # shard size 10
    assert "| 1769 | sharded | 4 |" in out
    assert "**NO**" not in out
    assert "| SQS SendMessageBatch |" in out
    assert "| Lambda Invoke (Event) |" in out
    assert "SQS: 2 SendMessageBatch calls" in out  # 12 shards: 10 + 2
    assert "| 7,000 | 2 |" in out  # the room read in two Query pages, every reader found
