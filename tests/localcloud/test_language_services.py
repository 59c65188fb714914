"""The local language services, driven by real boto3 Comprehend/Translate clients over HTTP.

One server (a child process on a free port) answers every test in this module; tests that need
their own server or process start and stop it themselves. Fault tests clear the fault switch
when they end.
"""

from __future__ import annotations

import asyncio
import json
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.model
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from localcloud.language import LanguageServices, LanguageServicesError, cbor
from localcloud.language.analysis import analyze_sentiment
from localcloud.language.server import LanguageServer

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
# botocore's legacy "max_attempts" counts retries; "total_max_attempts" counts every attempt.
NO_RETRIES = Config(retries={"total_max_attempts": 1})

SENTENCES = {
    "en": "The weather is lovely today and we are going to the park.",
    "fr": "Bonjour tout le monde, comment allez-vous aujourd'hui ?",
    "es": "Hola a todos, ¿cómo están hoy? Espero que muy bien.",
    "de": "Guten Morgen, wie geht es dir heute? Mir geht es gut.",
    "ru": "Привет, как у тебя дела сегодня? У меня всё хорошо.",  # noqa: RUF001
    "ja": "今日はとても良い天気ですね、散歩に行きましょう。",
}
POSITIVE = "I love this chat, you are all wonderful!"
NEGATIVE = "You are an idiot and I hate you."
NEUTRAL = "The meeting is at 3pm in room 4."


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def services() -> Iterator[LanguageServices]:
    """The language services in their own process, on a free port."""
    running = LanguageServices()
    running.start()
    yield running
    running.stop()


def _client(service: str, url: str, config: Config | None = None) -> Any:
    return boto3.session.Session().client(service, endpoint_url=url, config=config, **CREDENTIALS)


@pytest.fixture(scope="module")
def comprehend(services: LanguageServices) -> Any:
    """A boto3 Comprehend client (default retries) pointed at the local services."""
    return _client("comprehend", services.url)


@pytest.fixture(scope="module")
def translate(services: LanguageServices) -> Any:
    """A boto3 Translate client (default retries) pointed at the local services."""
    return _client("translate", services.url)


@pytest.fixture
def faults(services: LanguageServices) -> Iterator[LanguageServices]:
    """The services with a clean fault switch, cleared again afterwards."""
    services.clear_faults()
    yield services
    services.clear_faults()


