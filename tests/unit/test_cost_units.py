"""Unit tests of the cost report's arithmetic: billing units, the price table, the call meter."""

from __future__ import annotations

import importlib
import re
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from operations.costs.callcount import Meter, item_size
from operations.costs.prices import (
    PRICES,
    apigateway_messages,
    comprehend_units,
    dynamodb_read_units,
    dynamodb_write_units,
    lambda_gb_seconds,
    sqs_requests,
)
from operations.costs.rooms import PostModel, idle_poller


@pytest.mark.parametrize(
    ("chars", "units"),
    [
        pytest.param(0, 3, id="empty-still-3"),
        pytest.param(2, 3, id="ok"),
        pytest.param(60, 3, id="chat-line"),
        pytest.param(300, 3, id="exactly-minimum"),
        pytest.param(301, 4, id="one-over"),
        pytest.param(5000, 50, id="5k"),
    ],
)
def test_comprehend_units_have_a_three_unit_minimum(chars: int, units: int) -> None:
    """100 characters per unit, rounded up, never under 3 per request."""
    assert comprehend_units(chars) == units


@pytest.mark.parametrize(
    ("size", "messages"),
    [
        pytest.param(0, 1, id="empty"),
        pytest.param(200, 1, id="small"),
        pytest.param(32 * 1024, 1, id="exactly-32k"),
        pytest.param(32 * 1024 + 1, 2, id="33k-is-two"),
        pytest.param(128 * 1024, 4, id="128k"),
    ],
)
def test_apigateway_meters_in_32_kb_increments(size: int, messages: int) -> None:
    """A message bills one unit per started 32 KB."""
    assert apigateway_messages(size) == messages


def test_lambda_gb_seconds_round_up_to_the_millisecond() -> None:
    """Duration is billed per started ms, times the configured memory in GB."""
    assert lambda_gb_seconds(1000, 1024) == pytest.approx(1.0)
    assert lambda_gb_seconds(10.2, 512) == pytest.approx(0.011 * 0.5)
    assert lambda_gb_seconds(0, 512) == 0


@pytest.mark.parametrize("bad", [pytest.param(-1, id="negative")])
def test_unit_math_refuses_negative_sizes(bad: int) -> None:
    """Negative sizes are a caller's bug: a clear ValueError."""
    with pytest.raises(ValueError, match=">= 0"):
        comprehend_units(bad)
    with pytest.raises(ValueError, match=">= 0"):
        apigateway_messages(bad)
    with pytest.raises(ValueError, match="bad duration"):
        lambda_gb_seconds(bad, 512)


def test_dynamodb_units_follow_item_size_rules() -> None:
    """Writes: 1 per started KB; reads: 1 per started 4 KB, halved when eventually consistent."""
    assert dynamodb_write_units(10) == 1
    assert dynamodb_write_units(1025) == 2
    assert dynamodb_read_units(100, consistent=True) == 1.0
    assert dynamodb_read_units(100, consistent=False) == 0.5
    assert dynamodb_read_units(4097, consistent=False) == 1.0


def test_price_table_is_complete_and_cites_a_source() -> None:
    """Every line item the meter or the report produces has a positive price and a source."""
    needed = {
        "comprehend.unit",
        "translate.character",
        "apigateway.message",
        "dynamodb.wru",
        "dynamodb.rru",
        "lambda.request",
        "lambda.gb_second.arm64",
        "lambda.gb_second.x86_64",
        "sqs.fifo.request",
        "sqs.standard.request",
    }
    assert needed <= set(PRICES)
    # SQS is not in shared/AWS_FACTS.md: its lines name AWS's own dated notice instead.
    not_in_facts = {"sqs.fifo.request", "sqs.standard.request"}
    for key, price in PRICES.items():
        assert price.usd > 0, key
        if key in not_in_facts:
            assert "AWS What's New 2016-11-17" in price.source, key
        else:
            assert re.search(r"AWS_FACTS §\d", price.source), key
        assert price.unit, key
    assert PRICES["sqs.fifo.request"].usd == pytest.approx(0.50 / 1_000_000)


@pytest.mark.parametrize(
    ("size", "requests"),
    [(0, 1), (1, 1), (64 * 1024, 1), (64 * 1024 + 1, 2), (240 * 1024, 4), (256 * 1024, 4)],
)
def test_sqs_bills_each_64_kb_chunk_as_a_request(size: int, requests: int) -> None:
    """A 256 KB payload is four requests; an empty one is still one."""
    assert sqs_requests(size) == requests


