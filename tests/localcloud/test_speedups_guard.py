"""The DynamoDB speed-ups patch moto only when moto is the one they were written for.

Patching is process-wide and one-way, so each case runs in a fresh interpreter: the untouched
moto of the lock file (speed-ups on), a moto that reports a newer version, and a moto whose
``Table.query`` gained a parameter (both: stock moto answers, with one warning saying why).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from localcloud.dynamodb.speedups import TESTED_MOTO

ROOT = Path(__file__).resolve().parents[2]

CASE = r"""
import json, sys, warnings
import boto3
from moto import mock_aws
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models.table import Table
from localcloud.dynamodb import speedups

stock_query, stock_encoder = Table.query, BaseJSONSerializer._serialize_type_structure
if sys.argv[1] == "newer-version":
    speedups._moto_version = lambda: "5.9.0"
elif sys.argv[1] == "changed-signature":
    moto_query = Table.query

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
              scan_index_forward, projection_expressions, index_name=None, consistent_read=False,
              filter_expression=None, hash_key_conditions=None, range_key_conditions=None,
              select=None, **filter_kwargs):  # a moto whose query grew a parameter
        return moto_query(self, hash_key, range_comparison, range_objs, limit,
                           exclusive_start_key, scan_index_forward, projection_expressions,
                           index_name, consistent_read, filter_expression,
                           hash_key_conditions=hash_key_conditions,
                           range_key_conditions=range_key_conditions, **filter_kwargs)
    Table.query = stock_query = query

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    first = speedups.install_speedups()
    second = speedups.install_speedups()

with mock_aws():
    db = boto3.client("dynamodb", region_name="us-east-1")
    db.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "room", "KeyType": "HASH"},
                   {"AttributeName": "id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "room", "AttributeType": "S"},
                              {"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for room in ("a", "b"):
        for n in range(6):
            db.put_item(TableName="t", Item={"room": {"S": room}, "id": {"S": f"m{n}"},
                                             "n": {"N": str(n)}})
    page = db.query(TableName="t", KeyConditionExpression="room = :r AND id > :i",
                    ExpressionAttributeValues={":r": {"S": "a"}, ":i": {"S": "m1"}},
                    ScanIndexForward=False, Limit=3)

print(json.dumps({
    "installed": [first, second],
    "active": speedups.speedups_active(),
    "stock_query": Table.query is stock_query,
    "stock_encoder": BaseJSONSerializer._serialize_type_structure is stock_encoder,
    "warnings": [[w.category.__name__, str(w.message)] for w in caught],
    "ids": [item["id"]["S"] for item in page["Items"]],
    "next": page.get("LastEvaluatedKey"),
}))
"""


def run_case(case: str) -> dict[str, Any]:
    """Run CASE in a new interpreter; its JSON report."""
    done = subprocess.run(
        [sys.executable, "-c", CASE, case],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


EXPECTED_PAGE = {
    "ids": ["m5", "m4", "m3"],
    "next": {"room": {"S": "a"}, "id": {"S": "m3"}},
}


def test_speedups_are_active_on_the_locked_moto() -> None:
    """The lock's moto is inside the tested range, is what is installed, and gets the patches."""
    lock = (ROOT / "requirements" / "local.txt").read_text(encoding="utf-8")
    (pinned,) = re.findall(r"^moto==(\S+)", lock, flags=re.MULTILINE)
    assert metadata.version("moto") == pinned
    major, minor = (int(part) for part in pinned.split(".")[:2])
    assert TESTED_MOTO[0] <= (major, minor) < TESTED_MOTO[1]

    report = run_case("as-installed")

    assert report["installed"] == [True, True]
    assert report["active"] is True
    assert report["stock_query"] is False
    assert report["stock_encoder"] is False
    assert report["warnings"] == []
    assert {k: report[k] for k in EXPECTED_PAGE} == EXPECTED_PAGE


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("newer-version", "moto 5.9.0 is outside the tested"),
        ("changed-signature", "Table.query("),
    ],
)
def test_a_moto_that_does_not_fit_stays_stock_with_one_warning(case: str, reason: str) -> None:
    """Nothing is patched, moto answers the query itself, and a warning says why (once)."""
    report = run_case(case)

    assert report["installed"] == [False, False]
    assert report["active"] is False
    assert report["stock_query"] is True
    assert report["stock_encoder"] is True
    ((category, message),) = report["warnings"]
    assert category == "SpeedupsUnavailable"
    assert "stock moto answers" in message
    assert reason in message
    assert {k: report[k] for k in EXPECTED_PAGE} == EXPECTED_PAGE