def _raw(
    url: str,
    path: str = "/",
    *,
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _json_call(url: str, target: str, document: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = _raw(
        url,
        body=json.dumps(document).encode(),
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    return status, json.loads(body)


# --------------------------------------------------------------------------- language detection


@pytest.mark.parametrize("language", sorted(SENTENCES), ids=sorted(SENTENCES))
def test_detect_dominant_language_names_clear_sentences(comprehend: Any, language: str) -> None:
    """A clear sentence of 20+ characters is named in its language, with a high score."""
    languages = comprehend.detect_dominant_language(Text=SENTENCES[language])["Languages"]

    assert languages[0]["LanguageCode"] == language
    assert languages[0]["Score"] > 0.5


def test_detect_dominant_language_sorts_candidates_by_score(comprehend: Any) -> None:
    """Candidates come best first, each scored within 0..1 with a served code."""
    languages = comprehend.detect_dominant_language(Text="Ciao a tutti, come state oggi?")[
        "Languages"
    ]

    scores = [candidate["Score"] for candidate in languages]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < score <= 1.0 for score in scores)
    assert languages[0]["LanguageCode"] == "it"


def test_detect_dominant_language_calls_chinese_zh(comprehend: Any) -> None:
    """Chinese is answered as ``zh``: Traditional is not distinguishable offline."""
    text = "這是一個很好的聊天室，大家好嗎？"  # noqa: RUF001
    languages = comprehend.detect_dominant_language(Text=text)["Languages"]

    assert languages[0]["LanguageCode"] == "zh"


def test_detect_dominant_language_without_signal_is_empty(comprehend: Any) -> None:
    """Text with no letters carries no language, so no candidate is invented."""
    assert comprehend.detect_dominant_language(Text="12345 !!! 67890 ???")["Languages"] == []


# ------------------------------------------------------------------------------------- sentiment


@pytest.mark.parametrize(
    ("text", "label"),
    [(POSITIVE, "POSITIVE"), (NEGATIVE, "NEGATIVE"), (NEUTRAL, "NEUTRAL")],
    ids=["positive", "negative", "neutral"],
)
def test_detect_sentiment_labels_clear_english(comprehend: Any, text: str, label: str) -> None:
    """Clear English is labelled correctly, the label scores highest and scores sum to 1."""
    reply = comprehend.detect_sentiment(Text=text, LanguageCode="en")

    scores = reply["SentimentScore"]
    assert reply["Sentiment"] == label
    assert max(scores, key=scores.get) == label.title()
    assert sum(scores.values()) == pytest.approx(1.0)


def test_detect_sentiment_labels_balanced_opinions_mixed() -> None:
    """Strong positive and negative words in balance are MIXED, not NEUTRAL."""
    result = analyze_sentiment("This is great but also terrible and awful, yet amazing")

    assert result.sentiment == "MIXED"
    assert result.mixed == max(result.positive, result.negative, result.neutral, result.mixed)


def test_detect_sentiment_accepts_exactly_5000_bytes(comprehend: Any) -> None:
    """A text of exactly 5,000 UTF-8 bytes is within DetectSentiment's limit."""
    reply = comprehend.detect_sentiment(Text="é" * 2500, LanguageCode="en")

    assert reply["Sentiment"] in {"POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"}


def test_detect_sentiment_refuses_text_over_5000_bytes(comprehend: Any) -> None:
    """5,002 UTF-8 bytes (2,501 characters) exceed the limit: bytes are counted, not chars."""
    with pytest.raises(comprehend.exceptions.TextSizeLimitExceededException) as caught:
        comprehend.detect_sentiment(Text="é" * 2501, LanguageCode="en")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "5002 bytes" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.detect_sentiment(Text=POSITIVE, LanguageCode="sw"),
        lambda c: c.detect_entities(Text=POSITIVE, LanguageCode="sw"),
        lambda c: c.detect_key_phrases(Text=POSITIVE, LanguageCode="sv"),
        lambda c: c.batch_detect_sentiment(TextList=[POSITIVE], LanguageCode="sw"),
        lambda c: c.batch_detect_entities(TextList=[POSITIVE], LanguageCode="sw"),
    ],
    ids=["sentiment", "entities", "key-phrases", "batch-sentiment", "batch-entities"],
)
def test_comprehend_refuses_unsupported_language(comprehend: Any, call: Any) -> None:
    """Outside Comprehend's 12 (and, for sentiment and entities, outside the served languages)
    a LanguageCode is an UnsupportedLanguageException."""
    with pytest.raises(comprehend.exceptions.UnsupportedLanguageException):
        call(comprehend)


@pytest.mark.parametrize("language", ["he", "ru", "nl", "tr", "zh-TW"])
def test_sentiment_and_entities_accept_every_served_language(
    comprehend: Any, language: str
) -> None:
    """The local extension: a served language outside Comprehend's 12 still gets a decision."""
    reply = comprehend.detect_sentiment(Text="🎉🎉 👍", LanguageCode=language)
    batch = comprehend.batch_detect_sentiment(TextList=["ok"], LanguageCode=language)
    entities = comprehend.detect_entities(Text="Tel Aviv", LanguageCode=language)

    assert reply["Sentiment"] == "POSITIVE"
    assert sum(reply["SentimentScore"].values()) == pytest.approx(1.0)
    assert batch["ResultList"][0]["Sentiment"] == "NEUTRAL"
    assert isinstance(entities["Entities"], list)


