"""Idempotency adapter: a resent client id is processed once (Powertools Idempotency).

This module owns the OnceGate the chat uses around "analyse + store" of a message with a client
id: the key is (room, user, client id); the stored result (the ack payload) is returned again to
a duplicate without running the work; a duplicate that arrives while the first is still running
gets InProgressError; a failure of the idempotency table itself is ServiceUnavailableError.

Powertools' idempotency package (its DynamoDB persistence layer, hashing, JMESPath and JSON
machinery) is imported and the gate built on the first ``run``, not when the module is imported
or the gate made: most events ($connect, $disconnect, init, typing...) never send a message, so a
cold start does not pay for it (BENCHMARKS.md "Cold start"). ``register`` keeps the invocation's
context until then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from positive_chat.domain.errors import InProgressError, ServiceUnavailableError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        BasePersistenceLayer,
        IdempotencyConfig,
    )
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["IDEMPOTENCY_KEY_PREFIX", "PowertoolsOnceGate"]

IDEMPOTENCY_KEY_PREFIX = "positive_chat.post_message"


def _run_work(*, key: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    del key  # hashed by Powertools into the idempotency key
    return work()


class PowertoolsOnceGate:
    """Runs work once per key, remembering its JSON result for ``expires_after_seconds``.

    ``persistence`` makes the Powertools persistence layer; it is called once, on the first run.
    """

    def __init__(
        self,
        persistence: Callable[[], BasePersistenceLayer],
        *,
        expires_after_seconds: int,
    ) -> None:
        self._persistence = persistence
        self._expires_after_seconds = expires_after_seconds
        self._lock = threading.Lock()
        self._config: IdempotencyConfig | None = None
        self._function: Callable[..., dict[str, Any]] | None = None
        self._context: LambdaContext | None = None

    @classmethod
    def on_dynamodb(
        cls, table_name: str, client: DynamoDBClient, *, expires_after_seconds: int
    ) -> PowertoolsOnceGate:
        """The gate over Powertools' DynamoDB persistence layer on ``table_name``."""

        def persistence() -> BasePersistenceLayer:
            from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - deferred
                DynamoDBPersistenceLayer,
            )

            return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)

        return cls(persistence, expires_after_seconds=expires_after_seconds)

    def register(self, context: LambdaContext) -> None:
        """Let in-progress records expire with this invocation's remaining time."""
        with self._lock:
            self._context = context
            if self._config is not None:
                self._config.register_lambda_context(context)

    def run(self, key: Mapping[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``work()`` the first time ``key`` is seen, its stored result afterwards."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
            IdempotencyAlreadyInProgressError,
            IdempotencyInconsistentStateError,
            IdempotencyItemAlreadyExistsError,
            IdempotencyPersistenceLayerError,
        )

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

    def _run(self, *, key: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return self._idempotent()(key=key, work=work)

    def _idempotent(self) -> Callable[..., dict[str, Any]]:
        """Powertools' idempotent ``_run_work``, made on the first call."""
        with self._lock:
            if self._function is None:
                from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415
                    IdempotencyConfig,
                    idempotent_function,
                )

                config = IdempotencyConfig(
                    expires_after_seconds=self._expires_after_seconds,
                    raise_on_no_idempotency_key=True,
                )
                if self._context is not None:
                    config.register_lambda_context(self._context)
                self._function = idempotent_function(
                    _run_work,
                    data_keyword_argument="key",
                    persistence_store=self._persistence(),
                    config=config,
                    key_prefix=IDEMPOTENCY_KEY_PREFIX,
                )
                self._config = config
            return self._function
