"""Two exact speed-ups for moto's DynamoDB: a per-partition Query index and a fast item encoder.

1. Query. moto 5 answers ``Query`` on a table's key by sorting EVERY item of the table, then
   filtering on the partition key, with Python-level comparisons (~6 µs per stored item: the
   chat's join Query took ~0.6-0.7 s at 100k stored messages). Here each partition keeps its sort
   keys in order (cached, rebuilt only when the partition gains or loses a key), and moto's own
   ``query`` is handed only the items it can return: those after ``ExclusiveStartKey``, matching
   the sort-key condition, in the scan direction, up to ``Limit`` + 1 (or past 1 MB). moto then
   runs its usual code on that short list, so conditions, filters, projections, paging and errors
   are moto's: the result is identical by construction. Left to moto as before: index (GSI/LSI)
   queries, legacy ``QueryFilter``, tables without a sort key. Index queries still read every
   item but skip moto's whole-table sort (moto sorts the matches again by index key).
2. Response encoding. moto's generic serializer walks botocore's shape model for every attribute
   of every item (~1 ms per item: ~60 ms for a 60-message page). An ``AttributeValue`` is
   already JSON-shaped, so it is encoded directly with moto's rules (strings, base64 binary).

This module owns these two patches, installed once per process by ``install_speedups``. Both
lean on moto internals, so before patching it checks the installed moto: its version must be one
these patches were verified on (``TESTED_MOTO``; the lock file pins one) and every method they
replace or call must have the signature they were written for (``EXPECTED_SIGNATURES``). On any
mismatch nothing is patched: moto answers as stock (same answers, slower Query at scale) and a
``SpeedupsUnavailable`` warning says why, so a new moto can neither break a query nor silently
turn the speed-up off.
"""

from __future__ import annotations

import inspect
import re
import threading
import warnings
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from importlib import metadata
from typing import Any

from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models import table as table_module
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

__all__ = [
    "EXPECTED_SIGNATURES",
    "TESTED_MOTO",
    "SpeedupsUnavailable",
    "compatibility_problems",
    "install_speedups",
    "speedups_active",
]

# moto releases these patches were verified on: [5.1, 5.3). Raise the bound after running
# tests/localcloud (test_speedups*, test_dynamodb) on a new release.
TESTED_MOTO = ((5, 1), (5, 3))
# What the patches replace or call, by parameter names (``**name`` = keyword catch-all).
EXPECTED_SIGNATURES: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "Table.query": (
        lambda: Table.query,
        (
            "self",
            "hash_key",
            "range_comparison",
            "range_objs",
            "limit",
            "exclusive_start_key",
            "scan_index_forward",
            "projection_expressions",
            "index_name",
            "consistent_read",
            "filter_expression",
            "hash_key_conditions",
            "range_key_conditions",
            "**filter_kwargs",
        ),
    ),
    "Table.all_items": (lambda: Table.all_items, ("self",)),
    "BaseJSONSerializer._serialize_type_structure": (
        lambda: BaseJSONSerializer._serialize_type_structure,
        ("self", "serialized", "value", "shape", "key"),
    ),
    "BaseJSONSerializer._default_serialize": (
        lambda: BaseJSONSerializer._default_serialize,
        ("self", "serialized", "value", "shape", "key"),
    ),
    "BaseJSONSerializer._base64": (lambda: BaseJSONSerializer._base64, ("self", "value")),
    "Item.size": (lambda: Item.size, ("self",)),
}
# Other internals the patches read.
_EXPECTED_ATTRIBUTES: dict[str, Callable[[], Any]] = {
    "moto.dynamodb.models.table.RESULT_SIZE_LIMIT": lambda: table_module.RESULT_SIZE_LIMIT,
    "DynamoType.cast_value": lambda: DynamoType.cast_value,
    "DynamoType.compare": lambda: DynamoType.compare,
}


class SpeedupsUnavailable(RuntimeWarning):
    """The installed moto is not one the speed-ups fit: stock moto answers instead."""


def _moto_version() -> str:
    return metadata.version("moto")


def _parameters(function: Any) -> tuple[str, ...]:
    names = []
    for parameter in inspect.signature(function).parameters.values():
        prefix = {"VAR_KEYWORD": "**", "VAR_POSITIONAL": "*"}.get(parameter.kind.name, "")
        names.append(prefix + parameter.name)
    return tuple(names)