# ----------------------------------------------------------------------- entities and key phrases


def test_detect_entities_finds_names_at_real_offsets(comprehend: Any) -> None:
    """Names are found, and every offset pair slices exactly the entity's text."""
    text = "Hello everyone! I went to Paris with Marie Curie and saw NASA."
    entities = comprehend.detect_entities(Text=text, LanguageCode="en")["Entities"]

    assert [entity["Text"] for entity in entities] == ["Paris", "Marie Curie", "NASA"]
    for entity in entities:
        assert text[entity["BeginOffset"] : entity["EndOffset"]] == entity["Text"]
        assert entity["Type"] == "OTHER"
        assert 0.0 < entity["Score"] <= 1.0


def test_detect_entities_counts_offsets_in_characters(comprehend: Any) -> None:
    """Offsets after emoji and accents are character offsets, not byte offsets."""
    text = "Salut 😀 à tous, je suis à Montréal avec Zoé."
    entities = comprehend.detect_entities(Text=text, LanguageCode="fr")["Entities"]

    assert [(e["Text"], e["BeginOffset"]) for e in entities] == [
        ("Montréal", text.index("Montréal")),
        ("Zoé", text.index("Zoé")),
    ]


def test_detect_key_phrases_returns_ordered_disjoint_spans(comprehend: Any) -> None:
    """Key phrases slice the text exactly, in text order, without overlapping."""
    text = "Amazon Web Services is great for serverless apps like Positive Chat."
    phrases = comprehend.detect_key_phrases(Text=text, LanguageCode="en")["KeyPhrases"]

    assert phrases
    assert any("Amazon Web Services" in phrase["Text"] for phrase in phrases)
    previous_end = 0
    for phrase in phrases:
        assert text[phrase["BeginOffset"] : phrase["EndOffset"]] == phrase["Text"]
        assert phrase["BeginOffset"] >= previous_end
        previous_end = phrase["EndOffset"]


# ------------------------------------------------------------------------------------- batches


@pytest.mark.parametrize(
    ("operation", "kwargs", "field"),
    [
        ("batch_detect_dominant_language", {}, "Languages"),
        ("batch_detect_sentiment", {"LanguageCode": "en"}, "Sentiment"),
        ("batch_detect_entities", {"LanguageCode": "en"}, "Entities"),
        ("batch_detect_key_phrases", {"LanguageCode": "en"}, "KeyPhrases"),
    ],
    ids=["dominant-language", "sentiment", "entities", "key-phrases"],
)
def test_batch_reports_results_and_oversized_documents_by_index(
    comprehend: Any, operation: str, kwargs: dict[str, str], field: str
) -> None:
    """Each document gets a result by Index, and an oversized one an ErrorList entry."""
    texts = [POSITIVE, "x" * 5001, NEGATIVE]
    reply = getattr(comprehend, operation)(TextList=texts, **kwargs)

    assert [result["Index"] for result in reply["ResultList"]] == [0, 2]
    assert all(field in result for result in reply["ResultList"])
    assert reply["ErrorList"] == [
        {
            "Index": 1,
            "ErrorCode": "TEXT_SIZE_LIMIT_EXCEEDED",
            "ErrorMessage": reply["ErrorList"][0]["ErrorMessage"],
        }
    ]


def test_batch_detect_sentiment_matches_single_calls(comprehend: Any) -> None:
    """A batch answers each document as the single-document operation does."""
    batch = comprehend.batch_detect_sentiment(TextList=[POSITIVE, NEGATIVE], LanguageCode="en")

    assert [result["Sentiment"] for result in batch["ResultList"]] == ["POSITIVE", "NEGATIVE"]


def test_batch_refuses_more_than_25_documents(comprehend: Any) -> None:
    """26 documents are a BatchSizeLimitExceededException."""
    with pytest.raises(comprehend.exceptions.BatchSizeLimitExceededException):
        comprehend.batch_detect_dominant_language(TextList=[POSITIVE] * 26)


