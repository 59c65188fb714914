"""The durable DynamoDB store: moto's DynamoDB as a WSGI app, with a journal and snapshots.

This module owns what happens to a request between the HTTP server and moto, and the data
folder's layout::

    <data_dir>/LOCK              held (flock) while a server uses the folder
    <data_dir>/snapshot.jsonl    every table's schema and items as of journal record ``seq``
    <data_dir>/journal.log       the writes accepted since (see ``journal``)

Rules:

- Every request runs under one lock (moto is not thread-safe); a write that moto accepts (HTTP
  200) is appended to the journal under that lock, so the journal's order is the order moto
  applied the writes, and it is on disk before the response leaves (group-committed fsync).
  Refused writes (validation errors, failed conditions) are never journaled.
- Requests are replayed exactly as received: the handler computes its own timestamps and ids,
  so a replay rebuilds the same state.
- One region and one account per server, whatever the client signs with: the Lambda, the tests
  and a developer's CLI all see the same tables (like DynamoDB Local's ``-sharedDb``).
- Startup: tables from the template (its schema wins), then the snapshot's other tables, then
  the snapshot's items, then the journal's newer records; a torn last record is dropped.
- Compaction (on clean stop, and when the journal passes a threshold) writes a new snapshot
  atomically (temp file, fsync, rename) and trims the journal to what is newer.
"""

from __future__ import annotations

import base64
import fcntl
import gzip
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from botocore.session import get_session
from moto.core.request import Request
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.responses import DynamoHandler

from ..template import TableSpec
from .journal import Journal, fsync_dir, read_journal, repair_journal
from .speedups import install_speedups

__all__ = [
    "JOURNALED_OPERATIONS",
    "DataDirError",
    "DurableStore",
    "StartupReport",
]

logger = logging.getLogger(__name__)

TARGET_PREFIX = "DynamoDB_20120810."
SNAPSHOT_FORMAT = "positive-chat/localcloud-dynamodb-snapshot"
SNAPSHOT_VERSION = 1

#: Operations that change data or tables: journaled when moto answers 200.
JOURNALED_OPERATIONS = frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
        "CreateTable",
        "UpdateTable",
        "DeleteTable",
        "UpdateTimeToLive",
    }
)

_OPERATIONS = frozenset(get_session().get_service_model("dynamodb").operation_names)
_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})

_accounts_lock = threading.Lock()
_accounts_in_use: set[str] = set()


def _claim_account() -> str:
    """A moto account id no other store in this process uses (moto's backends are global)."""
    with _accounts_lock:
        number = 123456789012  # moto's default account first: ARNs look familiar
        while str(number) in _accounts_in_use:
            number += 1
        account = str(number)
        _accounts_in_use.add(account)
        return account


def _release_account(account: str) -> None:
    with _accounts_lock:
        _accounts_in_use.discard(account)
        dynamodb_backends.pop(account, None)


class DataDirError(RuntimeError):
    """The data folder cannot be used: locked by another server, or its snapshot is unreadable."""


@dataclass(frozen=True)
class StartupReport:
    """What ``DurableStore.open`` restored, for logs and tests."""

    snapshot_items: int
    journal_records: int
    replay_failures: int
    rejected_items: int
    torn_journal: bool
    seconds: float


