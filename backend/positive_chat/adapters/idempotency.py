"""Idempotency adapter: a resent client id is processed once (Powertools Idempotency).

This module owns the OnceGate the chat uses around "analyse + store" of a message with a client
id: the key is (room, user, client id); the stored result (the ack payload) is returned again to
a duplicate without running the work; a duplicate that arrives while the first is still running
gets InProgressError; a failure of the idempotency table itself is ServiceUnavailableError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from positive_chat.domain.errors import InProgressError, ServiceUnavailableError

__all__ = ["IDEMPOTENCY_KEY_PREFIX", "PowertoolsOnceGate"]

IDEMPOTENCY_KEY_PREFIX = "positive_chat.post_message"


def _run_work(*, key: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    del key  # hashed by Powertools into the idempotency key
    return work()


class PowertoolsOnceGate:
    """Runs work once per key, remembering its JSON result for ``expires_after_seconds``."""

    def __init__(self, persistence: BasePersistenceLayer, *, expires_after_seconds: int) -> None:
        self._config = IdempotencyConfig(
            expires_after_seconds=expires_after_seconds, raise_on_no_idempotency_key=True
        )
        self._run = idempotent_function(
            _run_work,
            data_keyword_argument="key",
            persistence_store=persistence,
            config=self._config,
            key_prefix=IDEMPOTENCY_KEY_PREFIX,
        )

    def register(self, context: LambdaContext) -> None:
        """Let in-progress records expire with this invocation's remaining time."""
        self._config.register_lambda_context(context)

    def run(self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``work()`` the first time ``key`` is seen, its stored result afterwards."""
        try:
            result = self._run(key=dict(key), work=work)
        except IdempotencyAlreadyInProgressError as err:
            raise InProgressError("this message id is being processed; resend it later") from err
        except (
            IdempotencyPersistenceLayerError,
            IdempotencyInconsistentStateError,
            IdempotencyItemAlreadyExistsError,
        ) as err:
            raise ServiceUnavailableError("storage is unavailable; try again") from err
        return dict(result)
