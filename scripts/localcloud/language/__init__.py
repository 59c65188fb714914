"""Offline Amazon Comprehend and Amazon Translate for the local cloud.

This package owns the local language services: ONE HTTP server that answers both services, so the
local cloud points ``AWS_ENDPOINT_URL_COMPREHEND`` and ``AWS_ENDPOINT_URL_TRANSLATE`` at the same
URL and any AWS SDK works against it unchanged (dummy credentials, any region).

Wire protocols (both, on the same port):

- AWS JSON 1.1: ``POST /``, ``X-Amz-Target: Comprehend_20171127.<Op>`` or
  ``AWSShineFrontendService_20170701.TranslateText``, ``application/x-amz-json-1.1``.
- Smithy RPC v2 CBOR: ``POST /service/<prefix>/operation/<Op>``, ``application/cbor``. Current
  botocore (>= 1.36) speaks this one to Comprehend and Translate, not JSON.

Operations: DetectDominantLanguage, DetectSentiment, DetectEntities, DetectKeyPhrases, their
BatchDetect* variants (max 25 documents, ``ResultList``/``ErrorList`` by ``Index``), and
TranslateText. Validation, limits and error names follow AWS (:mod:`.operations`); an unknown
operation is an ``UnknownOperationException`` (400).

Backing libraries (offline; :mod:`.analysis` says how each maps to Comprehend):
lingua for language detection (the 32 served languages, built on first use, low-accuracy mode;
Chinese is always ``zh``, never ``zh-TW``), the judge of :mod:`.sentiment` for sentiment
(safetype's rule packs, curated cues, VADER on English text or its English translation only),
YAKE for key phrases, a capitalised-span heuristic for entities (type ``OTHER``). There is no
offline translation in the package registries: TranslateText returns the text when source and target
are the same language and otherwise answers ``UnsupportedLanguagePairException`` saying so.

Fault switch (fault-injection tests, see :mod:`.faults`):

- ``POST /_localcloud/faults`` with ``{"service": "comprehend"|"translate", "mode":
  "none"|"throttle"|"error"|"slow", "rate": 0.0-1.0, "delaySeconds": float, "operations":
  [optional list]}`` sets that service's rule; ``GET`` reads every rule and how many faults each
  injected; ``DELETE`` (optionally ``?service=translate``) clears them.
- ``throttle``: Comprehend ``ThrottlingException`` (400), Translate ``TooManyRequestsException``
  (429); ``error``: ``InternalServerException`` (500); ``slow``: sleeps ``delaySeconds`` and then
  answers normally. SDKs retry throttles and 5xx by themselves: to observe the error in a test,
  use ``Config(retries={"total_max_attempts": 1})`` (botocore's ``max_attempts`` counts
  retries in its default legacy mode, so ``max_attempts: 1`` still sends two requests).

Running it: :class:`LanguageServices` (a child process; ``start()`` returns the URL, ``stop()``
is idempotent), or alone: ``python -m localcloud.language --port 8001``.
"""

from __future__ import annotations

from localcloud.language.process import LanguageServices, LanguageServicesError

__all__ = ["LanguageServices", "LanguageServicesError"]
