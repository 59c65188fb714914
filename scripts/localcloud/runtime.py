"""Lambda execution environments for the local cloud: a bounded pool of worker processes.

This module owns running one function of template.yaml the way Lambda does, from the asyncio
side: each worker is a fresh Python process (``localcloud.gw_worker``) that imports the handler
once (a cold start, logged) and then serves one invocation at a time, keeping module state
between invocations. Environments are started on demand up to ``max_workers``; beyond that,
invocations wait in a FIFO queue. A slow invocation only occupies its own environment, and the
processes spread over every core.

Concurrency is capped as Lambda caps it: at most ``concurrency`` invocations in flight (running
or queued) per function, the template's ``ReservedConcurrentExecutions`` or else the account
default of 1,000. Past it an invocation is throttled at once (``TooManyRequestsException``,
"Rate Exceeded."), so a flooding client meets an error instead of growing a queue without end.

The function's timeout is enforced: past it the worker is killed (SIGKILL) and the invocation
fails with ``Sandbox.Timedout``; the next invocation gets a new environment. A worker that dies
(``sys.exit``, a crash) fails its invocation with ``Runtime.ExitError``. Nothing here blocks the
event loop: pipes are asyncio transports carrying length-prefixed pickles.

What the function writes on stdout and stderr (its JSON logs, EMF metrics, warnings, tracebacks)
comes back on two more pipes per environment and is logged line by line by
``localcloud.function_output`` (as ``localcloud.lambda``, source ``Function#N``), so
``localcloud.logs`` decides what reaches the terminal and what only the log file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import signal
import sys
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.function_output import FunctionOutput
from localcloud.logs import FILE_ONLY
from localcloud.template import FunctionSpec

__all__ = [
    "DEFAULT_CONCURRENCY",
    "INIT_TIMEOUT",
    "FunctionRuntime",
    "InvocationResult",
    "lambda_environment",
]

LOG = logging.getLogger("localcloud.runtime")

DEFAULT_CONCURRENCY = 1000  # Lambda's default concurrent executions per account and Region
INIT_TIMEOUT = 10.0  # seconds: Lambda's limit for the init phase of an on-demand environment
_HEADER = 4
_STOP_GRACE = 2.0  # seconds a worker gets to exit after its pipe closes, before SIGKILL
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """The outcome of one invocation, as API Gateway sees it."""

    request_id: str  # the Lambda request id (a UUID), as in context.aws_request_id
    ok: bool
    payload: Any  # the handler's return value after the JSON round trip (None on error)
    error: dict[str, Any] | None  # errorType/errorMessage/stackTrace when not ok
    duration_ms: float
    init_ms: float | None  # the init duration when this invocation had a cold start
    environment: int  # which execution environment ran it (0 if none could)


def lambda_environment(
    spec: FunctionSpec,
    function_env: Mapping[str, str],
    *,
    region: str,
) -> dict[str, str]:
    """The process environment of an execution environment: Lambda's variables, then ours.

    Lambda's reserved variables (function name, memory, task root, region, ``TZ``...) come first;
    ``function_env`` (the template's resolved variables plus whatever the caller adds: endpoints,
    credentials) is applied over them. Dummy credentials are set only when none are given, so a
    local run never picks up a developer's real keys by accident.
    """
    env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.logical_id}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_uri),
            "_HANDLER": spec.handler,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",  # logs appear as they are written, as in CloudWatch
        }
    )
    env.update(function_env)
    if not any(k in env for k in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE")):
        env["AWS_ACCESS_KEY_ID"] = "local"
        env["AWS_SECRET_ACCESS_KEY"] = "local"  # noqa: S105 - a placeholder, not a secret
    return env


class _Invocation:
    __slots__ = ("callback", "event", "key", "request_id", "started", "timer")

    def __init__(self, event: dict[str, Any], callback: Callable[[InvocationResult], None]):
        self.event = event
        self.callback = callback
        self.request_id = str(uuid.uuid4())
        self.started = 0.0
        self.timer: asyncio.TimerHandle | None = None
        # Who the invocation is for: an API Gateway connection, else a queue of its own.
        context = event.get("requestContext")
        connection = context.get("connectionId") if isinstance(context, dict) else None
        self.key: object = connection if isinstance(connection, str) else self


class FairQueue:
    """Invocations waiting for an environment: first in, first out per key (an API Gateway
    connection), round robin across keys. One connection's flood then waits behind itself:
    every other connection's next invocation is at most one turn away, and a connection's
    frames still run before its ``$disconnect``.
    """

    def __init__(self) -> None:
        self._lanes: OrderedDict[object, deque[_Invocation]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def append(self, invocation: _Invocation) -> None:
        """Queue ``invocation`` at the end of its key's lane (a new lane goes last)."""
        lane = self._lanes.get(invocation.key)
        if lane is None:
            lane = self._lanes[invocation.key] = deque()
        lane.append(invocation)
        self._size += 1

    def popleft(self) -> _Invocation:
        """The head of the first lane; that lane then goes to the back of the round."""
        key, lane = next(iter(self._lanes.items()))
        invocation = lane.popleft()
        if lane:
            self._lanes.move_to_end(key)
        else:
            del self._lanes[key]
        self._size -= 1
        return invocation


