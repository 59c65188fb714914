"""The PostTraffic hook: after every request goes to the new version, were there errors?

It reads the alias's ``Errors`` and ``Throttles`` (AWS/Lambda, dimensions FunctionName and
Resource ``<function>:<alias>``, one-minute sums) from the deployment's start (CodeDeploy's
``createTime``; ``SHIFT_WINDOW_SECONDS`` back from now if that cannot be read) until now, and
reports ``Failed`` if either is above zero, or if the metrics cannot be read at all; else
``Succeeded``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .lifecycle import (
    Budget,
    HookFailure,
    LambdaContext,
    client_config,
    report_config,
    run_hook,
)

__all__ = ["METRICS", "alias_problems", "handler", "post_traffic", "shift_start"]

logger = logging.getLogger("deploy_hooks.post_traffic")
logging.getLogger("deploy_hooks").setLevel(logging.INFO)

METRICS = ("Errors", "Throttles")
DEFAULT_WINDOW_S = 900
_MAX_PAGES = 20


def shift_start(
    codedeploy: Any, deployment_id: str, now: dt.datetime, fallback_s: int
) -> dt.datetime:
    """When the deployment began (its traffic shift follows), or ``fallback_s`` before now."""
    try:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        created = info["createTime"]
        if isinstance(created, dt.datetime):
            return min(created, now - dt.timedelta(minutes=1))
    except (ClientError, BotoCoreError, KeyError) as err:
        logger.warning("deployment start unknown (%s); looking back %d s", err, fallback_s)
    return now - dt.timedelta(seconds=fallback_s)


def alias_problems(
    cloudwatch: Any, function: str, alias: str, start: dt.datetime, end: dt.datetime
) -> dict[str, float]:
    """The alias's summed Errors and Throttles between ``start`` and ``end``."""
    queries = [
        {
            "Id": name.lower(),
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": name,
                    "Dimensions": [
                        {"Name": "FunctionName", "Value": function},
                        {"Name": "Resource", "Value": f"{function}:{alias}"},
                    ],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for name in METRICS
    ]
    totals = dict.fromkeys(METRICS, 0.0)
    kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
    for _ in range(_MAX_PAGES):
        page = cloudwatch.get_metric_data(**kwargs)
        for result in page["MetricDataResults"]:
            name = next(n for n in METRICS if n.lower() == result["Id"])
            totals[name] += sum(result.get("Values", []))
        token = page.get("NextToken")
        if not token:
            return totals
        kwargs["NextToken"] = token
    raise HookFailure(f"CloudWatch kept paging past {_MAX_PAGES} pages")


def post_traffic(
    event: Mapping[str, Any],
    context: LambdaContext,
    *,
    codedeploy: Any,
    cloudwatch: Any,
    env: Mapping[str, str],
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> dict[str, Any]:
    """Check the alias's metrics over the shift window and report."""

    def check(passed: list[str]) -> None:
        function, alias = env.get("FUNCTION_NAME"), env.get("ALIAS_NAME")
        if not function or not alias:
            raise HookFailure("the hook is not configured: FUNCTION_NAME and ALIAS_NAME needed")
        window = int(env.get("SHIFT_WINDOW_SECONDS") or DEFAULT_WINDOW_S)
        end = now()
        start = shift_start(codedeploy, str(event["DeploymentId"]), end, window)
        totals = alias_problems(cloudwatch, function, alias, start, end)
        span = f"{function}:{alias} from {start:%H:%M:%S} to {end:%H:%M:%S} UTC"
        if any(totals.values()):
            raise HookFailure(f"{span}: {totals['Errors']:g} errors, "
                              f"{totals['Throttles']:g} throttles")
        passed.append(f"{span}: no errors, no throttles")

    return run_hook("PostTraffic", event, check, codedeploy)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point (template.yaml: PostTrafficHook)."""
    budget = Budget.of(context)
    return post_traffic(
        event,
        context,
        codedeploy=boto3.client("codedeploy", config=report_config()),
        cloudwatch=boto3.client("cloudwatch", config=client_config(budget, cap=10.0)),
        env=os.environ,
    )
