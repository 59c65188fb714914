"""The HTTP server of the local language services: both AWS wire protocols, faults, health.

This module owns the wire: it decodes a request, applies the fault board, runs the operation
in a thread pool (lingua, VADER and YAKE are CPU work; the event loop keeps answering, so a
``slow`` fault or a long batch never stalls the control endpoint) and encodes the reply.

Routes:

- ``POST /`` with ``X-Amz-Target: <ServicePrefix>.<Operation>``: AWS JSON 1.1
  (``application/x-amz-json-1.1``), what older SDKs and the AWS CLI v1 send.
- ``POST /service/<ServicePrefix>/operation/<Operation>``: Smithy RPC v2 CBOR
  (``application/cbor``, ``smithy-protocol: rpc-v2-cbor``), what botocore >= 1.36 sends.
- ``GET|POST|DELETE /_localcloud/faults``: the fault switch (see :mod:`.faults`). A web page
  cannot drive it (:mod:`localcloud.guard`): a foreign ``Origin`` or ``Sec-Fetch-Site:
  cross-site`` is refused with 403, and a POST must be ``Content-Type: application/json``.
- ``GET /_localcloud/health``: ``{"status": "ok", "languageModelLoaded": bool, "translation":
  {"available": bool, "modes": [...], "live": [...]}}`` (installed and running Apertium modes).

Errors are answered in the request's protocol: ``{"__type": name, "message": ...}`` with the
modeled HTTP status (plus ``x-amzn-ErrorType`` for JSON 1.1), so SDKs raise modeled exceptions.
An unexpected failure is logged with its traceback and answered as a generic
``InternalServerException``; nothing internal leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from localcloud.guard import browser_refusal
from localcloud.language import cbor
from localcloud.language.analysis import Accuracy, LanguageDetector
from localcloud.language.faults import FaultBoard, FaultConfigError, fault_error
from localcloud.language.operations import (
    SERVICE_TARGET_PREFIXES,
    LanguageOperations,
    ServiceError,
)
from localcloud.language.translation import Translator

__all__ = ["FAULTS_PATH", "HEALTH_PATH", "LanguageServer", "serve"]

LOG = logging.getLogger("localcloud.language")

FAULTS_PATH = "/_localcloud/faults"
HEALTH_PATH = "/_localcloud/health"
JSON_11 = "application/x-amz-json-1.1"
CBOR = "application/cbor"
# Largest valid request: 25 batch documents x 5 KB, or one 100 KB document, plus framing.
MAX_REQUEST_BYTES = 1024 * 1024


class LanguageServer:
    """The language services' HTTP server, running on the current process's event loop."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        # Analysis
        accuracy: Accuracy = "low",
        workers: int = 2,
        # Faults
        fault_board: FaultBoard | None = None,
        # Translation (Apertium pipelines; None finds the installed modes)
        translator: Translator | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.detector = LanguageDetector(accuracy=accuracy)
        self.translator = translator if translator is not None else Translator()
        self.operations = LanguageOperations(self.detector, translator=self.translator)
        self.faults = fault_board or FaultBoard()
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    def application(self) -> web.Application:
        """The aiohttp application (routes only; no sockets)."""
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/", self._json_request)
        app.router.add_post("/service/{service}/operation/{operation}", self._cbor_request)
        app.router.add_get(FAULTS_PATH, self._get_faults)
        app.router.add_post(FAULTS_PATH, self._set_faults)
        app.router.add_delete(FAULTS_PATH, self._clear_faults)
        app.router.add_get(HEALTH_PATH, self._health)
        return app

    async def start(self) -> str:
        """Listen on host:port (0 = a free port) and return the base URL."""
        self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="language")
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = int(port)
        self.url = f"http://{host}:{self.port}"
        LOG.info("Comprehend/Translate (offline) listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Close the listener and finish in-flight work; idempotent."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self.translator.close()

    async def warm(self) -> None:
        """Build the language model now, off the event loop."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self.detector.load)

    # ------------------------------------------------------------------ AWS protocols

    async def _json_request(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        service = operation = "?"
        try:
            service, operation = _split_target(request.headers.get("X-Amz-Target", ""))
            body = await _read_body(request)
            try:
                document = json.loads(body) if body.strip() else {}
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise ServiceError(
                    "SerializationException", f"The request body is not valid JSON: {err}"
                ) from err
            status, reply = await self._dispatch(service, operation, document)
        except ServiceError as err:
            status, reply = err.status, err.body()
        headers = {"x-amzn-RequestId": request_id}
        if status >= 400:
            headers["x-amzn-ErrorType"] = str(reply["__type"])
        _log(service, operation, status, started, request_id)
        return web.Response(
            status=status, body=json.dumps(reply).encode(), content_type=JSON_11, headers=headers
        )

    async def _cbor_request(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        prefix = request.match_info["service"]
        operation = request.match_info["operation"]
        service = SERVICE_TARGET_PREFIXES.get(prefix, prefix)
        try:
            if prefix not in SERVICE_TARGET_PREFIXES:
                raise _unknown_service(prefix)
            body = await _read_body(request)
            try:
                document = cbor.decode(body) if body else {}
            except cbor.CBORDecodeError as err:
                raise ServiceError(
                    "SerializationException", f"The request body is not valid CBOR: {err}"
                ) from err
            status, reply = await self._dispatch(service, operation, document)
        except ServiceError as err:
            status, reply = err.status, err.body()
        _log(service, operation, status, started, request_id)
        return web.Response(
            status=status,
            body=cbor.encode(reply),
            content_type=CBOR,
            headers={"smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": request_id},
        )

    async def _dispatch(
        self, service: str, operation: str, document: Any
    ) -> tuple[int, dict[str, Any]]:
        self.operations.handler(service, operation)  # unknown operations fail before faults
        rule = self.faults.draw(service, operation)
        if rule is not None:
            error = fault_error(service, rule)
            if error is not None:
                raise error
            await asyncio.sleep(rule.delay_seconds)
        loop = asyncio.get_running_loop()
        try:
            reply = await loop.run_in_executor(
                self._executor, self.operations.call, service, operation, document
            )
        except ServiceError:
            raise
        except Exception:
            LOG.exception("%s.%s failed", service, operation)
            raise ServiceError(
                "InternalServerException",
                "An internal server error occurred. Retry your request.",
                status=500,
            ) from None
        return 200, reply

    # ------------------------------------------------------------------ control API

    async def _get_faults(self, request: web.Request) -> web.Response:
        refused = _refused(request)
        if refused is not None:
            return refused
        return web.json_response(self.faults.snapshot())

    async def _set_faults(self, request: web.Request) -> web.Response:
        refused = _refused(request, require_json=True)
        if refused is not None:
            return refused
        try:
            document = json.loads(await request.read() or b"null")
            self.faults.set(document)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return web.json_response({"error": f"the body is not valid JSON: {err}"}, status=400)
        except FaultConfigError as err:
            return web.json_response({"error": str(err)}, status=400)
        LOG.warning("fault rule set: %s", document)
        return web.json_response(self.faults.snapshot())

    async def _clear_faults(self, request: web.Request) -> web.Response:
        refused = _refused(request)
        if refused is not None:
            return refused
        try:
            self.faults.clear(request.query.get("service"))
        except FaultConfigError as err:
            return web.json_response({"error": str(err)}, status=400)
        LOG.info("fault rules cleared (%s)", request.query.get("service", "all"))
        return web.json_response(self.faults.snapshot())

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "languageModelLoaded": self.detector.loaded,
                "translation": {
                    "available": self.translator.available,
                    "modes": sorted(mode.name for mode in self.translator.modes.values()),
                    "live": self.translator.live(),
                },
            }
        )


def _refused(request: web.Request, *, require_json: bool = False) -> web.Response | None:
    """403 for what a web page sends on its own (see :mod:`localcloud.guard`), else None."""
    refusal = browser_refusal(request.headers, host=request.host, require_json=require_json)
    if refusal is None:
        return None
    LOG.warning("fault switch: %s %s refused: %s", request.method, request.path, refusal)
    return web.json_response({"error": refusal}, status=403)


def _split_target(target: str) -> tuple[str, str]:
    prefix, dot, operation = target.partition(".")
    if not dot or not operation:
        raise ServiceError(
            "UnknownOperationException",
            f"X-Amz-Target must be '<ServicePrefix>.<Operation>', not {target!r}.",
        )
    if prefix not in SERVICE_TARGET_PREFIXES:
        raise _unknown_service(prefix)
    return SERVICE_TARGET_PREFIXES[prefix], operation


def _unknown_service(prefix: str) -> ServiceError:
    return ServiceError(
        "UnknownOperationException",
        f"Unknown service {prefix!r}: this endpoint serves "
        f"{' and '.join(sorted(SERVICE_TARGET_PREFIXES))}.",
    )


async def _read_body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as err:
        raise ServiceError(
            "TextSizeLimitExceededException",
            f"The request is larger than {MAX_REQUEST_BYTES} bytes.",
        ) from err


def _log(service: str, operation: str, status: int, started: float, request_id: str) -> None:
    LOG.info(
        "%s.%s %d %.1f ms %s",
        service,
        operation,
        status,
        (time.perf_counter() - started) * 1000,
        request_id,
    )


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    accuracy: Accuracy = "low",
    warm: bool = False,
    on_ready: Callable[[str], None] | None = None,
    parent_pid: int | None = None,
) -> None:
    """Run the server until SIGINT/SIGTERM (or until ``parent_pid`` is gone)."""
    asyncio.run(
        _serve(
            host=host,
            port=port,
            accuracy=accuracy,
            warm=warm,
            on_ready=on_ready,
            parent_pid=parent_pid,
        )
    )


async def _serve(
    *,
    host: str,
    port: int,
    accuracy: Accuracy,
    warm: bool,
    on_ready: Callable[[str], None] | None,
    parent_pid: int | None,
) -> None:
    server = LanguageServer(host=host, port=port, accuracy=accuracy)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    url = await server.start()
    background: set[asyncio.Task[None]] = set()
    try:
        if on_ready is not None:
            on_ready(url)
        if warm:
            background.add(asyncio.create_task(server.warm()))
        if parent_pid is not None:
            background.add(asyncio.create_task(_watch_parent(parent_pid, stopping)))
        await stopping.wait()
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await server.stop()
        LOG.info("Comprehend/Translate (offline) stopped")


async def _watch_parent(parent_pid: int, stopping: asyncio.Event) -> None:
    """Stop when the process that started us is gone (killed parents leave no orphans)."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(1.0)
    LOG.warning("parent process %d is gone; stopping", parent_pid)
    stopping.set()
