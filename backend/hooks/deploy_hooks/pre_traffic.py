"""The PreTraffic hook: CodeDeploy calls it before the alias sends any traffic to the new version.

It runs the canary (``deploy_hooks.canary``) against the version named by ``NEW_VERSION`` and
reports ``Succeeded`` only if every check passed; any wrong answer, function error, exception or
timeout reports ``Failed``, and CodeDeploy then rolls the deployment back. Every call fits the
invocation's remaining time, less the reserve kept for the report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import boto3

from .canary import Canary, CanaryConfig
from .lifecycle import Budget, LambdaContext, client_config, report_config, run_hook

__all__ = ["handler", "pre_traffic"]

logging.getLogger("deploy_hooks").setLevel(logging.INFO)


def pre_traffic(
    event: Mapping[str, Any],
    context: LambdaContext,
    *,
    codedeploy: Any,
    env: Mapping[str, str],
    session: Any = None,
) -> dict[str, Any]:
    """Run the canary and report; the clients other than CodeDeploy come from ``session``."""
    budget = Budget.of(context)

    def check(passed: list[str]) -> None:
        config = CanaryConfig.from_env(env)
        boto = session or boto3.session.Session()
        # A Lambda client per invocation, whose read timeout is the time left then; one attempt
        # (a retried message would be posted twice): the canary retries throttles itself.
        def lambda_client() -> Any:
            return boto.client("lambda", region_name=config.region,
                               config=client_config(budget, attempts=1))

        dynamodb = boto.client("dynamodb", region_name=config.region,
                               config=client_config(budget, cap=5.0))
        connections = boto.client("apigatewaymanagementapi", region_name=config.region,
                                  endpoint_url=config.management_endpoint,
                                  config=client_config(budget, cap=5.0))
        Canary(config, lambda_client, dynamodb, connections, budget, passed=passed).run()

    return run_hook("PreTraffic", event, check, codedeploy)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point (template.yaml: PreTrafficHook)."""
    codedeploy = boto3.client("codedeploy", config=report_config())
    return pre_traffic(event, context, codedeploy=codedeploy, env=os.environ)