def compatibility_problems() -> list[str]:
    """Why the speed-ups cannot be installed on this moto (empty: they can)."""
    problems = []
    version = _moto_version()
    match = re.match(r"(\d+)\.(\d+)", version)
    low, high = TESTED_MOTO
    if match is None or not low <= (int(match[1]), int(match[2])) < high:
        problems.append(
            f"moto {version} is outside the tested {low[0]}.{low[1]} to <{high[0]}.{high[1]}"
        )
    for name, (target, expected) in EXPECTED_SIGNATURES.items():
        try:
            found = _parameters(target())
        except (AttributeError, TypeError, ValueError) as error:
            problems.append(f"{name} is missing ({error})")
            continue
        if found != expected:
            problems.append(f"{name}{found} is not {name}{expected}")
    for name, attribute in _EXPECTED_ATTRIBUTES.items():
        try:
            attribute()
        except AttributeError as error:
            problems.append(f"{name} is missing ({error})")
    return problems


def speedups_active() -> bool:
    """True once this process's moto runs the patched Query and encoder."""
    return bool(getattr(Table, "_positive_chat_speedups", False))

_install_lock = threading.Lock()
_state = threading.local()  # .table / .candidates while a fast query runs on this thread
_refused = False  # the mismatch was reported (once per process)


class _Partition(dict):  # type: ignore[type-arg]
    """A partition's items (sort key -> item) that knows when its key set changed."""

    version = 0
    _order: tuple[int, list[Any], list[Any]] | None = None

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self.version += 1
        super().__delitem__(key)

    def pop(self, *args: Any) -> Any:
        self.version += 1
        return super().pop(*args)

    def popitem(self) -> Any:
        self.version += 1
        return super().popitem()

    def clear(self) -> None:
        self.version += 1
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self.version += 1
        return super().setdefault(key, default)

    def order(self) -> tuple[list[Any], list[Any]]:
        """(sorted sort-key values, the matching DynamoType keys), cached per key set."""
        cached = self._order
        if cached is None or cached[0] != self.version:
            keyed = sorted(((k.cast_value, k) for k in self), key=lambda pair: pair[0])
            cached = (self.version, [v for v, _ in keyed], [k for _, k in keyed])
            self._order = cached
        return cached[1], cached[2]


def _cast(value: Any) -> Any:
    return DynamoType(value).cast_value if isinstance(value, dict) else value.cast_value


def _bounds(keys: list[Any], comparison: str | None, values: list[Any]) -> tuple[int, int] | None:
    """The index range [lo, hi) of ``keys`` that can satisfy the condition (None: unknown op)."""
    if comparison is None:
        return 0, len(keys)
    casts = [v.cast_value for v in values]
    if comparison == "EQ":
        return bisect_left(keys, casts[0]), bisect_right(keys, casts[0])
    if comparison == "LT":
        return 0, bisect_left(keys, casts[0])
    if comparison == "LE":
        return 0, bisect_right(keys, casts[0])
    if comparison == "GT":
        return bisect_right(keys, casts[0]), len(keys)
    if comparison == "GE":
        return bisect_left(keys, casts[0]), len(keys)
    if comparison == "BETWEEN":
        return bisect_left(keys, casts[0]), bisect_right(keys, casts[1])
    if comparison == "BEGINS_WITH" and isinstance(casts[0], str):
        return bisect_left(keys, casts[0]), len(keys)  # the walk stops at the first non-match
    return None


def _candidates(
    table: Table,
    *,
    hash_key: DynamoType,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: bool,
) -> list[Any] | None:
    """The items moto's query can return, in scan order; None when the fast path does not apply."""
    partition = table.items.get(hash_key)
    if partition is None:
        return []
    if not isinstance(partition, _Partition):
        return None
    keys, dynamo_keys = partition.order()
    if keys and range_objs and any(type(v.cast_value) is not type(keys[0]) for v in range_objs):
        return None  # mismatched types: let moto produce its own answer or error
    bounds = _bounds(keys, range_comparison, range_objs)
    if bounds is None:
        return None
    lo, hi = bounds
    if exclusive_start_key and table.range_key_attr in exclusive_start_key:
        start = _cast(exclusive_start_key[table.range_key_attr])
        if type(start) is not type(keys[0] if keys else start):
            return None
        if scan_index_forward:
            lo = max(lo, bisect_right(keys, start))
        else:
            hi = min(hi, bisect_left(keys, start))
    positions = range(lo, hi) if scan_index_forward else range(hi - 1, lo - 1, -1)
    chosen: list[Any] = []
    size = 0
    for index in positions:
        item = partition[dynamo_keys[index]]
        if range_comparison == "BEGINS_WITH" and not item.range_key.compare(
            range_comparison, range_objs
        ):
            break  # sorted: past the prefix, nothing further matches
        chosen.append(item)
        size += item.size()
        if (limit is not None and len(chosen) > limit) or size > table_module.RESULT_SIZE_LIMIT:
            break  # one past the page, so moto computes LastEvaluatedKey as it would
    return chosen