def test_meter_bills_sqs_requests_by_payload_chunks() -> None:
    """SendMessageBatch by its bodies, ReceiveMessage by what it returned, DeleteMessage as 1."""
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    sqs = session.client("sqs")
    meter = Meter()
    meter.attach(sqs, "sqs")
    fifo = "https://sqs.us-east-1.amazonaws.com/123456789012/delivery.fifo"
    standard = "https://sqs.us-east-1.amazonaws.com/123456789012/plain"
    stub = Stubber(sqs)
    stub.add_response("send_message_batch", {"Successful": [], "Failed": []})
    stub.add_response("receive_message", {"Messages": [{"Body": "x" * (70 * 1024)}]})
    stub.add_response("receive_message", {})
    stub.add_response("delete_message", {})
    stub.add_response("delete_message", {})
    stub.activate()

    entries = [
        {"Id": str(n), "MessageBody": "y" * (40 * 1024), "MessageGroupId": "g"} for n in range(3)
    ]
    sqs.send_message_batch(QueueUrl=fifo, Entries=entries)  # 120 KB: 2 chunks
    sqs.receive_message(QueueUrl=fifo)  # 70 KB back: 2 chunks
    sqs.receive_message(QueueUrl=fifo)  # empty: still 1
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle="r")
    sqs.delete_message(QueueUrl=standard, ReceiptHandle="r")

    assert meter.units() == {"sqs.fifo.request": 2 + 2 + 1 + 1, "sqs.standard.request": 1}
    assert meter.operations() == {
        "sqs:SendMessageBatch": 1,
        "sqs:ReceiveMessage": 2,
        "sqs:DeleteMessage": 2,
    }


def test_post_model_is_cpu_bound_at_lambda_shares_and_waits_on_round_trips_when_few() -> None:
    """1,024 MB is 0.579 vCPU: 500 lean posts take 500 x 0.399 / 0.579 ms; 10 posts wait."""
    model = PostModel(cpu_ms=0.399, rtt_ms=15.0, threads=32)
    assert model.duration_ms(500, 1024) == pytest.approx(500 * 0.399 * 1769 / 1024)
    assert model.duration_ms(10, 1024) == pytest.approx(15.0 + 0.399 * 1769 / 1024)
    assert model.duration_ms(0, 512) == 0.0
    # On a full vCPU (the share is capped at 1), 500 posts wait on 16 rounds of 32 round trips.
    assert model.duration_ms(500, 3538) == pytest.approx(16 * (15.0 + 0.399))
    # CPU-bound posting costs the same GB-s at any memory below a full vCPU.
    gb_s_512 = lambda_gb_seconds(model.duration_ms(10_000, 512), 512)
    gb_s_1024 = lambda_gb_seconds(model.duration_ms(10_000, 1024), 1024)
    assert gb_s_512 == pytest.approx(gb_s_1024, rel=1e-3)


def test_idle_poller_is_five_long_polls_of_20_s_a_month() -> None:
    """5 pollers x 3 polls a minute x 43,200 minutes, at the FIFO price."""
    requests, dollars = idle_poller()
    assert requests == 5 * 3 * 60 * 24 * 30 == 648_000
    assert dollars == pytest.approx(0.324)


