"""The Comprehend and Translate operations: AWS request validation, semantics and error shapes.

This module owns what each operation accepts and answers, independent of the wire protocol:
a request is a plain dict (already decoded from JSON or CBOR), a reply is a plain dict, and a
refusal is a :class:`ServiceError` that carries the AWS exception name, HTTP status and message
(plus modeled members such as ``SourceLanguageCode``), so every SDK raises its modeled exception.

Validation follows AWS: a missing or empty member is a ``ValidationException``, a member of the
wrong type a ``SerializationException``; text over the limit (UTF-8 bytes: 5,000 for sentiment
and for each batch document, 100,000 for the other single-document Comprehend operations, 10,000
for TranslateText) is a ``TextSizeLimitExceededException``; more than 25 batch documents a
``BatchSizeLimitExceededException``; a Comprehend ``LanguageCode`` outside en es fr de it pt ar
hi ja ko zh zh-TW an ``UnsupportedLanguageException`` — except that DetectSentiment and
DetectEntities (and their batch forms) also accept every language Positive Chat serves
(``SERVED_LANGUAGES``): a deliberate local extension, so the Lambda can be configured locally to
send every served language directly and a Hebrew message gets a decision instead of being held.
Sentiment is :func:`.sentiment.judge` with the request's ``LanguageCode`` (an English lexicon
only ever reads English text or an English translation from the optional ``to_english``
translator given to :class:`LanguageOperations`). In a batch, a document over the size
limit is reported in ``ErrorList`` (``ErrorCode`` ``TEXT_SIZE_LIMIT_EXCEEDED``) and the others
are still analysed.

TranslateText: source == target (given, or detected with ``SourceLanguageCode: "auto"``) returns
the text unchanged, as Amazon Translate does. Other pairs go to the offline translator
(:class:`.translation.Translator`: Apertium from Debian, direct or through one pivot); a pair it
cannot reach, or no translator at all, is an ``UnsupportedLanguagePairException`` that says why,
and a pipeline that fails even after a restart a ``ServiceUnavailableException`` (503). An
undetectable ``auto`` source is a ``DetectedLanguageLowConfidenceException``. Custom
terminologies do not exist locally (``ResourceNotFoundException``); ``Settings`` are accepted and
have no effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localcloud.language.analysis import (
    SERVED_LANGUAGES,
    LanguageDetector,
    Phrase,
    extract_entities,
    extract_key_phrases,
)
from localcloud.language.sentiment import ToEnglish, judge
from localcloud.language.translation import NoRoute, TranslationFailed, Translator

__all__ = [
    "BATCH_LIMIT",
    "COMPREHEND",
    "COMPREHEND_LANGUAGES",
    "LOCAL_SENTIMENT_LANGUAGES",
    "OPERATIONS",
    "SERVICE_TARGET_PREFIXES",
    "TRANSLATE",
    "LanguageOperations",
    "ServiceError",
]

COMPREHEND = "comprehend"
TRANSLATE = "translate"
# The Smithy service names SDKs put in X-Amz-Target (JSON 1.1) and in the RPC v2 CBOR path.
SERVICE_TARGET_PREFIXES = {
    "Comprehend_20171127": COMPREHEND,
    "AWSShineFrontendService_20170701": TRANSLATE,
}

COMPREHEND_LANGUAGES = frozenset(
    {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
)
# Deliberate local extension (module docstring): sentiment and entities for every served language.
LOCAL_SENTIMENT_LANGUAGES = COMPREHEND_LANGUAGES | frozenset(SERVED_LANGUAGES)
BATCH_LIMIT = 25
SENTIMENT_TEXT_LIMIT = 5_000
DOCUMENT_TEXT_LIMIT = 100_000
BATCH_DOCUMENT_LIMIT = 5_000
TRANSLATE_TEXT_LIMIT = 10_000
# Below this top score, "auto" is not trusted to name the source language.
AUTO_SOURCE_MIN_SCORE = 0.5


class ServiceError(Exception):
    """An AWS error reply: exception name, HTTP status, message and modeled extra members."""

    def __init__(
        self, code: str, message: str, *, status: int = 400, fields: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields: Mapping[str, Any] = dict(fields or {})

    def body(self) -> dict[str, Any]:
        """The error document: ``__type``, ``message`` (and ``Message``), extra members."""
        return {
            "__type": self.code,
            "message": self.message,
            "Message": self.message,
            **self.fields,
        }


Handler = Callable[[dict[str, Any]], dict[str, Any]]


class LanguageOperations:
    """Every supported operation of both services, dispatched by (service, operation name)."""

    def __init__(
        self,
        detector: LanguageDetector,
        *,
        translator: Translator | None = None,
        to_english: ToEnglish | None = None,
    ) -> None:
        self.detector = detector
        self.translator = translator
        # Translates es/fr/it/pt to English for the sentiment judge; None judges without it.
        # By default, the offline translator's English (when it has a route).
        if to_english is None and translator is not None:
            to_english = self._english_or_none
        self.to_english = to_english
        self._handlers: dict[tuple[str, str], Handler] = {
            (COMPREHEND, "DetectDominantLanguage"): self.detect_dominant_language,
            (COMPREHEND, "DetectSentiment"): self.detect_sentiment,
            (COMPREHEND, "DetectEntities"): self.detect_entities,
            (COMPREHEND, "DetectKeyPhrases"): self.detect_key_phrases,
            (COMPREHEND, "BatchDetectDominantLanguage"): self.batch_detect_dominant_language,
            (COMPREHEND, "BatchDetectSentiment"): self.batch_detect_sentiment,
            (COMPREHEND, "BatchDetectEntities"): self.batch_detect_entities,
            (COMPREHEND, "BatchDetectKeyPhrases"): self.batch_detect_key_phrases,
            (TRANSLATE, "TranslateText"): self.translate_text,
        }

    def handler(self, service: str, operation: str) -> Handler:
        """The handler for an operation, or ``UnknownOperationException``."""
        try:
            return self._handlers[(service, operation)]
        except KeyError:
            raise ServiceError(
                "UnknownOperationException",
                f"The local {service} does not implement the operation {operation!r}.",
            ) from None

    def call(self, service: str, operation: str, request: Any) -> dict[str, Any]:
        """Validate and run one request (a decoded JSON/CBOR document)."""
        handler = self.handler(service, operation)
        if not isinstance(request, dict):
            raise ServiceError("SerializationException", "The request body must be an object.")
        return handler(request)

    # ------------------------------------------------------------------ Comprehend

    def detect_dominant_language(self, request: dict[str, Any]) -> dict[str, Any]:
        """DetectDominantLanguage: ``Languages`` sorted by score, best first."""
        text = _text(request, "Text", DOCUMENT_TEXT_LIMIT)
        return self._languages(text)

    def detect_sentiment(self, request: dict[str, Any]) -> dict[str, Any]:
        """DetectSentiment: ``Sentiment`` and ``SentimentScore``."""
        text = _text(request, "Text", SENTIMENT_TEXT_LIMIT)
        language = _comprehend_language(request, LOCAL_SENTIMENT_LANGUAGES)
        return self._sentiment(text, language)

    def detect_entities(self, request: dict[str, Any]) -> dict[str, Any]:
        """DetectEntities: ``Entities`` with real offsets (type OTHER)."""
        text = _text(request, "Text", DOCUMENT_TEXT_LIMIT)
        _comprehend_language(request, LOCAL_SENTIMENT_LANGUAGES)
        return _entities(text)

    def detect_key_phrases(self, request: dict[str, Any]) -> dict[str, Any]:
        """DetectKeyPhrases: ``KeyPhrases`` with real offsets."""
        text = _text(request, "Text", DOCUMENT_TEXT_LIMIT)
        return _key_phrases(text, _comprehend_language(request))

    def batch_detect_dominant_language(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchDetectDominantLanguage over up to 25 documents."""
        return _batch(_text_list(request), self._languages)

    def batch_detect_sentiment(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchDetectSentiment over up to 25 documents in one language."""
        texts = _text_list(request)
        language = _comprehend_language(request, LOCAL_SENTIMENT_LANGUAGES)
        return _batch(texts, lambda text: self._sentiment(text, language))

    def batch_detect_entities(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchDetectEntities over up to 25 documents in one language."""
        texts = _text_list(request)
        _comprehend_language(request, LOCAL_SENTIMENT_LANGUAGES)
        return _batch(texts, _entities)

    def batch_detect_key_phrases(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchDetectKeyPhrases over up to 25 documents in one language."""
        texts = _text_list(request)
        language = _comprehend_language(request)
        return _batch(texts, lambda text: _key_phrases(text, language))

    def _sentiment(self, text: str, language: str) -> dict[str, Any]:
        result = judge(text, language, to_english=self.to_english)
        return {
            "Sentiment": result.sentiment,
            "SentimentScore": {
                "Positive": result.positive,
                "Negative": result.negative,
                "Neutral": result.neutral,
                "Mixed": result.mixed,
            },
        }

    def _languages(self, text: str) -> dict[str, Any]:
        return {
            "Languages": [
                {"LanguageCode": found.code, "Score": found.score}
                for found in self.detector.detect(text)
            ]
        }

    # ------------------------------------------------------------------ Translate

    def translate_text(self, request: dict[str, Any]) -> dict[str, Any]:
        """TranslateText: identity when source == target; otherwise the offline translator."""
        text = _text(request, "Text", TRANSLATE_TEXT_LIMIT)
        source = _language_code(request, "SourceLanguageCode")
        target = _language_code(request, "TargetLanguageCode")
        terminologies = request.get("TerminologyNames")
        if terminologies is not None and not isinstance(terminologies, list):
            raise ServiceError("SerializationException", "TerminologyNames must be a list.")
        if terminologies:
            raise ServiceError(
                "ResourceNotFoundException",
                f"The custom terminology {terminologies[0]!r} does not exist: the local cloud "
                "has no custom terminologies.",
                status=404,
            )
        unknown = [code for code in (source, target) if code not in _TRANSLATE_CODES]
        if source == "auto" and "auto" in unknown:
            unknown.remove("auto")
        if unknown or target == "auto":
            raise _unsupported_pair(
                source,
                target,
                f"The language code {(unknown or [target])[0]!r} is not one the local cloud "
                f"serves ({', '.join(SERVED_LANGUAGES)}; 'auto' as source only).",
            )
        if source == "auto":
            source = self._auto_source(text)
        if source != target:
            text = self._translate(text, source, target)
        return {"TranslatedText": text, "SourceLanguageCode": source, "TargetLanguageCode": target}

    def _translate(self, text: str, source: str, target: str) -> str:
        if self.translator is None:
            raise _unsupported_pair(
                source, target, "The local cloud was started without an offline translator."
            )
        try:
            return self.translator.translate(text, source, target)
        except NoRoute as err:
            raise _unsupported_pair(
                source,
                target,
                f"{err.reason} Deliver the text in {source}, untranslated, or run the local "
                "cloud with real AWS language services (--real-aws) to translate.",
            ) from None
        except TranslationFailed as err:
            raise ServiceError(
                "ServiceUnavailableException",
                f"The offline translator did not answer ({err}); try again.",
                status=503,
            ) from None

    def _english_or_none(self, text: str, source: str) -> str | None:
        """English for the sentiment judge, or None when there is no route (or it failed)."""
        if source == "en":
            return text
        try:
            return self._translate(text, source, "en")
        except ServiceError:
            return None

    def _auto_source(self, text: str) -> str:
        candidates = self.detector.detect(text)
        if not candidates or candidates[0].score < AUTO_SOURCE_MIN_SCORE:
            guess = candidates[0].code if candidates else "und"
            raise ServiceError(
                "DetectedLanguageLowConfidenceException",
                "The source language of the text could not be detected with confidence; "
                "name SourceLanguageCode explicitly.",
                fields={"DetectedLanguageCode": guess},
            )
        return candidates[0].code


# Amazon Translate's pt-PT (European Portuguese) beside the served pt (Brazilian).
_TRANSLATE_CODES = frozenset(SERVED_LANGUAGES) | {"auto", "pt-PT"}


def _unsupported_pair(source: str, target: str, message: str) -> ServiceError:
    return ServiceError(
        "UnsupportedLanguagePairException",
        message,
        fields={"SourceLanguageCode": source, "TargetLanguageCode": target},
    )


# ---------------------------------------------------------------------- validation


def _missing(member: str) -> ServiceError:
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
        "Member must not be null",
    )


def _string(request: dict[str, Any], member: str) -> str:
    value = request.get(member)
    if value is None:
        raise _missing(member)
    if not isinstance(value, str):
        raise ServiceError(
            "SerializationException", f"{member} must be a string, not {type(value).__name__}."
        )
    if not value:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        )
    return value


def _check_size(text: str, limit: int) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ServiceError(
            "TextSizeLimitExceededException",
            f"Input text size exceeds limit. Max length of request text allowed is {limit} "
            f"bytes while in this request the text size is {size} bytes",
        )


def _text(request: dict[str, Any], member: str, limit: int) -> str:
    text = _string(request, member)
    _check_size(text, limit)
    return text


def _text_list(request: dict[str, Any]) -> list[str]:
    texts = request.get("TextList")
    if texts is None:
        raise _missing("TextList")
    if not isinstance(texts, list):
        raise ServiceError("SerializationException", "TextList must be a list of strings.")
    if not texts:
        raise ServiceError(
            "ValidationException",
            "1 validation error detected: Value at 'textList' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        )
    if len(texts) > BATCH_LIMIT:
        raise ServiceError(
            "BatchSizeLimitExceededException",
            f"The number of documents in the request ({len(texts)}) exceeds the limit of "
            f"{BATCH_LIMIT}. Try your request again with fewer documents.",
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ServiceError("SerializationException", f"TextList[{index}] must be a string.")
        if not text:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value at 'textList.{index + 1}.member' failed to "
                "satisfy constraint: Member must have length greater than or equal to 1",
            )
    return texts


def _comprehend_language(
    request: dict[str, Any], accepted: frozenset[str] = COMPREHEND_LANGUAGES
) -> str:
    code = _string(request, "LanguageCode")
    if code not in accepted:
        raise ServiceError(
            "UnsupportedLanguageException",
            f"Amazon Comprehend can't process the language {code!r}. Supported languages: "
            f"{', '.join(sorted(accepted))}.",
        )
    return code


def _language_code(request: dict[str, Any], member: str) -> str:
    code = _string(request, member)
    if not 2 <= len(code) <= 5:
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{code}' at '{member}' failed to satisfy "
            "constraint: Member must have length between 2 and 5",
        )
    return code


# ---------------------------------------------------------------------- replies


def _phrase(phrase: Phrase) -> dict[str, Any]:
    return {
        "Text": phrase.text,
        "BeginOffset": phrase.begin,
        "EndOffset": phrase.end,
        "Score": phrase.score,
    }


def _entities(text: str) -> dict[str, Any]:
    return {"Entities": [{**_phrase(found), "Type": "OTHER"} for found in extract_entities(text)]}


def _key_phrases(text: str, language: str) -> dict[str, Any]:
    return {"KeyPhrases": [_phrase(found) for found in extract_key_phrases(text, language)]}


def _batch(texts: list[str], analyse: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        try:
            _check_size(text, BATCH_DOCUMENT_LIMIT)
        except ServiceError as err:
            errors.append(
                {
                    "Index": index,
                    "ErrorCode": "TEXT_SIZE_LIMIT_EXCEEDED",
                    "ErrorMessage": err.message,
                }
            )
            continue
        results.append({"Index": index, **analyse(text)})
    return {"ResultList": results, "ErrorList": errors}


OPERATIONS: Mapping[str, frozenset[str]] = {
    COMPREHEND: frozenset(
        {
            "DetectDominantLanguage",
            "DetectSentiment",
            "DetectEntities",
            "DetectKeyPhrases",
            "BatchDetectDominantLanguage",
            "BatchDetectSentiment",
            "BatchDetectEntities",
            "BatchDetectKeyPhrases",
        }
    ),
    TRANSLATE: frozenset({"TranslateText"}),
}