# ------------------------------------------------------------------------------------ translate


def test_translate_same_language_returns_text_unchanged(translate: Any) -> None:
    """Source == target answers the text itself, as Amazon Translate does."""
    reply = translate.translate_text(
        Text=SENTENCES["de"], SourceLanguageCode="de", TargetLanguageCode="de"
    )

    assert reply["TranslatedText"] == SENTENCES["de"]
    assert (reply["SourceLanguageCode"], reply["TargetLanguageCode"]) == ("de", "de")


def test_translate_auto_source_detects_language(translate: Any) -> None:
    """``auto`` detects the source; when it equals the target the text comes back unchanged."""
    reply = translate.translate_text(
        Text=SENTENCES["fr"], SourceLanguageCode="auto", TargetLanguageCode="fr"
    )

    assert reply["TranslatedText"] == SENTENCES["fr"]
    assert reply["SourceLanguageCode"] == "fr"


@pytest.mark.parametrize(
    ("source", "detected"), [("en", "en"), ("auto", "es")], ids=["explicit", "auto"]
)
def test_translate_unreachable_pair_says_why(
    translate: Any, source: str, detected: str
) -> None:
    """A pair no installed Apertium mode reaches is an UnsupportedLanguagePairException."""
    text = SENTENCES["en"] if source == "en" else SENTENCES["es"]
    with pytest.raises(translate.exceptions.UnsupportedLanguagePairException) as caught:
        translate.translate_text(Text=text, SourceLanguageCode=source, TargetLanguageCode="ja")

    response = caught.value.response
    assert f"translates {detected} to ja" in response["Error"]["Message"]
    assert (response["SourceLanguageCode"], response["TargetLanguageCode"]) == (detected, "ja")


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [("en", "es", "amigos"), ("fr", "it", "amici"), ("pt", "en", "friends"), ("es", "pt-PT", "")],
)
def test_translate_offline_with_apertium(
    translate: Any, source: str, target: str, expected: str
) -> None:
    """A boto3 TranslateText between two of en/es/fr/pt/it answers a real translation."""
    text = {
        "en": "Hello my friends, how are you?",
        "fr": "Bonjour mes amis, comment allez-vous ?",
        "pt": "Olá meus amigos, como vocês estão?",
        "es": "Hola amigos, ¿cómo estáis?",
    }[source]
    reply = translate.translate_text(
        Text=text, SourceLanguageCode=source, TargetLanguageCode=target
    )

    assert reply["TranslatedText"] != text
    assert expected in reply["TranslatedText"].lower()
    assert (reply["SourceLanguageCode"], reply["TargetLanguageCode"]) == (source, target)


def test_translate_refuses_language_it_does_not_serve(translate: Any) -> None:
    """A code outside the served languages is an unsupported pair, even source == target."""
    with pytest.raises(translate.exceptions.UnsupportedLanguagePairException) as caught:
        translate.translate_text(Text="hello", SourceLanguageCode="xx", TargetLanguageCode="xx")

    assert "'xx'" in caught.value.response["Error"]["Message"]


def test_translate_auto_without_language_signal_is_low_confidence(translate: Any) -> None:
    """``auto`` on text with no language is a DetectedLanguageLowConfidenceException."""
    with pytest.raises(translate.exceptions.DetectedLanguageLowConfidenceException):
        translate.translate_text(Text="123 456", SourceLanguageCode="auto", TargetLanguageCode="en")


def test_translate_refuses_text_over_10000_bytes(translate: Any) -> None:
    """10,001 bytes exceed TranslateText's limit."""
    with pytest.raises(translate.exceptions.TextSizeLimitExceededException):
        translate.translate_text(
            Text="a" * 10_001, SourceLanguageCode="en", TargetLanguageCode="en"
        )