def _unsorted_items(table: Table) -> Any:
    """Every item of ``table``, in storage order (what all_items() returns, before its sort)."""
    for bucket in table.items.values():
        if table.range_key_attr is not None:
            yield from bucket.values()
        else:
            yield bucket


def _wire(serializer: Any, value: Any) -> Any:
    """An AttributeValue as moto's JSON serializer would encode it, without the shape walk."""
    if isinstance(value, DynamoType):
        value = {value.type: value.value}
    ((kind, raw),) = value.items()
    if kind == "M":
        return {"M": {k: _wire(serializer, v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_wire(serializer, v) for v in raw]}
    if kind in ("S", "N"):
        return {kind: str(raw)}
    if kind in ("SS", "NS"):
        return {kind: [str(v) for v in raw]}
    if kind == "B":
        return {"B": serializer._base64(raw)}
    if kind == "BS":
        return {"BS": [serializer._base64(v) for v in raw]}
    return {kind: raw}  # BOOL, NULL


def install_speedups() -> bool:
    """Patch moto once per process (idempotent; moto answers the same, only faster).

    Returns whether the speed-ups are active. When this moto does not fit them, nothing is
    patched and a ``SpeedupsUnavailable`` warning (once per process) says why.
    """
    global _refused  # noqa: PLW0603 - once per process, like the patch itself
    with _install_lock:
        if speedups_active():
            return True
        problems = compatibility_problems()
        if problems:
            if not _refused:
                _refused = True
                warnings.warn(
                    "local DynamoDB: stock moto answers, without the Query index and item encoder "
                    "(same answers, slower at scale), because " + "; ".join(problems),
                    SpeedupsUnavailable,
                    stacklevel=2,
                )
            return False
        original_structure = BaseJSONSerializer._serialize_type_structure

        def _serialize_type_structure(
            self: Any, serialized: Any, value: Any, shape: Any, key: str
        ) -> None:
            if (
                shape.name == "AttributeValue"
                and key
                and isinstance(value, dict | DynamoType)
                and (not isinstance(value, dict) or len(value) == 1)
                and self.operation_model.service_model.service_name == "dynamodb"
            ):
                self._default_serialize(serialized, _wire(self, value), shape, key)
                return
            original_structure(self, serialized, value, shape, key)

        BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
        original_init = Table.__init__
        original_query = Table.query
        original_all_items = Table.all_items

        def __init__(self: Table, *args: Any, **kwargs: Any) -> None:
            original_init(self, *args, **kwargs)
            if self.range_key_attr is not None:
                self.items = defaultdict(_Partition)

        def all_items(self: Table) -> list[Any]:
            if getattr(_state, "table", None) is self:
                return list(_state.candidates)
            return original_all_items(self)

        def query(  # noqa: PLR0917 - moto's signature
            self: Table,
            hash_key: Any,
            range_comparison: Any,
            range_objs: Any,
            limit: Any,
            exclusive_start_key: Any,
            scan_index_forward: Any,
            projection_expressions: Any,
            index_name: Any = None,
            consistent_read: Any = False,
            filter_expression: Any = None,
            hash_key_conditions: Any = None,
            range_key_conditions: Any = None,
            **filter_kwargs: Any,
        ) -> Any:
            candidates = None
            if (
                hash_key is not None
                and index_name is None
                and self.range_key_attr is not None
                and not filter_kwargs
            ):
                candidates = _candidates(
                    self,
                    hash_key=hash_key,
                    range_comparison=range_comparison,
                    range_objs=range_objs,
                    limit=limit,
                    exclusive_start_key=exclusive_start_key,
                    scan_index_forward=scan_index_forward,
                )
            elif index_name is not None:
                # moto re-sorts index results by index key, then table key (a total order), so
                # the whole-table sort inside all_items() is wasted work here: skip it.
                candidates = list(_unsorted_items(self))
            if candidates is not None:
                _state.table, _state.candidates = self, candidates
            try:
                return original_query(
                    self,
                    hash_key,
                    range_comparison,
                    range_objs,
                    limit,
                    exclusive_start_key,
                    scan_index_forward,
                    projection_expressions,
                    index_name,
                    consistent_read,
                    filter_expression,
                    hash_key_conditions=hash_key_conditions,
                    range_key_conditions=range_key_conditions,
                    **filter_kwargs,
                )
            finally:
                _state.table = _state.candidates = None

        Table.__init__ = __init__  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        Table.query = query  # type: ignore[method-assign]
        Table._positive_chat_speedups = True  # type: ignore[attr-defined]
        return True
