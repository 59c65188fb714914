"""SigV4 verification for the local @connections API: what API Gateway checks before it answers.

API Gateway's management API accepts a request only when its Signature Version 4 signature is
right for a known key. The local gateway holds the credentials its Lambda functions get (their
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``local``/``local`` by default), recomputes the
signature of each request with botocore's own signer (``botocore.auth.SigV4Auth``: the same
canonical request and string to sign the client used) and compares the two in constant time.

Refusals have AWS's shapes (403, ``x-amzn-ErrorType`` and a ``message``): no ``Authorization``
header, ``ForbiddenException`` "Missing Authentication Token"; an unknown access key,
``UnrecognizedClientException``; a wrong signature, a wrong scope or a timestamp more than five
minutes off, ``InvalidSignatureException``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["MAX_SKEW_SECONDS", "Refusal", "SigV4Verifier"]

MAX_SKEW_SECONDS = 300  # API Gateway: "Signature expired ... (now - 5 min.)"
_ALGORITHM = "AWS4-HMAC-SHA256"
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as API Gateway answers it."""

    status: int
    error_type: str
    message: str


CredentialSource = Callable[[], "tuple[str, str] | None"]


class SigV4Verifier:
    """Checks SigV4 signatures of requests to one service in one region."""

    def __init__(
        self,
        region: str,
        service: str = "execute-api",
        *,
        clock: Callable[[], float] = time.time,
        max_skew: float = MAX_SKEW_SECONDS,
    ) -> None:
        self.region = region
        self.service = service
        self._clock = clock
        self._max_skew = max_skew
        self._secrets: dict[str, str] = {}
        self._sources: list[CredentialSource] = []

    def allow(self, access_key: str, secret_key: str) -> None:
        """Accept requests signed with this key pair."""
        self._secrets[access_key] = secret_key

    def allow_source(self, source: CredentialSource) -> None:
        """Accept the key pair ``source`` returns, read again for a key not known yet (credentials
        from a profile rotate)."""
        self._sources.append(source)
        self._refresh()

    def _refresh(self) -> None:
        for source in self._sources:
            pair = source()
            if pair is not None:
                self._secrets[pair[0]] = pair[1]

    def verify(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Refusal | None:
        """None when the request is signed right, else how API Gateway would refuse it.

        ``url`` is the URL as the client sent it (scheme, the ``Host`` header, the raw path and
        query); ``headers`` are the request's headers (any case).
        """
        lower = {k.lower(): v for k, v in headers.items()}
        authorization = lower.get("authorization", "")
        if not authorization.startswith(_ALGORITHM + " "):
            return Refusal(403, "ForbiddenException", "Missing Authentication Token")
        parsed = _AUTHORIZATION.match(authorization.strip())
        if parsed is None:
            return Refusal(
                403, "IncompleteSignatureException", f"Authorization header requires "
                f"'Credential', 'SignedHeaders' and 'Signature': {authorization[:200]!r}"
            )
        stamp = lower.get("x-amz-date", "")
        signed = parsed["signed"].split(";")
        if "host" not in signed or "x-amz-date" not in signed or any(
            name not in lower for name in signed
        ):
            return Refusal(403, "InvalidSignatureException", _MISMATCH)
        refusal = self._check_scope(parsed, stamp)
        if refusal is not None:
            return refusal
        secret = self._secrets.get(parsed["key"])
        if secret is None:
            self._refresh()
            secret = self._secrets.get(parsed["key"])
        if secret is None:
            return Refusal(
                403, "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        claimed_hash = lower.get("x-amz-content-sha256")
        if claimed_hash is not None and claimed_hash != hashlib.sha256(body).hexdigest():
            return Refusal(403, "InvalidSignatureException", _MISMATCH)
        expected = self._signature(
            method, url, {n: lower[n] for n in signed}, body, key=parsed["key"], stamp=stamp
        )
        if not hmac.compare_digest(expected, parsed["signature"]):
            return Refusal(403, "InvalidSignatureException", _MISMATCH)
        return None

    def _check_scope(self, parsed: re.Match[str], stamp: str) -> Refusal | None:
        try:
            when = dt.datetime.strptime(stamp, SIGV4_TIMESTAMP).replace(tzinfo=dt.UTC)
        except ValueError:
            return Refusal(
                403, "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.",
            )
        if parsed["date"] != stamp[:8]:
            return Refusal(
                403, "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{parsed['date']}' != '{stamp[:8]}', from '{stamp}'.",
            )
        if parsed["region"] != self.region or parsed["service"] != self.service:
            return Refusal(
                403, "InvalidSignatureException",
                f"Credential should be scoped to a valid region and service "
                f"('{self.region}', '{self.service}'), not "
                f"('{parsed['region']}', '{parsed['service']}').",
            )
        now = self._clock()
        if abs(now - when.timestamp()) > self._max_skew:
            current = dt.datetime.fromtimestamp(now, dt.UTC).strftime(SIGV4_TIMESTAMP)
            return Refusal(
                403, "InvalidSignatureException",
                f"Signature expired: {stamp} is now earlier or later than {current} "
                f"(+/- {self._max_skew / 60:.0f} min.)",
            )
        return None

    def _signature(
        self,
        method: str,
        url: str,
        signed_headers: Mapping[str, str],
        body: bytes,
        *,
        key: str,
        stamp: str,
    ) -> str:
        """The signature botocore's signer gives this request (only the headers it signed)."""
        signer = SigV4Auth(Credentials(key, self._secrets[key]), self.service, self.region)
        request = AWSRequest(method=method, url=url, data=body, headers=dict(signed_headers))
        request.context["timestamp"] = stamp
        canonical = signer.canonical_request(request)
        return str(signer.signature(signer.string_to_sign(request, canonical), request))
