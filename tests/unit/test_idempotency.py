"""Unit tests of the idempotency adapter's error mapping (Powertools' store is faked)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from positive_chat.adapters.idempotency import PowertoolsOnceGate
from positive_chat.domain.errors import ChatError, InProgressError, ServiceUnavailableError


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (IdempotencyAlreadyInProgressError("busy"), InProgressError),
        (IdempotencyPersistenceLayerError("down"), ServiceUnavailableError),
    ],
    ids=["in-progress", "store-down"],
)
def test_once_gate_maps_powertools_errors(
    raised: Exception, expected: type[ChatError], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Powertools' idempotency errors become the protocol's IN_PROGRESS / SERVICE_UNAVAILABLE."""
    gate = PowertoolsOnceGate.__new__(PowertoolsOnceGate)

    def run(**_: Any) -> Any:
        raise raised

    monkeypatch.setattr(gate, "_run", run, raising=False)
    with pytest.raises(expected):
        gate.run({"room": "r", "user": "u", "clientId": "c"}, dict)
