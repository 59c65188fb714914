"""Count every boto3 call, its billable size and its time, by hooking botocore's events.

This module owns the ``Meter``: attached to boto3 clients, it records one ``Call`` per API call
(``before-parameter-build``, so botocore's retries do not add to the count) with the units it
bills, priced later with ``operations.costs.prices``:

- Comprehend Detect*: ``comprehend.unit`` = max(3, ceil(characters / 100)) per document;
- TranslateText: ``translate.character`` = the source text's characters (none when source and
  target are the same language: Translate does not bill those);
- PostToConnection: ``apigateway.message`` in 32 KB increments of the posted data;
- DynamoDB: ``dynamodb.wru`` / ``dynamodb.rru`` computed from item sizes with DynamoDB's rules
  (``item_size``). moto does return ConsumedCapacity when asked, but as a constant (1.0 per write,
  0.5 per read) whatever the size, so the meter computes units itself. Writes: PutItem from the
  item, UpdateItem from the request (key + values; every item of this app is under 1 KB), plus
  one unit per write for each table named in ``gsi_tables`` (an index that holds the item).
  Reads: GetItem / Query from the items returned, halved unless ``ConsistentRead``.
- SQS: ``sqs.fifo.request`` (a queue URL ending in ``.fifo``) or ``sqs.standard.request``, one per
  started 64 KB chunk of the call's payload: SendMessage(Batch) from the bodies sent,
  ReceiveMessage from the bodies received (an empty receive is 1), every other call 1.

It also times each request from ``before-send`` to ``after-call`` (the network part, or a fake's
latency, plus parsing), per thread, for the "AWS calls vs our code" split of the benchmarks.
A ``before-send`` responder registered on ``before-send`` or ``before-send.<service>`` runs after
the timer; a Stubber answers at ``before-call``, so stubbed calls have no request time.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from operations.costs.prices import (
    Units,
    apigateway_messages,
    comprehend_units,
    dynamodb_read_units,
    dynamodb_write_units,
    sqs_requests,
)

__all__ = ["Call", "Meter", "item_size"]

COMPREHEND_OPERATIONS = frozenset(
    {"DetectDominantLanguage", "DetectSentiment", "DetectEntities", "DetectKeyPhrases"}
)


def _value_size(value: Mapping[str, Any]) -> int:
    """Bytes DynamoDB counts for one typed attribute value (low-level client shape)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        digits = str(data).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(data) if isinstance(data, bytes | bytearray) else len(str(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + _value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in data)
    if kind == "SS":
        return sum(len(str(v).encode("utf-8")) for v in data)
    if kind == "NS":
        return sum(_value_size({"N": v}) for v in data)
    if kind == "BS":
        return sum(len(v) for v in data)
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values, in bytes."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


@dataclass
class Call:
    """One API call: what it was, what it bills, how long its request took."""

    service: str
    operation: str
    table: str | None = None
    units: Units = field(default_factory=Units)
    sent_at: float | None = None  # perf_counter at before-send
    done_at: float | None = None  # perf_counter at after-call

    @property
    def aws_seconds(self) -> float:
        """Time from sending the request to its parsed answer (0 when not sent, e.g. stubbed)."""
        if self.sent_at is None or self.done_at is None:
            return 0.0
        return self.done_at - self.sent_at


class Meter:
    """Counts calls of the clients it is attached to (thread-safe)."""

    def __init__(self, *, gsi_tables: Iterable[str] = ()) -> None:
        self.calls: list[Call] = []
        self._gsi_tables = frozenset(gsi_tables)
        self.lock = threading.Lock()
        self._local = threading.local()

    # Attaching ------------------------------------------------------------------------------

    def attach(self, client: Any, service: str) -> None:
        """Count ``client``'s calls under ``service`` (e.g. "dynamodb")."""
        events = client.meta.events
        events.register(f"before-parameter-build.{service}", self._before_build)
        # ".*" is deeper than any "before-send[.service]" responder (a fake, moto), so it runs
        # before the one that answers.
        events.register_first(f"before-send.{service}.*", self._before_send)
        events.register(f"after-call.{service}", self._after_call)

    # Results --------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every call so far."""
        with self.lock:
            self.calls.clear()

    def snapshot(self) -> list[Call]:
        """A copy of the calls so far."""
        with self.lock:
            return list(self.calls)

    def units(self) -> Units:
        """Billable units by line item (see operations.costs.prices.PRICES)."""
        total = Units()
        for call in self.snapshot():
            total.merge(call.units)
        return total

    def operations(self) -> Counter[str]:
        """Calls by ``service:Operation``."""
        return Counter(f"{c.service}:{c.operation}" for c in self.snapshot())

    def aws_seconds(self) -> float:
        """Summed request time of every call (concurrent calls overlap: this is not wall time)."""
        return sum(c.aws_seconds for c in self.snapshot())

    def aws_wall_seconds(self) -> float:
        """Wall time during which at least one request was in flight (overlaps merged)."""
        spans = sorted(
            (c.sent_at, c.done_at)
            for c in self.snapshot()
            if c.sent_at is not None and c.done_at is not None
        )
        total, end = 0.0, float("-inf")
        for start, stop in spans:
            if stop <= end:
                continue
            total += stop - max(start, end)
            end = stop
        return total

    # Hooks ----------------------------------------------------------------------------------

    def _before_build(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        service = model.service_model.endpoint_prefix
        service = {"execute-api": "apigatewaymanagementapi"}.get(service, service)
        call = Call(service=service, operation=model.name, table=params.get("TableName"))
        self._bill_request(call, params)
        self._local.call = call
        self._local.params = params
        with self.lock:
            self.calls.append(call)

    def _before_send(self, **_: Any) -> None:
        call: Call | None = getattr(self._local, "call", None)
        if call is not None:
            call.sent_at = time.perf_counter()

    def _after_call(self, parsed: Mapping[str, Any], model: Any, **_: Any) -> None:
        call: Call | None = getattr(self._local, "call", None)
        if call is None or call.operation != model.name:
            return
        if call.sent_at is not None:
            call.done_at = time.perf_counter()
        params = getattr(self._local, "params", {}) or {}
        consistent = bool(params.get("ConsistentRead"))
        if call.operation == "GetItem":
            size = item_size(parsed.get("Item") or {})
            call.units["dynamodb.rru"] += dynamodb_read_units(size, consistent=consistent)
        elif call.operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in parsed.get("Items", []))
            call.units["dynamodb.rru"] += dynamodb_read_units(size, consistent=consistent)
        elif call.operation == "ReceiveMessage":
            size = sum(len(str(m.get("Body", "")).encode()) for m in parsed.get("Messages", []))
            call.units[_sqs_line(params)] += sqs_requests(size)
        self._local.call = None

    def _bill_request(self, call: Call, params: Mapping[str, Any]) -> None:
        operation = call.operation
        if call.service == "sqs":
            _bill_sqs(call, params)
        elif operation in COMPREHEND_OPERATIONS:
            call.units["comprehend.unit"] += comprehend_units(len(params.get("Text", "")))
        elif operation == "TranslateText":
            if params.get("SourceLanguageCode") != params.get("TargetLanguageCode"):
                call.units["translate.character"] += len(params.get("Text", ""))
        elif operation == "PostToConnection":
            data = params.get("Data", b"")
            size = len(data if isinstance(data, bytes | bytearray) else str(data).encode())
            call.units["apigateway.message"] += apigateway_messages(size)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            if operation == "PutItem":
                size = item_size(params.get("Item", {}))
            elif operation == "UpdateItem":
                size = item_size(params.get("Key", {})) + item_size(
                    params.get("ExpressionAttributeValues", {})
                )
            else:
                size = item_size(params.get("Key", {}))
            units = dynamodb_write_units(size)
            if call.table in self._gsi_tables:
                units += 1
            call.units["dynamodb.wru"] += units


def _bill_sqs(call: Call, params: Mapping[str, Any]) -> None:
    """SendMessage(Batch) by its bodies' 64 KB chunks; ReceiveMessage later, from its answer."""
    if call.operation == "SendMessageBatch":
        entries = params.get("Entries", [])
        size = sum(len(str(e.get("MessageBody", "")).encode()) for e in entries)
        call.units[_sqs_line(params)] += sqs_requests(size)
    elif call.operation == "SendMessage":
        size = len(str(params.get("MessageBody", "")).encode())
        call.units[_sqs_line(params)] += sqs_requests(size)
    elif call.operation != "ReceiveMessage":  # billed from its answer (_after_call)
        call.units[_sqs_line(params)] += 1


def _sqs_line(params: Mapping[str, Any]) -> str:
    """The price line of an SQS call: FIFO queues' URLs end in ".fifo"."""
    fifo = str(params.get("QueueUrl", "")).endswith(".fifo")
    return "sqs.fifo.request" if fifo else "sqs.standard.request"
