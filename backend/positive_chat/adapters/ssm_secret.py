"""SSM Parameter Store adapter: the moderator secret, read through Powertools Parameters.

This module owns reading the moderator secret: a SecureString whose name template.yaml passes
in ``MODERATOR_SECRET_PARAMETER``, decrypted by SSM and cached by Powertools for ``max_age``
seconds per execution environment (one GetParameter per five minutes, not one per sign-in). In
the local cloud the same request goes to a local SSM endpoint (``AWS_ENDPOINT_URL_SSM``). The
value is never logged; a failure to read it becomes ServiceUnavailableError (the sign-in is
refused, nothing is leaked). Powertools Parameters is imported on the first read (a sign-in), not
with the module: no other event needs it (BENCHMARKS.md "Cold start").
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from positive_chat.config import MOD_SECRET_CACHE_SECONDS
from positive_chat.domain.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SSMProvider
    from mypy_boto3_ssm import SSMClient

__all__ = ["SsmSecret", "UnconfiguredSecret"]

logger = logging.getLogger(__name__)

_UNAVAILABLE = "moderator sign-in is unavailable right now; try again later"


class SsmSecret:
    """The moderator secret from one SSM parameter, cached by Powertools."""

    def __init__(
        self, client: SSMClient, name: str, *, max_age: int = MOD_SECRET_CACHE_SECONDS
    ) -> None:
        self._client = client
        self._provider: SSMProvider | None = None
        self._lock = threading.Lock()
        self._name = name
        self._max_age = max_age

    def _ssm(self) -> SSMProvider:
        """Powertools' SSM provider (and its cache), made on the first read."""
        with self._lock:
            if self._provider is None:
                from aws_lambda_powertools.utilities.parameters import (  # noqa: PLC0415 - deferred
                    SSMProvider,
                )

                self._provider = SSMProvider(boto3_client=self._client)
            return self._provider

    def secret(self) -> str:
        """The decrypted secret; ServiceUnavailableError if SSM cannot give it."""
        from aws_lambda_powertools.utilities.parameters.exceptions import (  # noqa: PLC0415
            GetParameterError,
        )

        try:
            value = self._ssm().get(self._name, max_age=self._max_age, decrypt=True)
        except GetParameterError as err:
            # The cause names the SSM error (ParameterNotFound, AccessDenied...), never the value.
            cause = err.__cause__
            logger.error(
                "moderator secret unavailable",
                extra={"parameter": self._name, "error": type(cause or err).__name__},
            )
            raise ServiceUnavailableError(_UNAVAILABLE) from err
        if not isinstance(value, str) or not value:
            logger.error("moderator secret is empty or not text", extra={"parameter": self._name})
            raise ServiceUnavailableError(_UNAVAILABLE)
        return value


class UnconfiguredSecret:
    """No parameter name configured: every sign-in is refused as unavailable."""

    def secret(self) -> str:
        """Always raises ServiceUnavailableError."""
        logger.error("moderator sign-in attempted but MODERATOR_SECRET_PARAMETER is not set")
        raise ServiceUnavailableError(_UNAVAILABLE)