def test_translate_has_no_custom_terminologies(translate: Any) -> None:
    """Naming a terminology is a ResourceNotFoundException (404): none exist locally."""
    with pytest.raises(translate.exceptions.ResourceNotFoundException) as caught:
        translate.translate_text(
            Text="hello",
            SourceLanguageCode="en",
            TargetLanguageCode="en",
            TerminologyNames=["brand-names"],
        )

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ----------------------------------------------------------------------- wire protocol and errors


@pytest.mark.parametrize(
    ("target", "document", "status", "code"),
    [
        ("Comprehend_20171127.DetectSyntaxTree", {"Text": "x"}, 400, "UnknownOperationException"),
        ("NoSuchService_20200101.DetectSentiment", {}, 400, "UnknownOperationException"),
        ("DetectSentiment", {}, 400, "UnknownOperationException"),
        ("Comprehend_20171127.DetectSentiment", {"LanguageCode": "en"}, 400, "ValidationException"),
        (
            "Comprehend_20171127.DetectSentiment",
            {"Text": "", "LanguageCode": "en"},
            400,
            "ValidationException",
        ),
        (
            "Comprehend_20171127.DetectSentiment",
            {"Text": 7, "LanguageCode": "en"},
            400,
            "SerializationException",
        ),
        (
            "Comprehend_20171127.DetectDominantLanguage",
            ["not", "an", "object"],
            400,
            "SerializationException",
        ),
        (
            "Comprehend_20171127.BatchDetectSentiment",
            {"TextList": [], "LanguageCode": "en"},
            400,
            "ValidationException",
        ),
        (
            "AWSShineFrontendService_20170701.TranslateText",
            {"Text": "hi", "SourceLanguageCode": "en"},
            400,
            "ValidationException",
        ),
    ],
    ids=[
        "unknown-operation",
        "unknown-service",
        "no-service-prefix",
        "missing-text",
        "empty-text",
        "text-not-a-string",
        "body-not-an-object",
        "empty-batch",
        "missing-target-language",
    ],
)
def test_bad_requests_get_clear_aws_errors(
    services: LanguageServices, target: str, document: Any, status: int, code: str
) -> None:
    """Requests an SDK would not send still get an AWS-shaped error, never a crash."""
    answer_status, answer = _json_call(services.url, target, document)

    assert (answer_status, answer["__type"]) == (status, code)
    assert answer["message"]


def test_invalid_json_body_is_a_serialization_error(services: LanguageServices) -> None:
    """A body that is not JSON is a SerializationException with the error type header."""
    status, headers, body = _raw(
        services.url, body=b"{nope", headers={"X-Amz-Target": "Comprehend_20171127.DetectSentiment"}
    )

    assert status == 400
    assert json.loads(body)["__type"] == "SerializationException"
    assert headers["x-amzn-ErrorType"] == "SerializationException"


@pytest.fixture
def cbor_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make botocore prefer Smithy RPC v2 CBOR, as newer AWS SDKs do."""
    monkeypatch.setattr(
        botocore.model,
        "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS",
        ("smithy-rpc-v2-cbor", "json", "rest-json", "rest-xml", "query", "ec2"),
    )


@pytest.mark.usefixtures("cbor_protocol")
def test_rpc_v2_cbor_clients_get_the_same_answers(services: LanguageServices) -> None:
    """An SDK speaking RPC v2 CBOR gets CBOR replies with the same content as JSON."""
    comprehend = _client("comprehend", services.url)

    reply = comprehend.detect_sentiment(Text=POSITIVE, LanguageCode="en")
    batch = comprehend.batch_detect_key_phrases(TextList=[SENTENCES["en"]], LanguageCode="en")

    assert reply["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/cbor"
    assert reply["Sentiment"] == "POSITIVE"
    assert batch["ResultList"][0]["KeyPhrases"]


@pytest.mark.usefixtures("cbor_protocol")
def test_rpc_v2_cbor_errors_become_modeled_exceptions(services: LanguageServices) -> None:
    """A CBOR error reply carries its modeled members to the SDK's modeled exception."""
    translate = _client("translate", services.url)

    with pytest.raises(translate.exceptions.UnsupportedLanguagePairException) as caught:
        translate.translate_text(Text="hello", SourceLanguageCode="en", TargetLanguageCode="ja")

    assert caught.value.response["TargetLanguageCode"] == "ja"