class _Pipe(asyncio.Protocol):
    """Reads length-prefixed pickles from a worker and hands each to ``on_message``."""

    def __init__(self, on_message: Callable[[Any], None], on_eof: Callable[[], None]) -> None:
        self._buffer = bytearray()
        self._on_message = on_message
        self._on_eof = on_eof

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        if not buffer:  # fast path: exactly one whole frame, no copy into the buffer
            size = int.from_bytes(data[:_HEADER], "big")
            if len(data) == _HEADER + size:
                self._on_message(pickle.loads(data[_HEADER:]))  # noqa: S301 - our own child
                return
        buffer += data
        while len(buffer) >= _HEADER:
            size = int.from_bytes(buffer[:_HEADER], "big")
            end = _HEADER + size
            if len(buffer) < end:
                break
            message = pickle.loads(buffer[_HEADER:end])  # noqa: S301 - our own child
            del buffer[:end]
            self._on_message(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_eof()


class _Worker:
    """The pool's handle on one execution environment."""

    def __init__(self, runtime: FunctionRuntime, number: int) -> None:
        self.runtime = runtime
        self.number = number
        self.process: asyncio.subprocess.Process | None = None
        self.writer: asyncio.WriteTransport | None = None
        self.reader: asyncio.ReadTransport | None = None
        self.ready: asyncio.Future[tuple[str, Any]] = runtime.loop.create_future()
        self.current: _Invocation | None = None
        self.eof: asyncio.Future[None] = runtime.loop.create_future()  # the pipe is read to its end
        self.output_done: list[asyncio.Future[None]] = []  # stdout and stderr read to their end
        self.init_ms: float | None = None
        self.invocations = 0
        self.dead = False

    async def start(self, env: dict[str, str], cwd: str, function_arn: str) -> None:
        loop = self.runtime.loop
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        out_r, out_w = os.pipe()  # the function's stdout and stderr: log records, not the tty
        err_r, err_w = os.pipe()
        try:
            try:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "localcloud.gw_worker",
                    str(to_child_r),
                    str(from_child_w),
                    function_arn,
                    pass_fds=(to_child_r, from_child_w),
                    env=env,
                    cwd=cwd,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=out_w,
                    stderr=err_w,
                    # Not in the terminal's process group: Ctrl-C goes to the gateway, which
                    # stops the environments itself once every $disconnect has run.
                    start_new_session=True,
                )
            finally:
                for fd in (to_child_r, from_child_w, out_w, err_w):
                    os.close(fd)
        except BaseException:
            for fd in (to_child_w, from_child_r, out_r, err_r):
                os.close(fd)
            raise
        self.writer, _ = await loop.connect_write_pipe(
            asyncio.Protocol, os.fdopen(to_child_w, "wb", buffering=0)
        )
        self.reader, _ = await loop.connect_read_pipe(
            lambda: _Pipe(self.on_message, self.on_eof), os.fdopen(from_child_r, "rb", buffering=0)
        )
        source = f"{self.runtime.name}#{self.number}"
        for stream, fd in (("stdout", out_r), ("stderr", err_r)):
            done: asyncio.Future[None] = loop.create_future()
            self.output_done.append(done)
            await loop.connect_read_pipe(
                _output_reader(source, stream, cwd, done), os.fdopen(fd, "rb", buffering=0)
            )

    def on_message(self, message: tuple[str, Any]) -> None:
        kind = message[0]
        if not self.ready.done():
            self.ready.set_result(message)
            return
        invocation = self.current
        if invocation is None:  # a late answer after a timeout kill: nothing waits for it
            return
        self.current = None
        if invocation.timer is not None:
            invocation.timer.cancel()
        duration = (time.perf_counter() - invocation.started) * 1000.0
        init_ms, self.init_ms = self.init_ms, None
        if kind == "ok":
            result = InvocationResult(
                invocation.request_id, True, json.loads(message[1]), None,
                duration, init_ms, self.number,
            )
        else:
            result = InvocationResult(
                invocation.request_id, False, None, message[1], duration, init_ms, self.number
            )
        self.runtime._finished(self, invocation, result)

    def on_eof(self) -> None:
        if not self.eof.done():
            self.eof.set_result(None)
        if not self.ready.done():  # died during init: _start_worker reports it
            self.ready.set_result(("init_error", _runtime_exit(self.process)))
            return
        if self.dead:
            return
        self.dead = True
        invocation, self.current = self.current, None
        error = _runtime_exit(self.process)
        if invocation is not None:
            LOG.error("%s environment #%d exited during %s: %s", self.runtime.name,
                      self.number, invocation.request_id, error["errorMessage"])
        self.runtime._lost(self, invocation, error)

    def run(self, invocation: _Invocation) -> None:
        assert self.writer is not None
        self.current = invocation
        self.invocations += 1
        runtime = self.runtime
        invocation.started = time.perf_counter()
        deadline_ms = int(time.time() * 1000 + runtime.timeout * 1000)
        trace_id = f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};Sampled=0"
        payload = pickle.dumps(
            (invocation.request_id, deadline_ms, trace_id, invocation.event),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        self.writer.write(len(payload).to_bytes(_HEADER, "big") + payload)
        invocation.timer = runtime.loop.call_later(runtime.timeout, self.timed_out, invocation)

    def timed_out(self, invocation: _Invocation) -> None:
        if self.current is not invocation or self.dead:
            return
        self.dead = True
        self.current = None
        self.kill()
        duration = (time.perf_counter() - invocation.started) * 1000.0
        message = f"Task timed out after {self.runtime.timeout:.2f} seconds"
        LOG.error("%s %s %s", self.runtime.name, invocation.request_id, message)
        error = {"errorMessage": message, "errorType": "Sandbox.Timedout", "stackTrace": []}
        result = InvocationResult(
            invocation.request_id, False, None, error, duration, self.init_ms, self.number
        )
        self.runtime._lost(self, None, error)
        invocation.callback(result)

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)

    async def shutdown(self) -> None:
        """Close the pipe (the worker exits on EOF), then kill it if it lingers."""
        self.dead = True
        if self.writer is not None:
            self.writer.close()
        if self.process is None:
            return
        try:
            await asyncio.wait_for(self.process.wait(), _STOP_GRACE)
        except TimeoutError:
            self.kill()
            await self.process.wait()
        if self.reader is not None:
            # A result the worker wrote just before it exited is still in the pipe: read it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.eof), _STOP_GRACE)
            self.reader.close()
        if self.output_done:  # the function's last log lines are logged before "stopped"
            await asyncio.wait(self.output_done, timeout=_STOP_GRACE)
        invocation, self.current = self.current, None
        if invocation is not None:  # still running at the stop: it fails, it is not forgotten
            if invocation.timer is not None:
                invocation.timer.cancel()
            invocation.callback(
                _failed(invocation, "Runtime.Stopped", "the local cloud is shutting down")
            )


