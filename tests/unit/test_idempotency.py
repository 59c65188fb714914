"""Unit tests of the idempotency adapter's error mapping (Powertools' store is faked)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
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


class _MemoryLayer(BasePersistenceLayer):
    """Powertools' persistence contract in a dict (the DynamoDB layer is covered functionally)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        if idempotency_key not in self.records:
            raise IdempotencyItemNotFoundError
        return self.records[idempotency_key]

    def _put_record(self, data_record: DataRecord) -> None:
        if data_record.idempotency_key in self.records:  # DynamoDB's conditional put
            raise IdempotencyItemAlreadyExistsError
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def test_once_gate_builds_powertools_on_first_run_with_the_registered_context() -> None:
    """The persistence layer is made on the first run (not before), once; the context registered
    before it reaches Powertools; a repeated key returns the stored result without the work."""
    made: list[_MemoryLayer] = []

    def persistence() -> _MemoryLayer:
        made.append(_MemoryLayer())
        return made[-1]

    gate = PowertoolsOnceGate(persistence, expires_after_seconds=60)
    context = _Context()
    gate.register(context)  # type: ignore[arg-type]
    assert made == []
    runs: list[int] = []

    def work() -> dict[str, Any]:
        runs.append(1)
        return {"seq": len(runs)}

    key = {"room": "r", "user": "u", "clientId": "c"}
    assert gate.run(key, work) == {"seq": 1}
    assert gate.run(key, work) == {"seq": 1}
    assert len(made) == 1
    assert len(runs) == 1
    assert gate._config is not None
    assert gate._config.lambda_context is context