def test_malformed_cbor_body_is_a_serialization_error(services: LanguageServices) -> None:
    """A truncated CBOR document is refused with a CBOR-encoded SerializationException."""
    status, headers, body = _raw(
        services.url,
        "/service/Comprehend_20171127/operation/DetectSentiment",
        body=b"\xa2\x64Text",
        headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )

    assert status == 400
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor.decode(body)["__type"] == "SerializationException"


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (bytes.fromhex("00"), 0),
        (bytes.fromhex("1903e8"), 1000),
        (bytes.fromhex("3863"), -100),
        (bytes.fromhex("f93c00"), 1.0),
        (bytes.fromhex("fa47c35000"), 100000.0),
        (bytes.fromhex("6449455446"), "IETF"),
        (bytes.fromhex("7f657374726561646d696e67ff"), "streaming"),
        (bytes.fromhex("9f018202039f0405ffff"), [1, [2, 3], [4, 5]]),
        (bytes.fromhex("bf61610161629f0203ffff"), {"a": 1, "b": [2, 3]}),
        (bytes.fromhex("c11a514b67b0"), 1363896240),
        (bytes.fromhex("f4"), False),
    ],
    ids=[
        "0",
        "1000",
        "-100",
        "half",
        "single",
        "text",
        "indef-text",
        "indef-array",
        "indef-map",
        "tagged-epoch",
        "false",
    ],
)
def test_cbor_decodes_rfc_8949_examples(data: bytes, value: Any) -> None:
    """The decoder reads RFC 8949 Appendix A examples, definite and indefinite."""
    assert cbor.decode(data) == value


def test_cbor_round_trips_a_reply_document() -> None:
    """An encoded reply decodes to the same document, floats exact."""
    document = {
        "Languages": [{"LanguageCode": "en", "Score": 0.1 + 0.2}],
        "Ok": True,
        "Nothing": None,
        "Big": 2**40,
        "Neg": -(2**33),
        "Raw": b"\x00\xff",
    }

    assert cbor.decode(cbor.encode(document)) == document


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x62a",
        b"\x01\x02",
        b"\x81" * 100 + b"\x01",
        b"\x62\xff\xfe",
        b"\x1c",
        b"\xff",
        b"\xa1\x80\x01",
        b"\x7f\x01\xff",
        b"\xfb" + struct.pack(">f", 1.0),
    ],
    ids=[
        "empty",
        "truncated",
        "trailing",
        "too-deep",
        "bad-utf8",
        "reserved",
        "lone-break",
        "list-key",
        "bad-chunk",
        "short-double",
    ],
)
def test_cbor_rejects_malformed_input_with_its_own_error(data: bytes) -> None:
    """Malformed or hostile CBOR raises CBORDecodeError, nothing else."""
    with pytest.raises(cbor.CBORDecodeError):
        cbor.decode(data)


# ---------------------------------------------------------------------------------------- faults


def test_fault_throttle_comprehend_raises_throttling_exception(
    faults: LanguageServices, services: LanguageServices
) -> None:
    """Throttled Comprehend answers ThrottlingException with HTTP 400."""
    faults.set_fault("comprehend", "throttle")
    client = _client("comprehend", services.url, NO_RETRIES)

    with pytest.raises(ClientError) as caught:
        client.detect_sentiment(Text=POSITIVE, LanguageCode="en")

    error = caught.value.response
    assert error["Error"]["Code"] == "ThrottlingException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert faults.faults()["comprehend"]["injected"] == 1


