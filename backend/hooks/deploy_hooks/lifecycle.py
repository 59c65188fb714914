"""What every hook shares: its time budget, and its report to CodeDeploy, made whatever happens.

CodeDeploy invokes a hook with ``{"DeploymentId": ..., "LifecycleEventHookExecutionId": ...}``
and waits (up to an hour) for ``PutLifecycleEventHookExecutionStatus`` with ``Succeeded`` or
``Failed``. ``run_hook`` runs a hook's check within the invocation's remaining time minus a
reserve, turns any exception into ``Failed`` (logged with its reason), and always reports,
retrying the report with backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

__all__ = [
    "FAILED",
    "REPORT_RESERVE_S",
    "SUCCEEDED",
    "Budget",
    "HookFailure",
    "LambdaContext",
    "client_config",
    "report",
    "report_config",
    "run_hook",
]

logger = logging.getLogger("deploy_hooks")

SUCCEEDED = "Succeeded"
FAILED = "Failed"
# Kept back from the check for the report: 3 attempts of at most 2.5 s, 0.5 s and 1 s apart.
REPORT_RESERVE_S = 10.0
_REPORT_ATTEMPTS = 3


class HookFailure(Exception):
    """A check found the new version wrong: the deployment must stop (the message says why)."""


class LambdaContext(Protocol):
    """The part of Lambda's context the hooks read."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass
class Budget:
    """The seconds a hook's check may still spend (monotonic clock)."""

    deadline: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def of(cls, context: LambdaContext, reserve: float = REPORT_RESERVE_S) -> Budget:
        """The invocation's remaining time less ``reserve`` (for the report)."""
        left = context.get_remaining_time_in_millis() / 1000.0 - reserve
        return cls(time.monotonic() + left)

    def left(self) -> float:
        """Seconds left (negative once spent)."""
        return self.deadline - self.clock()

    def require(self, seconds: float, what: str) -> float:
        """The seconds left, if at least ``seconds``; else HookFailure (out of time)."""
        left = self.left()
        if left < seconds:
            raise HookFailure(f"out of time before {what} ({max(left, 0.0):.1f} s left)")
        return left


def client_config(budget: Budget, *, attempts: int = 3, cap: float | None = None) -> Config:
    """A botocore Config whose every attempt fits in what is left of ``budget`` now (and in
    ``cap`` seconds, if given). Make the client just before the calls it is for."""
    left = max(budget.left(), 1.0)
    return Config(
        connect_timeout=min(3.0, left),
        read_timeout=min(left, cap) if cap is not None else left,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )


def report_config() -> Config:
    """The CodeDeploy client's: short attempts, retried by ``report`` within its reserve."""
    return Config(connect_timeout=1.0, read_timeout=1.5,
                  retries={"mode": "standard", "total_max_attempts": 1})


def _ids(event: Mapping[str, Any]) -> tuple[str, str]:
    deployment = event.get("DeploymentId")
    execution = event.get("LifecycleEventHookExecutionId")
    if not isinstance(deployment, str) or not isinstance(execution, str):
        raise ValueError(
            "not a CodeDeploy lifecycle event: DeploymentId and LifecycleEventHookExecutionId "
            "are required"
        )
    return deployment, execution


def report(
    codedeploy: Any,
    event: Mapping[str, Any],
    status: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Tell CodeDeploy the hook's outcome; retried with backoff, raises after the last try."""
    deployment, execution = _ids(event)
    for attempt in range(_REPORT_ATTEMPTS):
        try:
            codedeploy.put_lifecycle_event_hook_execution_status(
                deploymentId=deployment,
                lifecycleEventHookExecutionId=execution,
                status=status,
            )
        except (ClientError, BotoCoreError) as err:
            logger.warning("report to CodeDeploy failed (attempt %d): %s", attempt + 1, err)
            if attempt + 1 == _REPORT_ATTEMPTS:
                raise
            sleep(0.5 * 2**attempt)
        else:
            logger.info("reported %s for deployment %s", status, deployment)
            return


def run_hook(
    name: str,
    event: Mapping[str, Any],
    check: Callable[[list[str]], None],
    codedeploy: Any,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run ``check`` (it appends what passed to the list it is given, and raises on what did
    not) and report the outcome.

    Returns ``{"status": ..., "passed": [...], "reason": ...}`` for the invocation's log.
    """
    _ids(event)  # refuse a non-CodeDeploy event before doing anything
    passed: list[str] = []
    reason = None
    try:
        check(passed)
        status = SUCCEEDED
    except HookFailure as err:
        status, reason = FAILED, str(err)
        logger.error("%s failed: %s", name, reason)
    except Exception as err:  # any error fails the deployment, and is still reported
        status, reason = FAILED, f"{type(err).__name__}: {err}"
        logger.exception("%s failed with an error", name)
    report(codedeploy, event, status, sleep=sleep)
    return {"status": status, "passed": passed, "reason": reason}
