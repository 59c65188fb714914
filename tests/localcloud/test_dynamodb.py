"""The local cloud's DynamoDB: template tables, durable writes, crash recovery, compaction, Query.

Every test talks to a real endpoint with a real boto3 client. Most run the server in a thread
(fast to start); the SIGKILL test runs it as its own process, as the local cloud does.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from localcloud.dynamodb import DataDirError, LocalDynamoDB, LocalDynamoDBError
from localcloud.dynamodb.journal import read_journal
from localcloud.template import DEFAULT_TEMPLATE, load_template, table_specs

Factory = Callable[..., LocalDynamoDB]


@pytest.fixture
def servers() -> Iterator[Factory]:
    """Start LocalDynamoDB instances for a test and stop every one of them afterwards."""
    started: list[LocalDynamoDB] = []

    def start(**kwargs: Any) -> LocalDynamoDB:
        kwargs.setdefault("isolation", "thread")
        db = LocalDynamoDB(**kwargs)
        started.append(db)
        db.start()
        return db

    yield start
    for db in started:
        db.stop()


def client(db: LocalDynamoDB, region: str = "us-east-1") -> Any:
    """A boto3 DynamoDB client for ``db`` (no retries, so failures show)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=db.url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def all_items(ddb: Any, table: str) -> list[dict[str, Any]]:
    """Every item of ``table``, following Scan pages, sorted by key for comparison."""
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return sorted(items, key=repr)


