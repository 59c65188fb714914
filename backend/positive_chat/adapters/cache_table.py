"""The CacheTable adapter: pk ``cacheKey``, ``value`` (JSON text), ``ttl`` (epoch seconds).

The caching policy (what is remembered, for how long, keyed how) is domain/caching.py; this is
only where the shared tier lives. A table that cannot be read or written is a miss, never an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["DynamoCacheTable"]

logger = logging.getLogger(__name__)

# DynamoDB attribute names of the CacheTable (template.yaml).
KEY_ATTRIBUTE = "cacheKey"
VALUE_ATTRIBUTE = "value"
TTL_ATTRIBUTE = "ttl"


def _error_code(err: ClientError | BotoCoreError) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "?"))
    return type(err).__name__


class DynamoCacheTable:
    """The CacheTable: pk ``cacheKey``, ``value`` (JSON text), ``ttl`` (epoch seconds)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        ttl_seconds: int,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds < 1:
            raise ValueError(f"ttl_seconds must be at least 1, got {ttl_seconds}")
        self._client = client
        self._table = table
        self._ttl = ttl_seconds
        self._clock = clock

    def get(self, key: str) -> str | None:
        """The value, or None when absent, expired (TTL deletion lags) or unreadable."""
        try:
            # Eventually consistent: half the read cost; a stale miss only costs a service call.
            response = self._client.get_item(TableName=self._table, Key={KEY_ATTRIBUTE: {"S": key}})
        except (ClientError, BotoCoreError) as err:
            logger.warning("cache read failed", extra={"error": _error_code(err)})
            return None
        item = response.get("Item")
        if not item:
            return None
        try:
            expires = int(item[TTL_ATTRIBUTE]["N"])
            value = item[VALUE_ATTRIBUTE]["S"]
        except (KeyError, ValueError):
            logger.warning("malformed cache item ignored")
            return None
        return value if expires > self._clock() else None

    def put(self, key: str, value: str) -> None:
        """Store ``value`` until now + ttl; a failure is logged and forgotten."""
        expires = int(self._clock()) + self._ttl
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    KEY_ATTRIBUTE: {"S": key},
                    VALUE_ATTRIBUTE: {"S": value},
                    TTL_ATTRIBUTE: {"N": str(expires)},
                },
            )
        except (ClientError, BotoCoreError) as err:
            logger.warning("cache write failed", extra={"error": _error_code(err)})
