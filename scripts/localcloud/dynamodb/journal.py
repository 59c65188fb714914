"""The write-ahead journal of the local DynamoDB: accepted writes, durable before they are answered.

This module owns the journal file's format and its durability rules. One record per line::

    <crc32 of the JSON: 8 hex digits> <JSON {"seq": n, "op": "PutItem", "body": "<request>"}>\\n

- ``append`` writes and flushes a record to the OS (so it survives the server process being
  killed); ``sync`` fsyncs it (so it survives the machine losing power). ``sync`` is a group
  commit: one fsync covers every record appended before it, so concurrent writers share fsyncs.
- ``read_journal`` returns the valid prefix of a journal. A torn last line (the process was
  killed mid-write) is expected and ignored; damage before the end stops the replay at the last
  good record, and the unreadable rest is kept beside the journal for inspection, never deleted.
- Sequence numbers only grow; a snapshot records the last one it contains, so replay after a
  crash between "snapshot written" and "journal trimmed" never applies a write twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["Journal", "JournalRecord", "JournalScan", "read_journal"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalRecord:
    """One accepted write: its sequence number, DynamoDB operation and raw request body."""

    seq: int
    op: str
    body: str


@dataclass(frozen=True)
class JournalScan:
    """What ``read_journal`` found: the good records and where the good part ends."""

    records: list[JournalRecord]
    valid_bytes: int
    total_bytes: int

    @property
    def damaged(self) -> bool:
        """True when bytes past the last good record exist (torn or corrupt tail)."""
        return self.valid_bytes < self.total_bytes


def encode_record(record: JournalRecord) -> bytes:
    """The journal line of ``record`` (checksum, space, JSON, newline)."""
    payload = json.dumps(
        {"seq": record.seq, "op": record.op, "body": record.body}, separators=(",", ":")
    ).encode()
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def _decode_line(line: bytes) -> JournalRecord | None:
    """The record of one complete line (without its newline), or None if it is damaged."""
    checksum, sep, payload = line.partition(b" ")
    if not sep or len(checksum) != 8:
        return None
    try:
        if int(checksum, 16) != zlib.crc32(payload):
            return None
        data = json.loads(payload)
        return JournalRecord(seq=int(data["seq"]), op=str(data["op"]), body=str(data["body"]))
    except (ValueError, KeyError, TypeError):
        return None


def _lines(data: bytes) -> Iterator[tuple[int, bytes | None]]:
    """(end offset, line) for each complete line; a final unterminated piece yields None."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield len(data), None
            return
        yield end + 1, data[start:end]
        start = end + 1


def read_journal(path: Path) -> JournalScan:
    """Read the valid prefix of the journal at ``path`` (missing file = empty journal)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return JournalScan(records=[], valid_bytes=0, total_bytes=0)
    records: list[JournalRecord] = []
    valid = 0
    last_seq = 0
    for end, line in _lines(data):
        record = _decode_line(line) if line is not None else None
        if record is None or record.seq <= last_seq:
            break
        records.append(record)
        last_seq = record.seq
        valid = end
    return JournalScan(records=records, valid_bytes=valid, total_bytes=len(data))


def repair_journal(path: Path, scan: JournalScan) -> None:
    """Cut a damaged journal back to its valid prefix, keeping any corrupt middle aside.

    A torn last line (no newline: the writer was killed mid-record) is dropped with a warning. A
    bad record followed by more data is corruption: everything from it on is copied to
    ``<journal>.corrupt-<time>`` and reported as an error before the journal is cut.
    """
    if not scan.damaged:
        return
    with path.open("r+b") as handle:
        handle.seek(scan.valid_bytes)
        tail = handle.read()
        torn_last_line = b"\n" not in tail
        if torn_last_line:
            logger.warning(
                "journal %s: ignored a torn last record (%d bytes): the server stopped mid-write",
                path,
                len(tail),
            )
        else:
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
            aside.write_bytes(tail)
            logger.error(
                "journal %s: damaged record after %d good ones; %d bytes kept in %s, not replayed",
                path,
                len(scan.records),
                len(tail),
                aside,
            )
        handle.truncate(scan.valid_bytes)
        handle.flush()
        os.fsync(handle.fileno())


class Journal:
    """An append-only journal file with group-committed fsyncs.

    ``append`` must be called by one thread at a time (the store's lock); ``sync`` may be called
    concurrently from any thread and returns once the given record is on disk.
    """

    def __init__(self, path: Path, *, next_seq: int, fsync: bool = True) -> None:
        self.path = path
        self._fsync = fsync
        self._handle: BinaryIO = path.open("ab")
        self._next_seq = next_seq
        self._written_seq = next_seq - 1
        self._synced_seq = next_seq - 1
        self._sync_lock = threading.Lock()
        self.records = 0
        self.size = self._handle.tell()

    @property
    def last_seq(self) -> int:
        """The sequence number of the last record appended (0 if none ever was)."""
        return self._written_seq

    def append(self, op: str, body: str) -> int:
        """Write one record and hand it to the OS; return its sequence number."""
        seq = self._next_seq
        line = encode_record(JournalRecord(seq=seq, op=op, body=body))
        self._handle.write(line)
        self._handle.flush()
        self._next_seq = seq + 1
        self._written_seq = seq
        self.records += 1
        self.size += len(line)
        return seq

    def sync(self, seq: int) -> None:
        """Return once record ``seq`` (and all before it) is on stable storage."""
        if not self._fsync:
            return
        with self._sync_lock:
            if self._synced_seq >= seq:
                return  # another writer's fsync already covered this record
            target = self._written_seq  # everything up to here has been flushed
            os.fsync(self._handle.fileno())
            self._synced_seq = target

    def restart_after(self, offset: int) -> None:
        """Keep only the bytes from ``offset`` on (records newer than a snapshot), durably.

        Called with appends stopped (under the store's lock); the kept tail is written to a new
        file that atomically replaces the journal.
        """
        with self._sync_lock:
            self._handle.flush()
            with self.path.open("rb") as old:
                old.seek(offset)
                tail = old.read()
            temp = self.path.with_name(self.path.name + ".tmp")
            with temp.open("wb") as new:
                new.write(tail)
                new.flush()
                os.fsync(new.fileno())
            self._handle.close()
            temp.replace(self.path)
            fsync_dir(self.path.parent)
            self._handle = self.path.open("ab")
            self._synced_seq = self._written_seq
            self.records = tail.count(b"\n")
            self.size = len(tail)

    def close(self) -> None:
        """Flush, fsync and close the file (idempotent)."""
        if self._handle.closed:
            return
        self._handle.flush()
        if self._fsync:
            os.fsync(self._handle.fileno())
        self._handle.close()


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (no-op where directories cannot be fsynced)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
