"""The deployment hooks in template.yaml, after the SAM transform: wired into the canary, named
as CodeDeploy's role requires, and each with the least privilege it needs."""

from __future__ import annotations

from typing import Any

from deploy_support import of_type

HOOKS = {"PreTrafficHook": "BeforeAllowTrafficHook", "PostTrafficHook": "AfterAllowTrafficHook"}
GROUP_ARN = (
    "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:"
    "${ServerlessDeploymentApplication}/${ChatFunctionDeploymentGroup}"
)


def _statements(resources: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    """The role's inline statements by Sid."""
    found: dict[str, dict[str, Any]] = {}
    for policy in resources[role]["Properties"]["Policies"]:
        statements = policy["PolicyDocument"]["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            found[statement["Sid"]] = statement
    return found


def test_hooks_run_around_the_alias_shift(cfn_template: dict[str, Any]) -> None:
    """The alias's CodeDeploy update runs PreTraffic before and PostTraffic after the shift."""
    (alias,) = of_type(cfn_template, "AWS::Lambda::Alias").values()
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    for hook, key in HOOKS.items():
        assert update[key] == {"Ref": hook}


def test_hooks_are_named_for_codedeploys_managed_role(cfn_template: dict[str, Any]) -> None:
    """CodeDeploy's role (AWSCodeDeployRoleForLambda) invokes only CodeDeployHook_* functions."""
    resources = cfn_template["Resources"]
    assert resources["CodeDeployServiceRole"]["Properties"]["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"
    ]
    for hook in HOOKS:
        props = resources[hook]["Properties"]
        assert props["FunctionName"]["Fn::Sub"].startswith("CodeDeployHook_"), hook
        assert props["Handler"].startswith("deploy_hooks."), hook
        assert props["Timeout"] >= 60, hook


def test_pre_traffic_invokes_only_the_new_version(cfn_template: dict[str, Any]) -> None:
    """PreTraffic may invoke the version just published, nothing else, and knows its ARN."""
    resources = cfn_template["Resources"]
    (version,) = of_type(cfn_template, "AWS::Lambda::Version")
    env = resources["PreTrafficHook"]["Properties"]["Environment"]["Variables"]
    assert env["NEW_VERSION"] == {"Ref": version}
    statements = _statements(resources, "PreTrafficHookRole")
    invoke = statements["InvokeTheNewVersionOnly"]
    assert invoke["Action"] == ["lambda:InvokeFunction"]
    assert invoke["Resource"] == {"Ref": version}


def test_hooks_report_only_to_this_deployment_group(cfn_template: dict[str, Any]) -> None:
    """PutLifecycleEventHookExecutionStatus (and PostTraffic's GetDeployment) on this group only."""
    resources = cfn_template["Resources"]
    pre = _statements(resources, "PreTrafficHookRole")["ReportToThisDeploymentGroup"]
    post = _statements(resources, "PostTrafficHookRole")["ReadThisDeploymentAndReport"]
    assert pre["Action"] == ["codedeploy:PutLifecycleEventHookExecutionStatus"]
    assert post["Action"] == [
        "codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"
    ]
    for statement in (pre, post):
        assert statement["Resource"] == {"Fn::Sub": GROUP_ARN}


def test_pre_traffic_touches_only_the_canary_items(cfn_template: dict[str, Any]) -> None:
    """DynamoDB: connection put/get/delete; messages and topics query/delete; @connections: POST
    only (the 410 probe); nothing else."""
    resources = cfn_template["Resources"]
    statements = _statements(resources, "PreTrafficHookRole")
    assert set(statements) == {
        "ReportToThisDeploymentGroup", "InvokeTheNewVersionOnly", "ProbeCanaryConnection",
        "CanaryConnection", "CanaryRoom",
    }
    probe = statements["ProbeCanaryConnection"]
    assert probe["Action"] == ["execute-api:ManageConnections"]
    stage_posts = ":${WebSocketApi}/${StageName}/POST/@connections/*"
    assert probe["Resource"]["Fn::Sub"].endswith(stage_posts)
    assert statements["CanaryConnection"]["Action"] == [
        "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"
    ]
    assert statements["CanaryConnection"]["Resource"] == {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
    assert statements["CanaryRoom"]["Action"] == ["dynamodb:Query", "dynamodb:DeleteItem"]
    assert statements["CanaryRoom"]["Resource"] == [
        {"Fn::GetAtt": ["MessagesTable", "Arn"]}, {"Fn::GetAtt": ["TopicsTable", "Arn"]}
    ]


def test_post_traffic_reads_metrics_and_nothing_more(cfn_template: dict[str, Any]) -> None:
    """PostTraffic's only wildcard is GetMetricData (no resource-level permissions exist)."""
    resources = cfn_template["Resources"]
    statements = _statements(resources, "PostTrafficHookRole")
    assert set(statements) == {"ReadThisDeploymentAndReport", "ReadMetrics"}
    assert statements["ReadMetrics"] == {
        "Sid": "ReadMetrics", "Effect": "Allow", "Action": ["cloudwatch:GetMetricData"],
        "Resource": "*",
    }
    env = resources["PostTrafficHook"]["Properties"]["Environment"]["Variables"]
    assert env["FUNCTION_NAME"] == {"Ref": "ChatFunction"}
    assert env["ALIAS_NAME"] == "live"


def test_hooks_log_with_the_stacks_retention(cfn_template: dict[str, Any]) -> None:
    """Both hooks write to one log group that expires with LogRetentionDays."""
    resources = cfn_template["Resources"]
    group = resources["DeployHooksLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for hook in HOOKS:
        logging = resources[hook]["Properties"]["LoggingConfig"]
        assert logging["LogGroup"] == {"Ref": "DeployHooksLogGroup"}
