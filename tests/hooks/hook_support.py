"""Helpers for the hook tests: a Lambda context with a time budget, and stubbed CodeDeploy."""

from __future__ import annotations

import time
from typing import Any

import boto3
from botocore.stub import Stubber

REGION = "us-east-1"
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "exec-42"}


class Context:
    """A Lambda context whose remaining time runs down from ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


def aws_client(service: str, **kwargs: Any) -> Any:
    """A real boto3 client with placeholder credentials (for local endpoints or a Stubber)."""
    options = {"aws_access_key_id": "local", "aws_secret_access_key": "local", **kwargs}
    return boto3.client(service, region_name=REGION, **options)


def expect_report(stubber: Stubber, status: str, event: dict[str, str] = EVENT) -> None:
    """Queue CodeDeploy's answer to exactly the report the hook must make."""
    stubber.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": event["LifecycleEventHookExecutionId"]},
        expected_params={
            "deploymentId": event["DeploymentId"],
            "lifecycleEventHookExecutionId": event["LifecycleEventHookExecutionId"],
            "status": status,
        },
    )