def test_fault_throttle_translate_raises_too_many_requests(
    faults: LanguageServices, services: LanguageServices
) -> None:
    """Throttled Translate answers its modeled TooManyRequestsException with HTTP 429."""
    faults.set_fault("translate", "throttle")
    client = _client("translate", services.url, NO_RETRIES)

    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.translate_text(Text="hello", SourceLanguageCode="en", TargetLanguageCode="en")

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


@pytest.mark.parametrize("service", ["comprehend", "translate"])
def test_fault_error_raises_internal_server_exception(
    faults: LanguageServices, services: LanguageServices, service: str
) -> None:
    """The error mode answers InternalServerException with HTTP 500."""
    faults.set_fault(service, "error")
    client = _client(service, services.url, NO_RETRIES)

    def call() -> Any:
        if service == "comprehend":
            return client.detect_dominant_language(Text=SENTENCES["en"])
        return client.translate_text(Text="hi", SourceLanguageCode="en", TargetLanguageCode="en")

    with pytest.raises(client.exceptions.InternalServerException) as caught:
        call()

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_fault_slow_delays_then_answers(faults: LanguageServices, comprehend: Any) -> None:
    """The slow mode waits delaySeconds, then answers normally."""
    faults.set_fault("comprehend", "slow", delay_seconds=0.4)

    started = time.perf_counter()
    reply = comprehend.detect_sentiment(Text=POSITIVE, LanguageCode="en")

    assert time.perf_counter() - started >= 0.4
    assert reply["Sentiment"] == "POSITIVE"


def test_fault_slow_request_does_not_block_other_requests(
    faults: LanguageServices, services: LanguageServices, comprehend: Any
) -> None:
    """While a Translate call is held by a slow fault, Comprehend still answers at once."""
    faults.set_fault("translate", "slow", delay_seconds=1.5)
    slow_client = _client("translate", services.url)
    finished: list[float] = []

    def slow_call() -> None:
        slow_client.translate_text(Text="hi", SourceLanguageCode="en", TargetLanguageCode="en")
        finished.append(time.perf_counter())

    worker = threading.Thread(target=slow_call)
    worker.start()
    time.sleep(0.2)  # the slow request is now in flight
    started = time.perf_counter()
    comprehend.detect_sentiment(Text=POSITIVE, LanguageCode="en")
    fast = time.perf_counter() - started
    worker.join(5)

    assert fast < 1.0
    assert finished
    assert finished[0] > started + fast


def test_fault_limited_to_named_operations(
    faults: LanguageServices, services: LanguageServices
) -> None:
    """A rule naming operations leaves the service's other operations alone."""
    faults.set_fault("comprehend", "error", operations=["DetectSentiment"])
    client = _client("comprehend", services.url, NO_RETRIES)

    assert client.detect_dominant_language(Text=SENTENCES["en"])["Languages"]
    with pytest.raises(client.exceptions.InternalServerException):
        client.detect_sentiment(Text=POSITIVE, LanguageCode="en")


def test_fault_rate_zero_never_fires(faults: LanguageServices, comprehend: Any) -> None:
    """A rule with rate 0.0 is installed but injects nothing."""
    faults.set_fault("comprehend", "error", rate=0.0)

    for _ in range(5):
        comprehend.detect_sentiment(Text=POSITIVE, LanguageCode="en")

    assert faults.faults()["comprehend"] == {
        "mode": "error",
        "rate": 0.0,
        "delaySeconds": 0.0,
        "operations": None,
        "injected": 0,
    }


def test_fault_clear_restores_service(faults: LanguageServices, services: LanguageServices) -> None:
    """DELETE clears a rule: the next call succeeds and the switch reads mode none."""
    faults.set_fault("translate", "error")
    faults.clear_faults("translate")
    client = _client("translate", services.url, NO_RETRIES)

    reply = client.translate_text(Text="hi", SourceLanguageCode="en", TargetLanguageCode="en")

    assert reply["TranslatedText"] == "hi"
    assert faults.faults()["translate"]["mode"] == "none"