def _output_reader(
    source: str, stream: str, task_root: str, done: asyncio.Future[None]
) -> Callable[[], FunctionOutput]:
    """The protocol factory for one of the function's output pipes; ``done`` is set at its end."""

    def finished() -> None:
        if not done.done():
            done.set_result(None)

    return lambda: FunctionOutput(source, stream, task_root, finished)


def _runtime_exit(process: asyncio.subprocess.Process | None) -> dict[str, Any]:
    code = process.returncode if process is not None else None
    status = (
        f"signal: {-code}" if code is not None and code < 0 else f"exit status {code}"
    )
    return {
        "errorMessage": f"Runtime exited with error: {status}",
        "errorType": "Runtime.ExitError",
        "stackTrace": [],
    }


class FunctionRuntime:
    """Run invocations of one function in at most ``max_workers`` execution environments."""

    def __init__(
        self,
        spec: FunctionSpec,
        env: Mapping[str, str],
        *,
        max_workers: int,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        concurrency: int | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        if concurrency is None:
            concurrency = (
                spec.reserved_concurrency
                if spec.reserved_concurrency is not None
                else DEFAULT_CONCURRENCY
            )
        if concurrency < 0:
            raise ValueError(f"concurrency must be at least 0, not {concurrency}")
        self.concurrency = concurrency
        self.throttles = 0  # invocations refused for concurrency since the start
        self._throttle_logged = -1.0
        self.spec = spec
        self.name = spec.logical_id
        self.timeout = spec.timeout
        self.max_workers = max_workers
        self.function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{spec.logical_id}"
        self._env = dict(env)
        self._idle: list[_Worker] = []  # LIFO: the most recently used environment is warmest
        self._workers: set[_Worker] = set()
        self._starting = 0
        self._queue = FairQueue()
        self._numbers = 0
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the pool runs on (the one of the first invocation)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @property
    def environments(self) -> int:
        """Execution environments alive or starting now."""
        return len(self._workers)

    @property
    def pids(self) -> list[int]:
        """Process ids of the live execution environments (for monitoring and benchmarks)."""
        return [w.process.pid for w in self._workers if w.process is not None and not w.dead]

    @property
    def in_flight(self) -> int:
        """Invocations running or queued now (one waiting for a cold start is queued)."""
        return len(self._queue) + sum(1 for w in self._workers if w.current is not None)

    def submit(
        self,
        event: dict[str, Any],
        callback: Callable[[InvocationResult], None],
        *,
        throttle: bool = True,
    ) -> None:
        """Invoke the function with ``event``; ``callback`` gets the result on the loop.

        With ``throttle`` (the default), an invocation past the concurrency limit fails at once
        with Lambda's throttle error. The gateway passes False for ``$disconnect``, which the
        local cloud never drops. The queue stays first in, first out, so a connection's frames
        run before its ``$disconnect``.
        """
        invocation = _Invocation(event, callback)
        if self._stopping:
            callback(_failed(invocation, "Runtime.Stopped", "the local cloud is shutting down"))
            return
        if throttle and self.in_flight >= self.concurrency:
            self._throttle(invocation)
            return
        if self._idle:
            self._idle.pop().run(invocation)
            return
        self._queue.append(invocation)
        self._grow()

    async def invoke(self, event: dict[str, Any], *, throttle: bool = True) -> InvocationResult:
        """Invoke the function with ``event`` and wait for the result."""
        future: asyncio.Future[InvocationResult] = self.loop.create_future()

        def done(result: InvocationResult) -> None:
            if not future.done():
                future.set_result(result)

        self.submit(event, done, throttle=throttle)
        return await future

    async def warm(self, count: int = 1) -> None:
        """Start up to ``count`` environments now (their cold starts are paid before traffic)."""
        count = min(count, self.max_workers - len(self._workers))
        await asyncio.gather(*(self._launch() for _ in range(count)))

    async def drain(self, timeout: float) -> bool:
        """Wait until nothing is running or queued (True), or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while self.in_flight:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def stop(self) -> None:
        """Fail queued invocations, then shut every environment down."""
        self._stopping = True
        while self._queue:
            invocation = self._queue.popleft()
            invocation.callback(
                _failed(invocation, "Runtime.Stopped", "the local cloud is shutting down")
            )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(w.shutdown() for w in list(self._workers)))
        self._workers.clear()
        self._idle.clear()

    # -- pool internals ------------------------------------------------------------------------

    def _throttle(self, invocation: _Invocation) -> None:
        self.throttles += 1
        now = time.monotonic()
        if now - self._throttle_logged >= 1.0:  # a flood logs once a second, not once a frame
            self._throttle_logged = now
            LOG.warning("%s throttled: %d invocations in flight, concurrency limit %d "
                        "(%d throttled so far)", self.name, self.in_flight, self.concurrency,
                        self.throttles)
        invocation.callback(_failed(invocation, "TooManyRequestsException", "Rate Exceeded."))

    def _grow(self) -> None:
        while (
            len(self._queue) > self._starting
            and len(self._workers) < self.max_workers
            and not self._stopping
        ):
            task = self._launch()
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _launch(self) -> asyncio.Task[None]:
        """Count a new environment as starting now, and boot it in a task."""
        self._numbers += 1
        worker = _Worker(self, self._numbers)
        self._workers.add(worker)
        self._starting += 1
        return self.loop.create_task(self._boot(worker))

    async def _boot(self, worker: _Worker) -> None:
        env = dict(self._env)
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = (
            f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        )
        started = time.perf_counter()
        try:
            await worker.start(env, str(self.spec.code_uri), self.function_arn)
            kind, detail = await asyncio.wait_for(worker.ready, INIT_TIMEOUT)
        except TimeoutError:
            kind, detail = "init_error", {
                "errorMessage": f"Init phase timed out after {INIT_TIMEOUT:.0f} seconds",
                "errorType": "Runtime.InitTimeout",
                "stackTrace": [],
            }
        except asyncio.CancelledError:  # the pool is stopping
            worker.dead = True
            self._workers.discard(worker)
            worker.kill()
            raise
        except OSError as err:
            kind, detail = "init_error", {
                "errorMessage": f"could not start the environment: {err!r}",
                "errorType": "Runtime.Unknown",
                "stackTrace": [],
            }
        finally:
            self._starting -= 1
        if kind != "ready":
            worker.dead = True
            self._workers.discard(worker)
            worker.kill()
            LOG.error("%s environment #%d failed to initialise: %s: %s", self.name,
                      worker.number, detail["errorType"], detail["errorMessage"])
            if self._queue:  # the invocation that asked for this environment fails, as in Lambda
                invocation = self._queue.popleft()
                invocation.callback(
                    InvocationResult(invocation.request_id, False, None, detail,
                                     (time.perf_counter() - started) * 1000.0, None, 0)
                )
            self._grow()  # the rest of the queue gets environments of its own (each may fail)
            return
        worker.init_ms = float(detail)
        LOG.info("%s cold start: environment #%d initialised in %.0f ms (ready after %.0f ms)",
                 self.name, worker.number, worker.init_ms, (time.perf_counter() - started) * 1000,
                 extra=FILE_ONLY)  # the terminal says so on the invocation's own line
        self._next(worker)

    def _next(self, worker: _Worker) -> None:
        if self._stopping:
            return
        if self._queue:
            worker.run(self._queue.popleft())
        else:
            self._idle.append(worker)

    def _finished(self, worker: _Worker, invocation: _Invocation, result: InvocationResult) -> None:
        self._next(worker)
        invocation.callback(result)

    def _lost(
        self, worker: _Worker, invocation: _Invocation | None, error: dict[str, Any]
    ) -> None:
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        if worker.writer is not None:
            worker.writer.close()
        if invocation is not None:
            if invocation.timer is not None:
                invocation.timer.cancel()
            duration = (time.perf_counter() - invocation.started) * 1000.0
            invocation.callback(
                InvocationResult(invocation.request_id, False, None, error, duration,
                                 None, worker.number)
            )
        if self._queue:
            self._grow()


def _failed(invocation: _Invocation, error_type: str, message: str) -> InvocationResult:
    error = {"errorMessage": message, "errorType": error_type, "stackTrace": []}
    return InvocationResult(invocation.request_id, False, None, error, 0.0, None, 0)