@dataclass(frozen=True)
class Response:
    """An HTTP answer: status, headers and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"__type": _ERROR_PREFIX + code, "message": message}).encode()
    return Response(status, [("Content-Type", "application/x-amz-json-1.0")], body)


class DurableStore:
    """moto's DynamoDB for one server, persisted in ``data_dir`` (None: memory only).

    A WSGI application: ``store(environ, start_response)``. Call ``open()`` before serving and
    ``close()`` after (snapshot + release the folder).
    """

    def __init__(
        self,
        *,
        data_dir: Path | None,
        table_specs: Mapping[str, TableSpec],
        region: str = "us-east-1",
        fsync: bool = True,
        compact_after_records: int = 20_000,
        compact_after_bytes: int = 64 * 1024 * 1024,
        fast_query: bool = True,
    ) -> None:
        self.data_dir = data_dir
        self.region = region
        self.table_specs = dict(table_specs)
        self._fsync = fsync
        self._compact_after_records = compact_after_records
        self._compact_after_bytes = compact_after_bytes
        self._lock = threading.Lock()
        self._account = _claim_account()
        self._journal: Journal | None = None
        self._lock_file: IO[bytes] | None = None
        self._compact_lock = threading.Lock()  # one compaction at a time
        self._compacting = threading.Event()
        self._compactor: threading.Thread | None = None
        self._opened = False
        self._closed = False
        if fast_query:
            install_speedups()  # process-wide; off only to measure stock moto

    # --- paths ----------------------------------------------------------------------------------
    @property
    def snapshot_path(self) -> Path | None:
        """The snapshot file, or None in memory-only mode."""
        return self.data_dir / "snapshot.jsonl" if self.data_dir else None

    @property
    def journal_path(self) -> Path | None:
        """The journal file, or None in memory-only mode."""
        return self.data_dir / "journal.log" if self.data_dir else None

    # --- lifecycle -------------------------------------------------------------------------------
    def open(self) -> StartupReport:
        """Create the tables and restore the data; returns what was restored."""
        started = time.perf_counter()
        if self._opened:
            raise RuntimeError("store already opened")
        self._opened = True
        snapshot: _Snapshot | None = None
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._lock_data_dir(self.data_dir)
            snapshot = _read_snapshot(self.data_dir / "snapshot.jsonl")
        with self._lock:
            self._create_tables(snapshot)
            loaded, rejected = self._load_items(snapshot)
            replayed = failures = 0
            torn = False
            if self.data_dir is not None:
                journal_path = self.data_dir / "journal.log"
                scan = read_journal(journal_path)
                torn = scan.damaged
                repair_journal(journal_path, scan)
                floor = snapshot.seq if snapshot else 0
                for record in scan.records:
                    if record.seq <= floor:
                        continue  # already in the snapshot (crash after snapshot, before trim)
                    replayed += 1
                    if record.op == "PutItem" and self._replay_put(record.body):
                        continue
                    answer = self._dispatch(record.op, record.body.encode())
                    if answer.status != 200:
                        failures += 1
                        logger.warning(
                            "journal record %d (%s) no longer applies: %s",
                            record.seq,
                            record.op,
                            answer.body[:300].decode(errors="replace"),
                        )
                last = max([floor, *(r.seq for r in scan.records)])
                self._journal = Journal(journal_path, next_seq=last + 1, fsync=self._fsync)
        report = StartupReport(
            snapshot_items=loaded,
            journal_records=replayed,
            replay_failures=failures,
            rejected_items=rejected,
            torn_journal=torn,
            seconds=time.perf_counter() - started,
        )
        logger.info(
            "dynamodb restored %d items from the snapshot and %d journal records in %.2f s",
            loaded,
            replayed,
            report.seconds,
        )
        return report

    def close(self) -> None:
        """Snapshot the data, trim the journal and release the folder (idempotent)."""
        if self._closed or not self._opened:
            return
        if self._compactor is not None:
            self._compactor.join()
        self.compact()
        with self._lock:
            self._closed = True
            if self._journal is not None:
                self._journal.close()  # anything written after the snapshot stays journaled
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None
        _release_account(self._account)

    def compact(self) -> None:
        """Write a snapshot and trim the journal (no-op in memory-only mode).

        Requests wait only while the items are serialized (~1 s per 100k items); the fsync and
        rename happen with requests flowing, and the journal is trimmed up to what the snapshot
        holds, keeping records that arrived meanwhile.
        """
        if self._journal is None or self.data_dir is None:
            return
        with self._compact_lock:
            started = time.perf_counter()
            target = self.data_dir / "snapshot.jsonl"
            temp = target.with_name(target.name + ".tmp")
            with self._lock:
                if self._closed:
                    return
                seq = self._journal.last_seq
                offset = self._journal.size
                items = self._write_snapshot(temp, seq)
            paused = time.perf_counter() - started
            with temp.open("rb") as written:
                os.fsync(written.fileno())
            temp.replace(target)
            fsync_dir(self.data_dir)
            with self._lock:
                self._journal.restart_after(offset)
        logger.info(
            "dynamodb snapshot: %d items at journal record %d in %.2f s (requests paused %.2f s)",
            items,
            seq,
            time.perf_counter() - started,
            paused,
        )

    # --- WSGI ------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Serve one DynamoDB JSON request (or GET / health check)."""
        answer = self.handle(environ)
        headers = [*answer.headers, ("Content-Length", str(len(answer.body)))]
        start_response(f"{answer.status} {_REASONS.get(answer.status, 'Status')}", headers)
        return [answer.body]

    def handle(self, environ: Mapping[str, Any]) -> Response:
        """The response to one WSGI request."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET" and environ.get("PATH_INFO", "/") in ("", "/"):
            return Response(200, [("Content-Type", "text/plain")], b"healthy: dynamodb.localcloud")
        if method != "POST":
            return _error(405, "UnknownOperationException", "DynamoDB takes POST requests")
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        op = target.removeprefix(TARGET_PREFIX)
        if not target.startswith(TARGET_PREFIX) or op not in _OPERATIONS:
            return _error(400, "UnknownOperationException", f"unknown operation {target!r}")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error(400, "SerializationException", "bad Content-Length")
        body: bytes = environ["wsgi.input"].read(length) if length > 0 else b"{}"
        if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                return _error(400, "SerializationException", "body is not valid gzip")
        return self.execute(op, body)

    def execute(self, op: str, body: bytes) -> Response:
        """Run one operation; a write moto accepts is durable before this returns."""
        seq = 0
        with self._lock:
            if self._closed:
                return _error(503, "ServiceUnavailable", "the local DynamoDB is shutting down")
            answer = self._dispatch(op, body)
            if answer.status == 200 and op in JOURNALED_OPERATIONS and self._journal is not None:
                try:
                    seq = self._journal.append(op, body.decode())
                except (OSError, UnicodeDecodeError) as err:
                    logger.exception("journal append failed for %s", op)
                    return _error(500, "InternalServerError", f"journal write failed: {err}")
        if seq:
            try:
                self._journal.sync(seq)  # type: ignore[union-attr]
            except OSError as err:
                logger.exception("journal fsync failed")
                return _error(500, "InternalServerError", f"journal fsync failed: {err}")
            self._maybe_compact()
        return answer

    # --- internals -------------------------------------------------------------------------------
    def _dispatch(self, op: str, body: bytes) -> Response:
        """Hand one request to moto (caller holds the lock)."""
        request = Request.from_values(
            method="POST",
            base_url="http://dynamodb.localcloud",
            path="/",
            data=body,
            headers=[
                ("Content-Type", "application/x-amz-json-1.0"),
                ("X-Amz-Target", TARGET_PREFIX + op),
                ("Authorization", self._authorization),
                ("x-moto-account-id", self._account),
            ],
        )
        try:
            status, headers, content = DynamoHandler.dispatch(
                request, "http://dynamodb.localcloud/", {}
            )
        except Exception as err:  # moto raising is a bug or a gap in moto, never a crash here
            logger.exception("moto failed on %s", op)
            return _error(500, "InternalServerError", f"{type(err).__name__}: {err}")
        if isinstance(content, str):
            content = content.encode()
        out = [(k, str(v)) for k, v in headers.items() if k.lower() not in _HOP_BY_HOP]
        if not any(k.lower() == "content-type" for k, _ in out):
            out.append(("Content-Type", "application/x-amz-json-1.0"))
        return Response(int(status), out, content or b"")

    @property
    def _authorization(self) -> str:
        # moto reads the region from the credential scope; the signature itself is not checked.
        return (
            f"AWS4-HMAC-SHA256 Credential=localcloud/20240101/{self.region}/dynamodb/aws4_request,"
            " SignedHeaders=host, Signature=0"
        )

    @property
    def _backend(self) -> Any:
        return dynamodb_backends[self._account][self.region]

    def _call(self, op: str, payload: Mapping[str, Any]) -> None:
        answer = self._dispatch(op, json.dumps(payload).encode())
        if answer.status != 200:
            raise RuntimeError(f"{op} failed: {answer.body.decode(errors='replace')}")

    def _create_tables(self, snapshot: _Snapshot | None) -> None:
        for name, spec in self.table_specs.items():
            self._call("CreateTable", spec.create_table_kwargs(name))
            if spec.ttl_attribute:
                self._call("UpdateTimeToLive", _ttl_request(name, spec.ttl_attribute))
        for table in snapshot.tables if snapshot else []:
            if table["name"] in self.table_specs:
                continue  # the template is the schema's source of truth
            self._call("CreateTable", table["create"])
            if table.get("ttl"):
                self._call("UpdateTimeToLive", _ttl_request(table["name"], table["ttl"]))

    def _load_items(self, snapshot: _Snapshot | None) -> tuple[int, int]:
        if snapshot is None:
            return 0, 0
        tables = self._backend.tables
        loaded = 0
        rejected: list[str] = []
        for line in snapshot.item_lines():
            record = json.loads(line)
            table = tables.get(record["t"])
            try:
                if table is None:
                    raise KeyError(f"no table {record['t']}")
                _restore_item(table, record["i"])
                loaded += 1
            except Exception as err:  # keep the item, report it, carry on
                rejected.append(json.dumps({**record, "error": str(err)}))
        if rejected and self.data_dir is not None:
            aside = self.data_dir / f"rejected-{time.strftime('%Y%m%dT%H%M%S')}.jsonl"
            aside.write_text("\n".join(rejected) + "\n", encoding="utf-8")
            logger.error(
                "%d snapshot items no longer fit the template's tables; kept in %s",
                len(rejected),
                aside,
            )
        return loaded, len(rejected)

    def _replay_put(self, body: str) -> bool:
        """Re-apply an accepted PutItem straight into moto (7x quicker than a request).

        Exact: the write was accepted once, so any condition held in this same state, and the
        resulting state is the item stored. Returns False to fall back to a full request.
        """
        try:
            request = json.loads(body)
            table = self._backend.tables.get(request["TableName"])
            if table is None:
                return False
            _restore_item(table, request["Item"])
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return False
        return True

    def _maybe_compact(self) -> None:
        journal = self._journal
        if journal is None or self._compacting.is_set():
            return
        if (
            journal.records < self._compact_after_records
            and journal.size < self._compact_after_bytes
        ):
            return
        self._compacting.set()

        def run() -> None:
            try:
                self.compact()
            except OSError:
                logger.exception("background compaction failed; the journal keeps everything")
            finally:
                self._compacting.clear()

        self._compactor = threading.Thread(target=run, name="dynamodb-compact", daemon=True)
        self._compactor.start()

    def _write_snapshot(self, temp: Path, seq: int) -> int:
        """Serialize every table and item to ``temp`` (caller holds the lock); returns items."""
        items = 0
        with temp.open("w", encoding="utf-8") as out:
            tables = list(self._backend.tables.values())
            header = {
                "format": SNAPSHOT_FORMAT,
                "version": SNAPSHOT_VERSION,
                "seq": seq,
                "tables": [_table_schema(t) for t in tables],
            }
            out.write(json.dumps(header) + "\n")
            for table in tables:
                prefix = '{"t":' + json.dumps(table.name) + ',"i":'
                for item in _iter_items(table):
                    attrs = {name: _dump_value(value) for name, value in item.attrs.items()}
                    out.write(prefix + json.dumps(attrs, separators=(",", ":")) + "}\n")
                    items += 1
            out.write(json.dumps({"end": True, "items": items}) + "\n")
        return items

    def _lock_data_dir(self, data_dir: Path) -> None:
        handle = (data_dir / "LOCK").open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            handle.seek(0)
            owner = handle.read().decode(errors="replace").strip() or "?"
            handle.close()
            raise DataDirError(
                f"{data_dir} is in use by another local DynamoDB (pid {owner})"
            ) from err
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._lock_file = handle


_REASONS = {
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _ttl_request(table: str, attribute: str) -> dict[str, Any]:
    return {
        "TableName": table,
        "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": True},
    }


def _restore_item(table: Any, attrs: dict[str, Any]) -> None:
    """Put one snapshot item back into a moto table, as PutItem would store it.

    Items in a snapshot were accepted once, so the per-attribute 400 KB re-check that moto's
    PutItem runs (quadratic in the number of attributes, ~60% of a restore) is skipped; the
    key checks stay, since the template's key schema may have changed since.
    """
    values = {name: DynamoType(_load_value(value)) for name, value in attrs.items()}
    hash_value = values.get(table.hash_key_attr)
    if hash_value is None or hash_value.type != table.hash_key_type:
        raise ValueError(f"no {table.hash_key_type} partition key {table.hash_key_attr!r}")
    range_value = None
    if table.range_key_attr is not None:
        range_value = values.get(table.range_key_attr)
        if range_value is None or range_value.type != table.range_key_type:
            raise ValueError(f"no {table.range_key_type} sort key {table.range_key_attr!r}")
    item = Item(hash_value, range_value, {})
    dict.update(item.attrs, values)  # plain dict update: no per-attribute size re-check
    if range_value is not None:
        table.items[hash_value][range_value] = item
    else:
        table.items[hash_value] = item


def _dump_value(value: Any) -> dict[str, Any]:
    """A moto attribute value as DynamoDB JSON (binary as base64, like the wire)."""
    kind, raw = value.type, value.value
    if kind == "M":
        return {"M": {k: _dump_value(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_dump_value(v) for v in raw]}
    if kind == "B":
        return {"B": _b64(raw)}
    if kind == "BS":
        return {"BS": [_b64(v) for v in raw]}
    return {kind: raw}


def _b64(raw: bytes | str) -> str:
    return base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw


def _load_value(value: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB JSON as moto stores it after parsing a request (binary as bytes)."""
    ((kind, raw),) = value.items()
    if kind == "M":
        return {"M": {k: _load_value(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_load_value(v) for v in raw]}
    if kind == "B":
        return {"B": base64.b64decode(raw)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in raw]}
    return {kind: raw}