@pytest.mark.parametrize(
    "document",
    [
        {"service": "dynamodb", "mode": "error"},
        {"service": "comprehend", "mode": "explode"},
        {"service": "comprehend", "mode": "error", "rate": 1.5},
        {"service": "comprehend", "mode": "error", "rate": True},
        {"service": "comprehend", "mode": "slow"},
        {"service": "comprehend", "mode": "slow", "delaySeconds": 301},
        {"service": "comprehend", "mode": "error", "operations": ["TranslateText"]},
        {"service": "comprehend", "mode": "error", "operation": ["DetectSentiment"]},
        ["not", "an", "object"],
    ],
    ids=[
        "service",
        "mode",
        "rate-range",
        "rate-bool",
        "slow-no-delay",
        "delay-range",
        "foreign-operation",
        "unknown-field",
        "not-object",
    ],
)
def test_fault_switch_refuses_bad_rules(faults: LanguageServices, document: Any) -> None:
    """A bad rule is a 400 with a message saying what is wrong, and changes nothing."""
    status, _, body = _raw(
        faults.url,
        "/_localcloud/faults",
        body=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
    )

    assert status == 400
    assert json.loads(body)["error"]
    assert all(rule["mode"] == "none" for rule in faults.faults().values())


def test_fault_switch_client_raises_on_refusal(faults: LanguageServices) -> None:
    """The Python fault switch turns a refusal into LanguageServicesError."""
    with pytest.raises(LanguageServicesError, match="mode must be one of"):
        faults.set_fault("comprehend", "sometimes")


# ------------------------------------------------------------------------------------- lifecycle


async def test_language_model_loads_on_first_detection() -> None:
    """The in-process server starts without the model and builds it on first detection."""
    server = LanguageServer()
    url = await server.start()
    try:
        assert server.detector.loaded is False
        client = _client("comprehend", url)
        reply = await asyncio.to_thread(client.detect_dominant_language, Text=SENTENCES["en"])
        assert reply["Languages"][0]["LanguageCode"] == "en"
        assert server.detector.loaded is True
    finally:
        await server.stop()


def test_services_stop_ends_process_and_is_idempotent() -> None:
    """stop() ends the child process and can be called twice; the port then refuses."""
    running = LanguageServices()
    url = running.start()
    process = running._process
    assert process is not None
    assert _raw(url, "/_localcloud/health", method="GET")[0] == 200

    running.stop()
    running.stop()

    assert process.poll() is not None
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/_localcloud/health", timeout=2)


def test_services_stop_when_their_parent_is_killed() -> None:
    """A parent killed with SIGKILL leaves no orphan: the child stops serving by itself."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from localcloud.language import LanguageServices\n"
            "print(LanguageServices().start(), flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        url = parent.stdout.readline().strip()
        assert _raw(url, "/_localcloud/health", method="GET")[0] == 200
    finally:
        parent.kill()
        parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_localcloud/health", timeout=1).close()
        except urllib.error.URLError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the orphaned language services were still serving after 10 s")


def test_services_report_a_port_that_is_taken(services: LanguageServices) -> None:
    """Starting on a port in use fails with a clear LanguageServicesError."""
    taken = int(services.url.rsplit(":", 1)[1])

    with pytest.raises(LanguageServicesError, match="cannot serve"):
        LanguageServices(port=taken).start()


def test_command_line_serves_until_sigterm() -> None:
    """``python -m localcloud.language --port 0`` prints the endpoint and exits 0 on SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud.language", "--port", "0", "--log-level", "WARNING"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("export AWS_ENDPOINT_URL_COMPREHEND=http://127.0.0.1:")
        url = line.strip().split("=", 1)[1]
        comprehend = _client("comprehend", url)
        assert comprehend.detect_sentiment(Text=NEGATIVE, LanguageCode="en")["Sentiment"] == (
            "NEGATIVE"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(10)
        if process.stdout is not None:
            process.stdout.close()

    assert exit_code == 0