def test_item_size_counts_names_and_values() -> None:
    """Names and values in UTF-8 bytes; numbers by digits; maps and lists with overhead."""
    assert item_size({"room": {"S": "lobby"}}) == 4 + 5
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"ok": {"BOOL": True}}) == 3
    assert item_size({"é": {"S": "€"}}) == 2 + 3
    assert item_size({"m": {"M": {"a": {"S": "b"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert item_size({"l": {"L": [{"S": "x"}, {"S": "y"}]}}) == 1 + 3 + 2 + 2


def test_meter_counts_billable_units_per_call() -> None:
    """Comprehend units, Translate characters (not same-language), writes and reads are counted."""
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    comprehend = session.client("comprehend")
    translate = session.client("translate")
    dynamodb = session.client("dynamodb")
    meter = Meter(gsi_tables=["conns"])
    stubs = [Stubber(comprehend), Stubber(translate), Stubber(dynamodb)]
    for client, service in ((comprehend, "comprehend"), (translate, "translate")):
        meter.attach(client, service)
    meter.attach(dynamodb, "dynamodb")
    stubs[0].add_response("detect_sentiment", {"Sentiment": "POSITIVE"})
    stubs[1].add_response(
        "translate_text",
        {"TranslatedText": "x", "SourceLanguageCode": "en", "TargetLanguageCode": "fr"},
    )
    stubs[1].add_response(
        "translate_text",
        {"TranslatedText": "x", "SourceLanguageCode": "en", "TargetLanguageCode": "en"},
    )
    stubs[2].add_response("put_item", {})
    stubs[2].add_response("get_item", {"Item": {"k": {"S": "v" * 5000}}})
    for stub in stubs:
        stub.activate()

    comprehend.detect_sentiment(Text="a" * 350, LanguageCode="en")
    translate.translate_text(Text="hello", SourceLanguageCode="en", TargetLanguageCode="fr")
    translate.translate_text(Text="hello", SourceLanguageCode="en", TargetLanguageCode="en")
    dynamodb.put_item(TableName="conns", Item={"connectionId": {"S": "c1"}})
    dynamodb.get_item(TableName="t", Key={"k": {"S": "v"}}, ConsistentRead=True)

    assert meter.units() == {
        "comprehend.unit": 4,
        "translate.character": 5,
        "dynamodb.wru": 2,  # the item + its GSI copy
        "dynamodb.rru": 2.0,  # 5 KB strongly consistent
    }
    assert meter.operations() == {
        "comprehend:DetectSentiment": 1,
        "translate:TranslateText": 2,
        "dynamodb:PutItem": 1,
        "dynamodb:GetItem": 1,
    }
    meter.reset()
    assert meter.units() == {}


def _cost_report() -> Any:
    """operations.costs.report, imported when a test needs it (it loads the in-process rig)."""
    return importlib.import_module("operations.costs.report")


def test_original_model_translates_per_reader_until_its_cache_is_warm() -> None:
    """The original pays TranslateText per reader of another language; a repeat hits its cache."""
    report = _cost_report()
    texts = report.TextMaker(1)
    text = "We went to Paris and loved it"
    texts.language_of[text] = "en"
    members = [("a", "en"), ("b", "fr"), ("c", "fr")]
    once = report.Workload("w", members, [("message", "a", text)], texts=texts)
    twice = report.Workload("w", members, [("message", "a", text)] * 2, texts=texts)

    units, features, failed = report.original_cost(once)
    assert units["translate.character"] == 2 * len(text)  # both fr readers, concurrently
    assert units["comprehend.unit"] == 9  # language, sentiment, entities: 3 units each
    assert units["apigateway.message"] == 1 + 3  # the frame in, one post per reader
    assert features["translation"]["translate.character"] == 2 * len(text)
    assert failed == 0
    units_twice, _, _ = report.original_cost(twice)
    assert units_twice["translate.character"] == 2 * len(text)  # the second is cached


def test_original_model_refuses_without_translation_and_fails_big_join_frames() -> None:
    """A refused English message still pays 3 Comprehend calls; a 1,000-message history frame
    exceeds 128 KB and the join fails, after paying to translate it all."""
    report = _cost_report()
    workload = report.joins(count=1, history=1000)
    units, _, failed = report.original_cost(workload, "fresh")
    assert failed == 1
    assert units["translate.character"] > 0

    texts = report.TextMaker(2)
    negative = texts.negative("en")
    refused = report.Workload("r", [("a", "en")], [("message", "a", negative)], texts=texts)
    units, _, _ = report.original_cost(refused)
    assert units["comprehend.unit"] == 9
    assert units["translate.character"] == 0
    assert units["apigateway.message"] == 2


def test_original_model_joins_pay_what_their_container_has_not_translated() -> None:
    """10 joins (en fr de es it, twice) into an en/fr/de history already translated into en, fr
    and de: a warm container that served the history pays only the first es and it joiners; one
    started after the history pays each language's first joiner; fresh containers pay every
    joiner for every message in another language."""
    report = _cost_report()
    workload = report.joins(count=10, history=30)
    chars = {lang: 0 for lang in ("en", "fr", "de")}
    for text, source in workload.history:
        chars[source] += len(text)
    everything = sum(chars.values())
    other = {lang: everything - chars.get(lang, 0) for lang in ("en", "fr", "de", "es", "it")}

    cost = {
        c: report.original_cost(workload, c)[0]["translate.character"] for c in report.CONTAINERS
    }

    assert cost["warm"] == other["es"] + other["it"]
    assert cost["warm-after"] == sum(other.values())
    assert cost["fresh"] == 2 * sum(other.values())


def test_steady_workload_is_the_scenario_the_issue_names() -> None:
    """1,000 messages, 5% of them negative (the fake's words survive the 60-character cut),
    every distinct text 60 characters, and the common-phrase mix close to 30%."""
    report = _cost_report()
    from operations.inprocess import NEGATIVE_WORDS

    distinct = report.steady(1000)
    texts = [text for _, _, text in distinct.events]
    negative = [t for t in texts if NEGATIVE_WORDS & set(t.casefold().split())]
    assert len(texts) == 1000
    assert len(negative) == 50
    assert {len(t) for t in texts} == {60}
    assert len(set(texts)) == 1000

    mixed = report.steady(1000, repeated_share=0.3)
    common = {p for phrases in report.COMMON_PHRASES.values() for p in phrases}
    share = sum(1 for _, _, t in mixed.events if t in common) / 1000
    assert 0.25 <= share <= 0.31  # 30% of the 950 non-negative turns