def _iter_items(table: Any) -> Iterator[Any]:
    """Every item of a moto table, without moto's all_items() sort."""
    for bucket in list(table.items.values()):
        if table.range_key_attr is not None:
            yield from list(bucket.values())
        else:
            yield bucket


def _table_schema(table: Any) -> dict[str, Any]:
    """A moto table as the CreateTable request that rebuilds it (and its TTL attribute)."""
    described = table.describe()["TableDescription"]
    create: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": described["KeySchema"],
        "AttributeDefinitions": described["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = [
            {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
            for index in described.get(key) or []
        ]
        if indexes:
            create[key] = indexes
    ttl = table.ttl.get("AttributeName") if table.ttl.get("TimeToLiveStatus") == "ENABLED" else None
    return {"name": table.name, "create": create, "ttl": ttl}


@dataclass(frozen=True)
class _Snapshot:
    """A snapshot file that passed its checks: header fields and a way to stream its items."""

    path: Path
    seq: int
    tables: list[dict[str, Any]]
    items: int

    def item_lines(self) -> Iterable[str]:
        with self.path.open(encoding="utf-8") as handle:
            next(handle)  # header
            for line in handle:
                if line.startswith('{"t":'):
                    yield line


def _read_snapshot(path: Path) -> _Snapshot | None:
    """Check the snapshot at ``path`` (None if there is none); DataDirError if it is damaged.

    A damaged snapshot stops the start: starting empty would overwrite the data at the next stop.
    """
    if not path.exists():
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            header = json.loads(next(handle))
            last = ""
            count = 0
            for line in handle:
                last = line
                count += 1
        if header.get("format") != SNAPSHOT_FORMAT or header.get("version") != SNAPSHOT_VERSION:
            raise ValueError("not a local DynamoDB snapshot (format/version)")
        trailer = json.loads(last)
        if trailer.get("end") is not True or trailer.get("items") != count - 1:
            raise ValueError("incomplete snapshot (no matching end record)")
    except (OSError, ValueError, StopIteration, AttributeError) as err:
        raise DataDirError(f"{path} is damaged ({err}); move it away to start without it") from err
    return _Snapshot(path=path, seq=int(header["seq"]), tables=header["tables"], items=count - 1)
