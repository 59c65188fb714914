"""Lambda's SQS event source mappings for the local cloud: poll a queue, invoke, delete.

This module owns what Lambda's pollers do for a ``Type: SQS`` event of the template
(``localcloud.queues`` reads them): receive a batch (``MaxNumberOfMessages`` = ``BatchSize``,
every system and message attribute), invoke the function with the SQS event in AWS's shape
(``Records[]`` with ``messageId``, ``receiptHandle``, ``body``, ``attributes``,
``messageAttributes``, ``md5OfBody``, ``eventSource`` ``aws:sqs``, ``eventSourceARN``,
``awsRegion``), then delete what succeeded. The functions run in ``localcloud.runtime``
execution environments, like the gateway's, and each invocation gets one line in the log
(``localcloud.logs.queue_invocation_line``).

Parity notes (what Lambda does, and what happens here):
- Success deletes the whole batch. With ``ReportBatchItemFailures``, the records named in
  ``batchItemFailures`` (``itemIdentifier`` = ``messageId``) stay; a null or empty list (or a
  null response) is full success; an ``itemIdentifier`` that is empty, null, missing or not in
  the batch, or a response of another shape, fails the whole batch. A function error or
  timeout deletes nothing. What is not deleted comes back after the queue's
  ``VisibilityTimeout``; after ``maxReceiveCount`` receives the local SQS (moto) moves it to the
  dead-letter queue of its ``RedrivePolicy``, as SQS does.
- Concurrency: at most ``ScalingConfig.MaximumConcurrency`` batches in flight (else the number of
  execution environments the local cloud may run), never more than the environments nor the
  function's reserved concurrency. A FIFO queue never has two batches of one message group in
  flight: SQS (and moto) withholds a group while a message of it is in flight.
- Polling: a standard queue is long-polled (``WaitTimeSeconds`` 20). A FIFO queue is polled with
  ``WaitTimeSeconds`` 0, again at once when a batch finishes and otherwise after 10 ms doubling
  up to 250 ms: moto's long poll on a FIFO queue spins on a CPU while a message group is in
  flight, and keeps withholding that group for the rest of the poll after its messages are
  deleted (moto 5.2).
- FIFO deduplication is moto's: it compares a message with those still on the queue only (SQS:
  every message of the last 5 minutes, deleted or not) and across the whole queue even with
  ``DeduplicationScope: messageGroup`` (SQS: within the group). A send retried after the first
  copy was consumed is delivered again here; one reusing an id in another group is dropped.
- ``BatchSize`` above 10 (SQS's most per receive) is one receive of 10;
  ``MaximumBatchingWindowInSeconds`` is not waited for.
- Stop: polling stops at once; batches in flight get up to the function's timeout (10 s at
  most) to finish and be deleted, then the environments are stopped. The local SQS keeps
  nothing across restarts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from localcloud.logs import queue_invocation_line
from localcloud.queues import QueueInfo, SqsEventSpec
from localcloud.runtime import FunctionRuntime, InvocationResult, lambda_environment
from localcloud.template import FunctionSpec

__all__ = ["QueueTriggers", "SqsApi", "SqsApiError", "batch_failures", "sqs_event"]

LOG = logging.getLogger("localcloud.sqs")
INVOCATIONS = logging.getLogger("localcloud.sqs.invocations")

MAX_RECEIVE = 10  # SQS's most messages per ReceiveMessage
LONG_POLL_SECONDS = 20
_FIFO_POLL_MIN = 0.01
_FIFO_POLL_MAX = 0.25
_STOP_GRACE_MAX = 10.0
_CALL_TIMEOUT = 10.0  # seconds for one SQS call (a long poll gets its wait on top)
_DELETE_ATTEMPTS = 3


class SqsApiError(RuntimeError):
    """An SQS call answered with an error (its ``__type``) or could not be made."""


class SqsApi:
    """The few SQS calls a poller makes, asynchronously (AWS JSON protocol, SigV4-signed)."""

    def __init__(self, endpoint: str, region: str, credentials: tuple[str, str]) -> None:
        self._endpoint = endpoint.rstrip("/") + "/"
        self._signer = SigV4Auth(Credentials(*credentials), "sqs", region)
        self._session: aiohttp.ClientSession | None = None

    async def call(self, action: str, params: Mapping[str, Any], *, wait: float = 0.0) -> Any:
        """``action`` with ``params``; the parsed answer, or SqsApiError."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        body = json.dumps(params).encode()
        request = AWSRequest(method="POST", url=self._endpoint, data=body, headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"AmazonSQS.{action}",
        })
        self._signer.add_auth(request)
        timeout = aiohttp.ClientTimeout(total=wait + _CALL_TIMEOUT)
        try:
            async with self._session.post(self._endpoint, data=body, timeout=timeout,
                                          headers=dict(request.headers.items())) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise SqsApiError(f"{action}: {err!r}") from err
        if response.status != 200:
            kind = answer.get("__type", "") if isinstance(answer, dict) else ""
            raise SqsApiError(f"{action}: HTTP {response.status} {kind}".rstrip())
        return answer

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _message_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """SQS's MessageAttributes as Lambda puts them in a record (lower camel case, lists)."""
    out: dict[str, Any] = {}
    for name, value in attributes.items():
        item: dict[str, Any] = {}
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            item["binaryValue"] = value["BinaryValue"]  # base64, as the JSON protocol has it
        item["stringListValues"] = value.get("StringListValues", [])
        item["binaryListValues"] = value.get("BinaryListValues", [])
        item["dataType"] = value["DataType"]
        out[name] = item
    return out


