"""The PostTraffic hook and the shared report: CloudWatch and CodeDeploy requests checked exactly
with botocore's Stubber (the hooks' code, real boto3 clients, no network)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.stub import Stubber
from deploy_hooks.lifecycle import report, run_hook
from deploy_hooks.post_traffic import post_traffic
from hook_support import EVENT, Context, aws_client, expect_report

NOW = dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.UTC)
CREATED = NOW - dt.timedelta(minutes=7)
ENV = {"FUNCTION_NAME": "positive-chat-chat", "ALIAS_NAME": "live", "SHIFT_WINDOW_SECONDS": "900"}


def _queries() -> list[dict[str, Any]]:
    return [
        {
            "Id": name.lower(),
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": name,
                    "Dimensions": [
                        {"Name": "FunctionName", "Value": "positive-chat-chat"},
                        {"Name": "Resource", "Value": "positive-chat-chat:live"},
                    ],
                },
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for name in ("Errors", "Throttles")
    ]


def _metrics(errors: list[float], throttles: list[float], token: str | None = None) -> dict:
    page: dict[str, Any] = {
        "MetricDataResults": [
            {"Id": "errors", "Label": "Errors", "Values": errors, "StatusCode": "Complete",
             "Timestamps": [NOW] * len(errors)},
            {"Id": "throttles", "Label": "Throttles", "Values": throttles,
             "StatusCode": "Complete", "Timestamps": [NOW] * len(throttles)},
        ]
    }
    if token:
        page["NextToken"] = token
    return page


def _expect_deployment(codedeploy: Stubber) -> None:
    codedeploy.add_response(
        "get_deployment",
        {"deploymentInfo": {"deploymentId": EVENT["DeploymentId"], "createTime": CREATED}},
        expected_params={"deploymentId": EVENT["DeploymentId"]},
    )


def _run(codedeploy: Any, cloudwatch: Any, env: dict[str, str] = ENV) -> dict[str, Any]:
    return post_traffic(EVENT, Context(60), codedeploy=codedeploy, cloudwatch=cloudwatch,
                        env=env, now=lambda: NOW)


@pytest.fixture
def clients() -> tuple[Any, Any, Stubber, Stubber]:
    codedeploy, cloudwatch = aws_client("codedeploy"), aws_client("cloudwatch")
    return codedeploy, cloudwatch, Stubber(codedeploy), Stubber(cloudwatch)


def test_no_errors_no_throttles_succeeds(clients: tuple[Any, Any, Stubber, Stubber]) -> None:
    """The alias's metrics since the deployment began are read; all zero: Succeeded."""
    codedeploy, cloudwatch, cd, cw = clients
    _expect_deployment(cd)
    cw.add_response("get_metric_data", _metrics([0.0, 0.0], [0.0]),
                    expected_params={"MetricDataQueries": _queries(), "StartTime": CREATED,
                                     "EndTime": NOW})
    expect_report(cd, "Succeeded")
    with cd, cw:
        result = _run(codedeploy, cloudwatch)
        cd.assert_no_pending_responses()
        cw.assert_no_pending_responses()
    assert result["status"] == "Succeeded"
    assert result["passed"] == [
        "positive-chat-chat:live from 17:23:00 to 17:30:00 UTC: no errors, no throttles"
    ]


def test_errors_fail_the_deployment(clients: tuple[Any, Any, Stubber, Stubber]) -> None:
    """One error in the window is enough to report Failed."""
    codedeploy, cloudwatch, cd, cw = clients
    _expect_deployment(cd)
    cw.add_response("get_metric_data", _metrics([0.0, 1.0], []))
    expect_report(cd, "Failed")
    with cd, cw:
        result = _run(codedeploy, cloudwatch)
        cd.assert_no_pending_responses()
    assert result["status"] == "Failed"
    assert result["reason"].endswith("1 errors, 0 throttles")


