"""The Lambda runtime pool on its own: ordering, failed starts and stops never strand a caller.

Each test runs real worker processes (tests/localcloud/handlers/pool.py) through
localcloud.runtime.FunctionRuntime and stops them at the end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio
from localcloud.runtime import FunctionRuntime, InvocationResult, lambda_environment
from localcloud.template import FunctionSpec

HANDLERS = Path(__file__).parent / "handlers"

RuntimeFactory = Callable[..., FunctionRuntime]


@pytest_asyncio.fixture
async def make_runtime() -> AsyncIterator[RuntimeFactory]:
    """FunctionRuntimes for the pool handler; every one is stopped at the end of the test."""
    made: list[FunctionRuntime] = []

    def factory(*, handler: str = "pool.handler", timeout: float = 10, **options: Any) -> (
        FunctionRuntime
    ):
        spec = FunctionSpec(logical_id="Pool", handler=handler, code_uri=HANDLERS,
                            runtime="python3.12", timeout=timeout, memory_mb=128, environment={})
        env = lambda_environment(spec, {}, region="us-east-1")
        runtime = FunctionRuntime(spec, env, **options)
        made.append(runtime)
        return runtime

    yield factory
    for runtime in made:
        await runtime.stop()


def _collect(results: list[tuple[str, InvocationResult]], name: str) -> Any:
    return lambda result: results.append((name, result))


async def _until(predicate: Callable[[], bool], within: float = 20.0) -> None:
    for _ in range(int(within / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting")


async def test_unthrottled_invocation_is_queued_in_order_past_the_limit(
    make_runtime: RuntimeFactory,
) -> None:
    """At the limit, a $disconnect (throttle=False) is still taken, after what came before it."""
    runtime = make_runtime(max_workers=1, concurrency=2)
    await runtime.warm(1)
    results: list[tuple[str, InvocationResult]] = []
    runtime.submit({"n": 1, "sleep": 0.3}, _collect(results, "running"))
    runtime.submit({"n": 2}, _collect(results, "queued"))
    runtime.submit({"n": 3}, _collect(results, "throttled"))
    runtime.submit({"n": 4}, _collect(results, "disconnect"), throttle=False)
    await _until(lambda: len(results) == 4)
    assert [name for name, _ in results] == ["throttled", "running", "queued", "disconnect"]
    assert [r.ok for _, r in results] == [False, True, True, True]
    assert results[0][1].error is not None
    assert results[0][1].error["errorType"] == "TooManyRequestsException"


async def test_drain_waits_for_running_and_queued_invocations(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = make_runtime(max_workers=1)
    await runtime.warm(1)
    results: list[tuple[str, InvocationResult]] = []
    runtime.submit({"n": 1, "sleep": 0.3}, _collect(results, "a"))
    runtime.submit({"n": 2, "sleep": 0.3}, _collect(results, "b"))
    assert not await runtime.drain(0.1)
    assert await runtime.drain(10)
    assert [name for name, _ in results] == ["a", "b"]


async def test_failed_start_fails_every_queued_invocation(make_runtime: RuntimeFactory) -> None:
    """When environments cannot start, each waiting invocation gets the init error, none hangs."""
    runtime = make_runtime(handler="missing_module.handler", max_workers=1)
    results: list[tuple[str, InvocationResult]] = []
    for n in range(3):
        runtime.submit({"n": n}, _collect(results, str(n)))
    await _until(lambda: len(results) == 3)
    assert {result.error["errorType"] for _, result in results if result.error} == {
        "Runtime.ImportModuleError"
    }
    assert runtime.in_flight == 0


async def test_stop_fails_a_running_invocation_instead_of_forgetting_it(
    make_runtime: RuntimeFactory,
) -> None:
    """An invocation still running when the pool stops gets Runtime.Stopped."""
    runtime = make_runtime(max_workers=1)
    await runtime.warm(1)
    results: list[tuple[str, InvocationResult]] = []
    runtime.submit({"n": 1, "sleep": 30}, _collect(results, "running"))
    runtime.submit({"n": 2}, _collect(results, "queued"))
    await asyncio.sleep(0.3)
    await runtime.stop()
    outcomes = {name: (result.error or {}).get("errorType") for name, result in results}
    assert outcomes == {"running": "Runtime.Stopped", "queued": "Runtime.Stopped"}


def _for(connection: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"n": n, "requestContext": {"connectionId": connection}, **extra}


async def test_one_connections_flood_waits_behind_itself(make_runtime: RuntimeFactory) -> None:
    """Fair queueing: 40 queued frames of one connection; another's frame runs next, not 41st."""
    runtime = make_runtime(max_workers=1)
    await runtime.warm(1)
    order: list[str] = []
    runtime.submit(_for("flood", 0, sleep=0.2), lambda _r: order.append("flood"))
    for n in range(1, 40):
        runtime.submit(_for("flood", n), lambda _r: order.append("flood"))
    runtime.submit(_for("calm", 99), lambda _r: order.append("calm"))
    await _until(lambda: len(order) == 41)
    assert order.index("calm") <= 2


async def test_a_connections_frames_keep_their_order_and_precede_its_disconnect(
    make_runtime: RuntimeFactory,
) -> None:
    """Round robin across connections, first in first out within one: $disconnect comes last."""
    runtime = make_runtime(max_workers=1)
    await runtime.warm(1)
    done: list[tuple[str, int]] = []
    runtime.submit(_for("a", 0, sleep=0.2), lambda _r: done.append(("a", 0)))
    for n in range(1, 6):
        for conn in ("a", "b"):
            runtime.submit(_for(conn, n), lambda _r, c=conn, n=n: done.append((c, n)))
    runtime.submit(_for("a", 6), lambda _r: done.append(("a", 6)), throttle=False)
    await _until(lambda: len(done) == 12)
    assert [n for conn, n in done if conn == "a"] == [0, 1, 2, 3, 4, 5, 6]
    assert [n for conn, n in done if conn == "b"] == [1, 2, 3, 4, 5]
    # Served alternately once both wait: never two of "a" in a row while "b" has one queued.
    firsts = [conn for conn, _ in done[1:11]]
    assert firsts == ["a", "b"] * 5