_SYSTEM_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId",
                      "ApproximateFirstReceiveTimestamp", "SequenceNumber", "MessageGroupId",
                      "MessageDeduplicationId", "AWSTraceHeader", "DeadLetterQueueSourceArn")


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda sends for ``messages`` (ReceiveMessage's answer) of ``queue_arn``."""
    records = []
    for message in messages:
        received = message.get("Attributes") or {}
        attributes = {k: str(received[k]) for k in _SYSTEM_ATTRIBUTES if k in received}
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": attributes,
            "messageAttributes": _message_attributes(message.get("MessageAttributes") or {}),
            "md5OfBody": message.get("MD5OfBody", ""),
        }
        if message.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                       "awsRegion": region})
        records.append(record)
    return {"Records": records}


def batch_failures(payload: Any, message_ids: list[str]) -> set[str] | None:
    """The message ids a partial batch response names as failed; None: the whole batch failed.

    A null response, or a null or empty ``batchItemFailures``, is full success.
    """
    if payload is None:
        return set()
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    known = set(message_ids)
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        failed.add(identifier)
    return failed


class _Mapping:
    """One event source mapping: a poll loop and the batches it has in flight."""

    def __init__(self, spec: SqsEventSpec, queue: QueueInfo, runtime: FunctionRuntime,
                 api: SqsApi, *, region: str, max_in_flight: int) -> None:
        self.spec = spec
        self.queue = queue
        self.runtime = runtime
        self.api = api
        self.region = region
        self.max_in_flight = max_in_flight
        self._slots = asyncio.Semaphore(max_in_flight)
        self._wake = asyncio.Event()  # set when a batch finishes: its group may be free now
        self._batches: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._error_logged = -1.0

    def start(self) -> None:
        self._poller = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self, grace: float) -> None:
        """Stop polling; give the batches in flight ``grace`` seconds."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._batches:
            await asyncio.wait(list(self._batches), timeout=grace)

    async def finish(self) -> None:
        """Wait for what is left once the runtime has failed its invocations."""
        if self._batches:
            await asyncio.gather(*self._batches, return_exceptions=True)

    async def _poll(self) -> None:
        wait = 0 if self.queue.fifo else LONG_POLL_SECONDS
        delay, backoff = _FIFO_POLL_MIN, 0.1
        while True:
            await self._slots.acquire()
            self._wake.clear()
            try:
                answer = await self.api.call("ReceiveMessage", {
                    "QueueUrl": self.queue.url,
                    "MaxNumberOfMessages": min(self.spec.batch_size, MAX_RECEIVE),
                    "WaitTimeSeconds": wait,
                    "AttributeNames": ["All"],
                    "MessageSystemAttributeNames": ["All"],
                    "MessageAttributeNames": ["All"],
                }, wait=wait)
            except SqsApiError as err:
                self._slots.release()
                self._log_poll_error(err)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except BaseException:
                self._slots.release()
                raise
            backoff = 0.1
            messages = answer.get("Messages") or []
            if not messages:
                self._slots.release()
                if wait == 0:
                    try:
                        await asyncio.wait_for(self._wake.wait(), delay)
                    except TimeoutError:
                        delay = min(delay * 2, _FIFO_POLL_MAX)
                continue
            delay = _FIFO_POLL_MIN
            task = asyncio.get_running_loop().create_task(self._run(messages))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    def _log_poll_error(self, err: SqsApiError) -> None:
        now = time.monotonic()
        if now - self._error_logged >= 5.0:
            self._error_logged = now
            LOG.warning("%s: cannot receive from %s: %s", self.spec.function_id,
                        self.queue.name, err)

    async def _run(self, messages: list[dict[str, Any]]) -> None:
        try:
            event = sqs_event(messages, self.queue.arn, self.region)
            ids = [m["MessageId"] for m in messages]
            result = await self.runtime.invoke(event)
            failed: set[str] | None
            if not result.ok:
                failed = set(ids)
            elif self.spec.report_batch_item_failures:
                failed = batch_failures(result.payload, ids)
            else:
                failed = set()
            done = [m for m in messages if failed is not None and m["MessageId"] not in failed]
            if done:
                await self._delete(done)
            self._log(ids, result, failed)
        finally:
            self._slots.release()
            self._wake.set()

    async def _delete(self, messages: list[dict[str, Any]]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                   for i, m in enumerate(messages)]
        for attempt in range(_DELETE_ATTEMPTS):
            try:
                answer = await self.api.call("DeleteMessageBatch",
                                             {"QueueUrl": self.queue.url, "Entries": entries})
            except SqsApiError as err:
                if attempt + 1 == _DELETE_ATTEMPTS:
                    LOG.warning("%s: %d processed messages not deleted (%s): they come back "
                                "after the visibility timeout", self.spec.function_id,
                                len(entries), err)
                    return
                await asyncio.sleep(0.1 * 2**attempt)
                continue
            for failure in answer.get("Failed") or []:
                LOG.warning("%s: message not deleted: %s", self.spec.function_id,
                            failure.get("Code"))
            return

    def _log(self, ids: list[str], result: InvocationResult, failed: set[str] | None) -> None:
        if INVOCATIONS.isEnabledFor(logging.INFO):
            failures = None if failed is None else len(failed)
            level, text, extra = queue_invocation_line(
                self.spec.function_id, ids[0], len(ids), failures, result
            )
            INVOCATIONS.log(level, "%s", text, extra=extra)


class QueueTriggers:
    """The functions the template's SQS events trigger: their runtimes and their pollers."""

    def __init__(
        self,
        *,
        template: Mapping[str, Any],
        template_dir: Path,
        events: list[SqsEventSpec],
        queues: Mapping[str, QueueInfo],
        function_env: Mapping[str, Mapping[str, str]],
        sqs_url: str,
        region: str,
        account_id: str,
        workers: int,
    ) -> None:
        """``function_env``: each function's resolved template variables and endpoints."""
        from localcloud.template import function_spec

        self._events = [e for e in events if e.enabled]
        self._queues = {e.event_name: _queue_of(e, queues) for e in self._events}
        self._specs: dict[str, FunctionSpec] = {
            e.function_id: function_spec(template, e.function_id, template_dir=template_dir)
            for e in self._events
        }
        self._env = function_env
        self._region = region
        self._account_id = account_id
        self._workers = workers
        self._api = SqsApi(sqs_url, region, ("local", "local"))
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._mappings: list[_Mapping] = []

    @property
    def functions(self) -> list[str]:
        """Logical ids of the functions run here."""
        return sorted(self._specs)

    async def start(self) -> None:
        """Create the runtimes (no environment starts before its first batch) and poll."""
        for function_id, spec in self._specs.items():
            env = lambda_environment(spec, self._env[function_id], region=self._region)
            self._runtimes[function_id] = FunctionRuntime(
                spec, env, max_workers=self._workers, region=self._region,
                account_id=self._account_id,
            )
        for event in self._events:
            runtime = self._runtimes[event.function_id]
            cap = event.maximum_concurrency or self._workers
            cap = max(1, min(cap, self._workers, runtime.concurrency))
            mapping = _Mapping(event, self._queues[event.event_name], runtime, self._api,
                               region=self._region, max_in_flight=cap)
            mapping.start()
            self._mappings.append(mapping)
            LOG.info("%s polls %s (batch %d, up to %d in flight%s)", event.function_id,
                     mapping.queue.name, event.batch_size, cap,
                     ", partial batch responses" if event.report_batch_item_failures else "")

    async def invoke_function(self, logical_id: str, event: dict[str, Any]) -> InvocationResult:
        """Invoke one of ``functions`` directly (the local Lambda Invoke API)."""
        runtime = self._runtimes.get(logical_id)
        if runtime is None:
            raise KeyError(f"{logical_id!r} is not a function triggered by a queue")
        return await runtime.invoke(event)

    def worker_pids(self) -> list[int]:
        """Process ids of every live execution environment of these functions."""
        return [pid for rt in self._runtimes.values() for pid in rt.pids]

    async def stop(self) -> None:
        """Stop polling, let batches in flight finish (briefly), stop the environments."""
        grace = min(max((s.timeout for s in self._specs.values()), default=0.0),
                    _STOP_GRACE_MAX)
        await asyncio.gather(*(m.stop(grace) for m in self._mappings))
        await asyncio.gather(*(rt.stop() for rt in self._runtimes.values()))
        await asyncio.gather(*(m.finish() for m in self._mappings))
        await self._api.close()
        self._mappings.clear()
        self._runtimes.clear()


def _queue_of(event: SqsEventSpec, queues: Mapping[str, QueueInfo]) -> QueueInfo:
    """The queue an event's ``Queue`` names (``!GetAtt Q.Arn``, or an ARN of a queue here)."""
    from localcloud.queues import queue_refs
    from localcloud.template import resolve

    by_arn = {info.arn: info for info in queues.values()}
    try:
        arn = resolve(event.queue, queue_refs(queues))
    except KeyError as err:
        raise ValueError(f"{event.function_id}.Events.{event.event_name}: Queue names no queue "
                         f"of the template ({err})") from err
    if arn not in by_arn:
        raise ValueError(f"{event.function_id}.Events.{event.event_name}: Queue {arn!r} is not "
                         "a queue of the template")
    return by_arn[arn]
