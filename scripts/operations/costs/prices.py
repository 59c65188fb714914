"""AWS prices (us-east-1, on-demand, first tier) and the billing-unit math, in one place.

This module owns every number the cost report multiplies by, each with its source (from
shared/AWS_FACTS.md, which gives the URLs), and the rules that turn a request into billable
units: Comprehend's 100-character units with a 3-unit minimum per request, API Gateway's 32 KB
message metering, Lambda's GB-seconds at 1 ms granularity, DynamoDB's 1 KB write / 4 KB read
units, SQS's 64 KB chunks (each chunk of a request's payload is billed as one request). Change
a price here and every report follows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "PRICES",
    "Price",
    "Units",
    "apigateway_messages",
    "comprehend_units",
    "dynamodb_read_units",
    "dynamodb_write_units",
    "lambda_gb_seconds",
    "sqs_requests",
]


@dataclass(frozen=True)
class Price:
    """US dollars per ``unit``, and where the number comes from."""

    usd: float
    unit: str
    source: str


# Keys are the report's line items. Sources: shared/AWS_FACTS.md §1 (section in brackets).
PRICES = MappingProxyType(
    {
        "comprehend.unit": Price(
            0.0001,
            "unit of 100 characters (min 3 per request)",
            "Comprehend pricing page text and worked examples (AWS_FACTS §1.4); first 10M units",
        ),
        "translate.character": Price(
            15.0 / 1_000_000,
            "character",
            "Translate $15 per million characters, secondary sources only (AWS_FACTS §1.5)",
        ),
        "apigateway.message": Price(
            1.0 / 1_000_000,
            "WebSocket message (32 KB increments, in + out)",
            "API Gateway pricing worked example, first billion (AWS_FACTS §1.1)",
        ),
        "dynamodb.wru": Price(
            0.625 / 1_000_000,
            "write request unit (1 KB)",
            "DynamoDB on-demand after the 1 Nov 2024 cut (AWS_FACTS §1.3)",
        ),
        "dynamodb.rru": Price(
            0.125 / 1_000_000,
            "read request unit (4 KB strong; eventual = 0.5)",
            "DynamoDB on-demand after the 1 Nov 2024 cut (AWS_FACTS §1.3)",
        ),
        "lambda.request": Price(
            0.20 / 1_000_000,
            "invocation",
            "Lambda $0.20 per million requests, x86_64 and arm64 (AWS_FACTS §1.2)",
        ),
        "lambda.gb_second.arm64": Price(
            0.0000133334,
            "GB-second (arm64)",
            "Lambda arm64 duration, first 7.5B GB-s/month (AWS_FACTS §1.2)",
        ),
        # SQS is not in AWS_FACTS.md. FIFO $0.50/M: AWS's own FIFO launch notice ("What's New",
        # 2016-11-17: "FIFO queues are priced at $0.50 per million API requests"); the same
        # $0.50/M FIFO and $0.40/M standard first tiers, and the 64 KB rule, in 2026 guides
        # (cloudburn.io "Amazon SQS Pricing", 2026-03; factualminds.com "Amazon SQS Pricing: The
        # 64 KB Rule", 2026-06). The AWS pricing page itself was not readable (prices are tokens).
        "sqs.fifo.request": Price(
            0.50 / 1_000_000,
            "FIFO queue request (each 64 KB chunk of its payload)",
            "SQS FIFO $0.50 per million requests, first tier: AWS What's New 2016-11-17 "
            "(FIFO launch), 2026 secondary guides (cloudburn.io, factualminds.com)",
        ),
        "sqs.standard.request": Price(
            0.40 / 1_000_000,
            "standard queue request (each 64 KB chunk of its payload)",
            "SQS standard $0.40 per million requests, first 100B: AWS What's New 2016-11-17, "
            "2026 secondary guides (cloudburn.io, factualminds.com)",
        ),
        "lambda.gb_second.x86_64": Price(
            0.0000166667,
            "GB-second (x86_64)",
            "Lambda x86_64 duration, first 6B GB-s/month (AWS_FACTS §1.2)",
        ),
    }
)


class Units(defaultdict[str, float]):
    """Billable units by line item (keys of PRICES); missing items are 0."""

    def __init__(self, items: Mapping[str, float] | Iterable[tuple[str, float]] = ()) -> None:
        super().__init__(float, items)

    def merge(self, other: Mapping[str, float]) -> None:
        """Add ``other``'s units to these."""
        for key, value in other.items():
            self[key] += value

    def dollars(self) -> float:
        """These units priced with PRICES (KeyError for an unknown line item)."""
        return sum(PRICES[key].usd * value for key, value in self.items())


COMPREHEND_CHARS_PER_UNIT = 100
COMPREHEND_MIN_UNITS = 3
APIGATEWAY_METERING_BYTES = 32 * 1024
DYNAMODB_WRITE_UNIT_BYTES = 1024
DYNAMODB_READ_UNIT_BYTES = 4096
SQS_CHUNK_BYTES = 64 * 1024


def comprehend_units(characters: int) -> int:
    """Units one Comprehend request bills: 100 characters each, at least 3."""
    if characters < 0:
        raise ValueError(f"characters must be >= 0, got {characters}")
    return max(COMPREHEND_MIN_UNITS, math.ceil(characters / COMPREHEND_CHARS_PER_UNIT))


def apigateway_messages(payload_bytes: int) -> int:
    """Messages one WebSocket message bills: metered in 32 KB increments (an empty one is 1)."""
    if payload_bytes < 0:
        raise ValueError(f"payload_bytes must be >= 0, got {payload_bytes}")
    return max(1, math.ceil(payload_bytes / APIGATEWAY_METERING_BYTES))


def lambda_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """GB-seconds of one invocation: duration rounded up to the ms, times configured memory."""
    if duration_ms < 0 or memory_mb <= 0:
        raise ValueError(f"bad duration {duration_ms} ms or memory {memory_mb} MB")
    return math.ceil(duration_ms) / 1000.0 * memory_mb / 1024.0


def dynamodb_write_units(item_bytes: int) -> int:
    """Write request units of one standard write: 1 per started KB, at least 1."""
    return max(1, math.ceil(item_bytes / DYNAMODB_WRITE_UNIT_BYTES))


def dynamodb_read_units(total_bytes: int, *, consistent: bool) -> float:
    """Read request units of one read (GetItem, or a Query's page summed): 4 KB each, at
    least 1; an eventually consistent read costs half."""
    units = max(1, math.ceil(total_bytes / DYNAMODB_READ_UNIT_BYTES))
    return float(units) if consistent else units / 2.0


def sqs_requests(payload_bytes: int) -> int:
    """Requests one SQS call bills: each started 64 KB chunk of its payload is one (at least 1)."""
    if payload_bytes < 0:
        raise ValueError(f"payload_bytes must be >= 0, got {payload_bytes}")
    return max(1, math.ceil(payload_bytes / SQS_CHUNK_BYTES))