def test_throttles_on_a_later_page_fail(clients: tuple[Any, Any, Stubber, Stubber]) -> None:
    """Every page is read (NextToken); a throttle on the second page fails the deployment."""
    codedeploy, cloudwatch, cd, cw = clients
    _expect_deployment(cd)
    cw.add_response("get_metric_data", _metrics([0.0], [0.0], token="page-2"))
    cw.add_response("get_metric_data", _metrics([], [2.0]),
                    expected_params={"MetricDataQueries": _queries(), "StartTime": CREATED,
                                     "EndTime": NOW, "NextToken": "page-2"})
    expect_report(cd, "Failed")
    with cd, cw:
        result = _run(codedeploy, cloudwatch)
        cw.assert_no_pending_responses()
    assert result["reason"].endswith("0 errors, 2 throttles")


def test_unknown_start_looks_back_the_window(clients: tuple[Any, Any, Stubber, Stubber]) -> None:
    """GetDeployment refused: the window is SHIFT_WINDOW_SECONDS back from now."""
    codedeploy, cloudwatch, cd, cw = clients
    cd.add_client_error("get_deployment", "AccessDeniedException", http_status_code=400)
    cw.add_response("get_metric_data", _metrics([], []),
                    expected_params={"MetricDataQueries": _queries(),
                                     "StartTime": NOW - dt.timedelta(seconds=900),
                                     "EndTime": NOW})
    expect_report(cd, "Succeeded")
    with cd, cw:
        assert _run(codedeploy, cloudwatch)["status"] == "Succeeded"
        cw.assert_no_pending_responses()


def test_unreadable_metrics_fail(clients: tuple[Any, Any, Stubber, Stubber]) -> None:
    """CloudWatch failing is no proof of health: Failed, and still reported."""
    codedeploy, cloudwatch, cd, cw = clients
    _expect_deployment(cd)
    cw.add_client_error("get_metric_data", "InternalServiceFault", http_status_code=500)
    expect_report(cd, "Failed")
    with cd, cw:
        result = _run(codedeploy, cloudwatch)
        cd.assert_no_pending_responses()
    assert "InternalServiceFault" in result["reason"]


def test_missing_configuration_fails(clients: tuple[Any, Any, Stubber, Stubber]) -> None:
    """A hook without FUNCTION_NAME reports Failed instead of crashing."""
    codedeploy, cloudwatch, cd, _cw = clients
    expect_report(cd, "Failed")
    with cd:
        result = _run(codedeploy, cloudwatch, env={})
    assert "not configured" in result["reason"]


# --- the report -------------------------------------------------------------------------------


def test_report_is_retried_with_backoff() -> None:
    """A throttled report is retried after a pause, then succeeds."""
    codedeploy = aws_client("codedeploy")
    pauses: list[float] = []
    with Stubber(codedeploy) as stubber:
        stubber.add_client_error("put_lifecycle_event_hook_execution_status",
                                 "ThrottlingException", http_status_code=400)
        expect_report(stubber, "Succeeded")
        report(codedeploy, EVENT, "Succeeded", sleep=pauses.append)
        stubber.assert_no_pending_responses()
    assert pauses == [0.5]


def test_report_that_keeps_failing_raises() -> None:
    """After the last attempt the error propagates (Lambda logs it; CodeDeploy times out)."""
    codedeploy = aws_client("codedeploy")
    with Stubber(codedeploy) as stubber:
        for _ in range(3):
            stubber.add_client_error("put_lifecycle_event_hook_execution_status",
                                     "DeploymentDoesNotExistException", http_status_code=400)
        with pytest.raises(Exception, match="DeploymentDoesNotExistException"):
            report(codedeploy, EVENT, "Failed", sleep=lambda _s: None)


def test_an_exception_in_the_check_is_reported_failed() -> None:
    """Any exception, not only a failed check, ends in a Failed report."""
    codedeploy = aws_client("codedeploy")

    def broken(_passed: list[str]) -> None:
        raise KeyError("surprise")

    with Stubber(codedeploy) as stubber:
        expect_report(stubber, "Failed")
        result = run_hook("PreTraffic", EVENT, broken, codedeploy)
        stubber.assert_no_pending_responses()
    assert result["reason"] == "KeyError: 'surprise'"


def test_a_non_codedeploy_event_is_refused() -> None:
    """Without the deployment's ids there is nothing to report to: a clear error, no check."""
    ran: list[str] = []
    with pytest.raises(ValueError, match="LifecycleEventHookExecutionId"):
        run_hook("PreTraffic", {"DeploymentId": "d-1"}, ran.append, aws_client("codedeploy"))
    assert ran == []