def write_everything(ddb: Any) -> None:
    """One of each journaled write: put, update, delete, batch, transaction."""
    ddb.put_item(
        TableName="MessagesTable",
        Item={
            "room": {"S": "lobby"},
            "msgId": {"S": "0001"},
            "content": {"S": "héllo 👋"},
            "blob": {"B": b"\x00\xff"},
            "tags": {"SS": ["a", "b"]},
            "meta": {"M": {"n": {"N": "1.50"}, "l": {"L": [{"BOOL": True}, {"NULL": True}]}}},
        },
    )
    ddb.put_item(TableName="MessagesTable", Item={"room": {"S": "lobby"}, "msgId": {"S": "0002"}})
    ddb.update_item(
        TableName="TopicsTable",
        Key={"room": {"S": "lobby"}, "topic": {"S": "Paris"}},
        UpdateExpression="ADD num :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    ddb.update_item(
        TableName="TopicsTable",
        Key={"room": {"S": "lobby"}, "topic": {"S": "Paris"}},
        UpdateExpression="ADD num :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    ddb.delete_item(TableName="MessagesTable", Key={"room": {"S": "lobby"}, "msgId": {"S": "0002"}})
    ddb.batch_write_item(
        RequestItems={
            "ConnectionsTable": [
                {"PutRequest": {"Item": {"connectionId": {"S": f"c{i}"}, "room": {"S": "lobby"}}}}
                for i in range(3)
            ]
        }
    )
    ddb.transact_write_items(
        TransactItems=[
            {"Delete": {"TableName": "ConnectionsTable", "Key": {"connectionId": {"S": "c0"}}}},
            {
                "Put": {
                    "TableName": "MessagesTable",
                    "Item": {"room": {"S": "lobby"}, "msgId": {"S": "0003"}},
                    "ConditionExpression": "attribute_not_exists(msgId)",
                }
            },
        ]
    )


def snapshot_of(ddb: Any) -> dict[str, list[dict[str, Any]]]:
    """Every table's items."""
    return {t: all_items(ddb, t) for t in ("MessagesTable", "TopicsTable", "ConnectionsTable")}


def test_tables_gsis_and_ttl_come_from_the_template(servers: Factory) -> None:
    """Each template table exists with its key schema, GSIs and TTL, named by logical id."""
    db = servers(data_dir=None)
    ddb = client(db)
    specs = table_specs(load_template(DEFAULT_TEMPLATE))
    assert db.table_names == {name: name for name in specs}
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(specs)
    for name, spec in specs.items():
        table = ddb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == spec.key_schema
        gsis = {g["IndexName"]: g["KeySchema"] for g in table.get("GlobalSecondaryIndexes", [])}
        assert gsis == {g["IndexName"]: g["KeySchema"] for g in spec.global_secondary_indexes}
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if spec.ttl_attribute:
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": spec.ttl_attribute}
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_any_signing_region_sees_the_same_tables(servers: Factory) -> None:
    """A client signing for another region reads what a us-east-1 client wrote."""
    db = servers(data_dir=None)
    client(db).put_item(TableName="ConnectionsTable", Item={"connectionId": {"S": "x"}})
    item = client(db, "ap-south-1").get_item(
        TableName="ConnectionsTable", Key={"connectionId": {"S": "x"}}
    )
    assert item["Item"] == {"connectionId": {"S": "x"}}


def test_in_memory_mode_leaves_no_files(
    servers: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a data folder, writes and a stop create no file anywhere we can see."""
    monkeypatch.chdir(tmp_path)
    db = servers(data_dir=None)
    write_everything(client(db))
    db.stop()
    assert list(tmp_path.iterdir()) == []


def test_every_write_kind_survives_a_clean_restart(servers: Factory, tmp_path: Path) -> None:
    """Put, update, delete, batch and transaction results are all there after stop/start."""
    db = servers(data_dir=tmp_path)
    write_everything(client(db))
    before = snapshot_of(client(db))
    db.stop()
    assert (tmp_path / "snapshot.jsonl").exists()
    assert read_journal(tmp_path / "journal.log").records == []  # compacted on clean stop
    again = servers(data_dir=tmp_path)
    after = snapshot_of(client(again))
    assert after == before
    assert after["TopicsTable"][0]["num"] == {"N": "2"}
    assert [i["msgId"]["S"] for i in after["MessagesTable"]] == ["0001", "0003"]
    assert again.startup is not None
    assert again.startup.snapshot_items == 5


def test_sigkill_of_the_server_process_loses_nothing_answered(
    servers: Factory, tmp_path: Path
) -> None:
    """Every answered write is back after the server process is SIGKILLed and restarted."""
    db = servers(data_dir=tmp_path, isolation="process")
    ddb = client(db)
    write_everything(ddb)
    before = snapshot_of(ddb)
    assert db.pid is not None
    os.kill(db.pid, signal.SIGKILL)
    assert db._process is not None
    db._process.wait(timeout=10)
    assert not (tmp_path / "snapshot.jsonl").exists()  # no clean stop happened
    again = servers(data_dir=tmp_path, isolation="process")
    assert snapshot_of(client(again)) == before
    assert again.startup is not None
    assert again.startup.journal_records == 7


def crash_copy(db: LocalDynamoDB, source: Path, target: Path) -> Path:
    """The data folder as a crash would leave it: journal only, copied while the server runs."""
    target.mkdir()
    shutil.copy(source / "journal.log", target / "journal.log")
    assert not (target / "snapshot.jsonl").exists()
    return target


def test_a_torn_last_journal_line_is_ignored(servers: Factory, tmp_path: Path) -> None:
    """A half-written last record is dropped; everything before it is replayed; writing goes on."""
    db = servers(data_dir=tmp_path / "live")
    ddb = client(db)
    write_everything(ddb)
    before = snapshot_of(ddb)
    crashed = crash_copy(db, tmp_path / "live", tmp_path / "crashed")
    with (crashed / "journal.log").open("ab") as journal:
        journal.write(b'1234abcd {"seq":9,"op":"PutItem","body":"{\\"TableName')
    again = servers(data_dir=crashed)
    assert again.startup is not None
    assert again.startup.torn_journal
    assert snapshot_of(client(again)) == before
    client(again).put_item(TableName="ConnectionsTable", Item={"connectionId": {"S": "new"}})
    again.stop()
    third = servers(data_dir=crashed)
    assert {"connectionId": {"S": "new"}} in all_items(client(third), "ConnectionsTable")


def test_a_corrupt_journal_record_stops_replay_and_is_kept_aside(
    servers: Factory, tmp_path: Path
) -> None:
    """Damage before the end replays the good prefix and keeps the rest in a side file."""
    db = servers(data_dir=tmp_path / "live")
    ddb = client(db)
    for i in range(3):
        ddb.put_item(TableName="ConnectionsTable", Item={"connectionId": {"S": f"c{i}"}})
    crashed = crash_copy(db, tmp_path / "live", tmp_path / "crashed")
    lines = (crashed / "journal.log").read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"c1", b"X1")  # checksum no longer matches
    (crashed / "journal.log").write_bytes(b"".join(lines))
    again = servers(data_dir=crashed)
    assert [i["connectionId"]["S"] for i in all_items(client(again), "ConnectionsTable")] == ["c0"]
    kept = list(crashed.glob("journal.log.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == lines[1] + lines[2]


def test_refused_writes_are_not_journaled(servers: Factory, tmp_path: Path) -> None:
    """Conditional-check failures and validation errors leave the journal untouched."""
    db = servers(data_dir=tmp_path)
    ddb = client(db)
    item = {"connectionId": {"S": "c1"}}
    ddb.put_item(TableName="ConnectionsTable", Item=item)
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(
            TableName="ConnectionsTable",
            Item=item,
            ConditionExpression="attribute_not_exists(connectionId)",
        )
    with pytest.raises(ddb.exceptions.ClientError):
        ddb.put_item(TableName="ConnectionsTable", Item={"room": {"S": "no key"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "ConnectionsTable",
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(connectionId)",
                    }
                }
            ]
        )
    records = read_journal(tmp_path / "journal.log").records
    assert [r.op for r in records] == ["PutItem"]


def test_compaction_keeps_data_and_trims_the_journal(servers: Factory, tmp_path: Path) -> None:
    """Past the threshold a snapshot is written in the background and the journal shrinks."""
    db = servers(data_dir=tmp_path, compact_after_records=10)
    ddb = client(db)
    for i in range(25):
        ddb.put_item(TableName="ConnectionsTable", Item={"connectionId": {"S": f"c{i:02d}"}})
    deadline = time.monotonic() + 5
    while not (tmp_path / "snapshot.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (tmp_path / "snapshot.jsonl").exists()
    assert len(read_journal(tmp_path / "journal.log").records) < 25
    crashed = crash_copy(db, tmp_path, tmp_path / "crashed")
    shutil.copy(tmp_path / "snapshot.jsonl", crashed / "snapshot.jsonl")
    again = servers(data_dir=crashed)  # snapshot + journal tail, as after a crash
    got = [i["connectionId"]["S"] for i in all_items(client(again), "ConnectionsTable")]
    assert got == [f"c{i:02d}" for i in range(25)]


def test_a_crash_between_snapshot_and_journal_trim_applies_nothing_twice(
    servers: Factory, tmp_path: Path
) -> None:
    """Journal records already in the snapshot are skipped, so counters are not re-added."""
    db = servers(data_dir=tmp_path)
    ddb = client(db)
    for _ in range(3):
        ddb.update_item(
            TableName="TopicsTable",
            Key={"room": {"S": "r"}, "topic": {"S": "t"}},
            UpdateExpression="ADD num :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    old_journal = (tmp_path / "journal.log").read_bytes()
    db.stop()  # snapshot at record 3, journal trimmed
    (tmp_path / "journal.log").write_bytes(old_journal)  # as if the trim never happened
    again = servers(data_dir=tmp_path)
    item = client(again).get_item(
        TableName="TopicsTable", Key={"room": {"S": "r"}, "topic": {"S": "t"}}
    )
    assert item["Item"]["num"] == {"N": "3"}


def test_a_second_server_cannot_share_a_data_folder(servers: Factory, tmp_path: Path) -> None:
    """The folder is locked while in use, with a clear error for the second server."""
    servers(data_dir=tmp_path)
    with pytest.raises(DataDirError, match="in use"):
        servers(data_dir=tmp_path)


def test_a_damaged_snapshot_stops_the_start_instead_of_losing_data(
    servers: Factory, tmp_path: Path
) -> None:
    """An incomplete snapshot is refused (thread) or reported as an exit (process)."""
    db = servers(data_dir=tmp_path)
    client(db).put_item(TableName="ConnectionsTable", Item={"connectionId": {"S": "c"}})
    db.stop()
    text = (tmp_path / "snapshot.jsonl").read_text().splitlines()
    (tmp_path / "snapshot.jsonl").write_text("\n".join(text[:-1]) + "\n")
    with pytest.raises(DataDirError, match="damaged"):
        servers(data_dir=tmp_path)
    with pytest.raises(LocalDynamoDBError, match="status 2"):
        servers(data_dir=tmp_path, isolation="process")


def test_a_table_and_gsi_added_to_the_template_appear_on_restart(
    servers: Factory, tmp_path: Path
) -> None:
    """Items come from the snapshot, schemas from the template, so new tables/GSIs just appear."""
    db = servers(data_dir=tmp_path / "data")
    client(db).put_item(
        TableName="MessagesTable",
        Item={"room": {"S": "r"}, "msgId": {"S": "1"}, "user": {"S": "ana"}},
    )
    db.stop()
    text = DEFAULT_TEMPLATE.read_text()
    text = text.replace(
        "        - { AttributeName: review, AttributeType: S }\n",
        "        - { AttributeName: review, AttributeType: S }\n"
        "        - { AttributeName: user, AttributeType: S }\n",
    ).replace(
        "      GlobalSecondaryIndexes:\n        # Sparse",
        "      GlobalSecondaryIndexes:\n"
        "        - IndexName: ByUser\n"
        "          KeySchema:\n"
        "            - { AttributeName: user, KeyType: HASH }\n"
        "          Projection: { ProjectionType: ALL }\n"
        "        # Sparse",
    )
    text = text.replace(
        "\nOutputs:",
        "  ExtraTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
        "      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]\n"
        "      KeySchema: [{ AttributeName: id, KeyType: HASH }]\n"
        "\nOutputs:",
    )
    template = tmp_path / "template.yaml"
    template.write_text(text)
    again = servers(data_dir=tmp_path / "data", template_path=template)
    ddb = client(again)
    assert "ExtraTable" in ddb.list_tables()["TableNames"]
    found = ddb.query(
        TableName="MessagesTable",
        IndexName="ByUser",
        KeyConditionExpression="#u = :u",
        ExpressionAttributeNames={"#u": "user"},
        ExpressionAttributeValues={":u": {"S": "ana"}},
    )
    assert [i["msgId"]["S"] for i in found["Items"]] == ["1"]


def test_health_check_and_unknown_operations_get_clear_answers(servers: Factory) -> None:
    """GET / says healthy; an unknown target is a 400 UnknownOperationException, not a crash."""
    db = servers(data_dir=None)
    with urllib.request.urlopen(db.url + "/") as response:
        assert response.read() == b"healthy: dynamodb.localcloud"
    request = urllib.request.Request(
        db.url + "/",
        data=b"{}",
        headers={"X-Amz-Target": "DynamoDB_20120810.DropEverything"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert b"UnknownOperationException" in caught.value.read()


HISTORY_IDS = [f"m{i:04d}" for i in range(1000)]


@pytest.fixture(scope="module")
def history() -> Iterator[LocalDynamoDB]:
    """One in-memory server holding 1,000 messages in room "b" and 1,000 in room "a"."""
    db = LocalDynamoDB(data_dir=None, isolation="thread")
    db.start()
    ddb = client(db)
    for room in ("a", "b"):
        for start in range(0, len(HISTORY_IDS), 25):
            chunk = HISTORY_IDS[start : start + 25][::-1]  # out of order on purpose
            ddb.batch_write_item(
                RequestItems={
                    "MessagesTable": [
                        {"PutRequest": {"Item": {"room": {"S": room}, "msgId": {"S": m}}}}
                        for m in chunk
                    ]
                }
            )
    yield db
    db.stop()


@pytest.mark.parametrize(
    ("condition", "values", "forward"),
    [
        ("room = :r", {}, False),
        ("room = :r", {}, True),
        ("room = :r AND msgId < :a", {":a": {"S": "m0500"}}, False),
        ("room = :r AND msgId >= :a", {":a": {"S": "m0995"}}, True),
        (
            "room = :r AND msgId BETWEEN :a AND :b",
            {":a": {"S": "m0100"}, ":b": {"S": "m0110"}},
            False,
        ),
        ("room = :r AND begins_with(msgId, :a)", {":a": {"S": "m09"}}, True),
        ("room = :r AND msgId = :a", {":a": {"S": "m0007"}}, True),
    ],
    ids=["latest", "oldest", "before", "from", "between", "prefix", "exact"],
)
def test_query_pages_match_the_key_order_exactly(
    history: LocalDynamoDB, condition: str, values: dict[str, Any], forward: bool
) -> None:
    """Query pages (Limit, ExclusiveStartKey, both directions, key conditions) are exact."""
    ddb = client(history)
    ids = HISTORY_IDS
    got: list[str] = []
    kwargs: dict[str, Any] = {
        "TableName": "MessagesTable",
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": {":r": {"S": "b"}, **values},
        "ScanIndexForward": forward,
        "Limit": 60,
    }
    while True:
        page = ddb.query(**kwargs)
        assert len(page["Items"]) <= 60
        got.extend(i["msgId"]["S"] for i in page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        assert page["LastEvaluatedKey"] == {"room": {"S": "b"}, "msgId": {"S": got[-1]}}
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    match condition.split(" AND ", 1)[-1] if " AND " in condition else "":
        case "msgId < :a":
            expected = [m for m in ids if m < values[":a"]["S"]]
        case "msgId >= :a":
            expected = [m for m in ids if m >= values[":a"]["S"]]
        case "msgId BETWEEN :a AND :b":
            expected = [m for m in ids if values[":a"]["S"] <= m <= values[":b"]["S"]]
        case "begins_with(msgId, :a)":
            expected = [m for m in ids if m.startswith(values[":a"]["S"])]
        case "msgId = :a":
            expected = [values[":a"]["S"]]
        case _:
            expected = ids
    assert got == (expected if forward else expected[::-1])


def raw_call(url: str, op: str, body: dict[str, Any]) -> Any:
    """POST one DynamoDB JSON request and return the parsed response body."""
    request = urllib.request.Request(
        url + "/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{op}",
            "Content-Type": "application/x-amz-json-1.0",
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_speedups_answer_exactly_like_stock_moto(servers: Factory) -> None:
    """With and without the Query index and item encoder, every answer is the same JSON."""
    fast = servers(data_dir=None, isolation="process")
    stock = servers(data_dir=None, isolation="process", fast_query=False)
    items = [
        {
            "room": {"S": room},
            "msgId": {"S": f"m{i:03d}"},
            "n": {"N": str(i * 1.5)},
            "b": {"B": base64.b64encode(bytes([i, 255 - i])).decode()},
            "sets": {"M": {"ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}}},
            "bs": {"BS": [base64.b64encode(b"\x00").decode()]},
            "l": {"L": [{"BOOL": i % 2 == 0}, {"NULL": True}, {"S": "ü"}]},
            "review": {"S": "pending"},
        }
        for room in ("r1", "r2")
        for i in range(30)
    ]
    requests: list[tuple[str, dict[str, Any]]] = [
        ("Query", {"KeyConditionExpression": "room = :r", "Limit": 7, "ScanIndexForward": False}),
        ("Query", {"KeyConditionExpression": "room = :r AND msgId > :m", "Limit": 5}),
        ("Query", {"KeyConditionExpression": "room = :r", "FilterExpression": "n > :n"}),
        ("Query", {"KeyConditionExpression": "room = :r", "ProjectionExpression": "msgId, l"}),
        ("Query", {"KeyConditionExpression": "room = :r", "Select": "COUNT"}),
        ("Scan", {"Limit": 11}),
        ("GetItem", {"Key": {"room": {"S": "r1"}, "msgId": {"S": "m004"}}}),
    ]
    values = {":r": {"S": "r2"}, ":m": {"S": "m010"}, ":n": {"N": "20"}}
    for db in (fast, stock):
        for item in items:
            raw_call(db.url, "PutItem", {"TableName": "MessagesTable", "Item": item})
    for op, extra in requests:
        body: dict[str, Any] = {"TableName": "MessagesTable", **extra}
        if op not in {"GetItem", "Scan"}:
            body["ExpressionAttributeValues"] = {
                k: v for k, v in values.items() if k in json.dumps(extra)
            }
        assert raw_call(fast.url, op, body) == raw_call(stock.url, op, body), (op, extra)
    index_query = {
        "TableName": "MessagesTable",
        "IndexName": "ReviewQueue",
        "KeyConditionExpression": "review = :p",
        "ExpressionAttributeValues": {":p": {"S": "pending"}},
        "Limit": 9,
    }
    assert raw_call(fast.url, "Query", index_query) == raw_call(stock.url, "Query", index_query)


def test_items_that_no_longer_fit_the_template_are_kept_aside(
    servers: Factory, tmp_path: Path
) -> None:
    """If the template renames a table's key, old items go to a rejected file, not to /dev/null."""
    db = servers(data_dir=tmp_path / "data")
    client(db).put_item(TableName="ConnectionsTable", Item={"connectionId": {"S": "old"}})
    db.stop()
    template = tmp_path / "template.yaml"
    template.write_text(
        DEFAULT_TEMPLATE.read_text().replace(
            "        - { AttributeName: connectionId, KeyType: HASH }\n",
            "        - { AttributeName: room, KeyType: HASH }\n",
            1,
        )
    )
    again = servers(data_dir=tmp_path / "data", template_path=template)
    assert again.startup is not None
    assert again.startup.rejected_items == 1
    assert all_items(client(again), "ConnectionsTable") == []
    (kept,) = (tmp_path / "data").glob("rejected-*.jsonl")
    assert json.loads(kept.read_text())["i"] == {"connectionId": {"S": "old"}}
