"""template.yaml as AWS would deploy it: cfn-lint clean, and the SAM transform's output checked.

Each test names one property the deployment promises (canary with rollback alarms, private
bucket behind CloudFront, least-privilege IAM, data tables that survive a stack delete...).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint
from deploy_support import REGION, TEMPLATE, of_type, references, transform_template
from localcloud.template import resolve

DATA_TABLES = ("ConnectionsTable", "MessagesTable", "TopicsTable")
ROLLBACK_ALARMS = (
    "ChatFunctionErrorsAlarm",
    "ChatFunctionThrottlesAlarm",
    "ChatFunctionDurationAlarm",
)
EXPECTED_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src wss://abc123.execute-api.{REGION}.amazonaws.com; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# Comprehend's Detect* and TranslateText have no resource-level permissions in IAM.
ACTIONS_WITHOUT_RESOURCES = {
    "comprehend:DetectDominantLanguage",
    "comprehend:DetectSentiment",
    "comprehend:DetectEntities",
    "comprehend:DetectKeyPhrases",
    "translate:TranslateText",
}


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy_document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- lint and transform -------------------------------------------------------------------------


def test_template_cfn_lint_reports_nothing() -> None:
    """cfn-lint, informational checks included, finds no error, warning or note in three Regions."""
    config = ManualArgs(regions=["us-east-1", "eu-west-1", "ap-northeast-1"], include_checks=["I"])
    matches = lint(TEMPLATE.read_text(encoding="utf-8"), config=config)
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"AlarmEmail": "ops@example.com", "ReservedConcurrency": 50},
        {"CreateApiGatewayLoggingRole": "false", "DeletionProtection": "false"},
    ],
    ids=["defaults", "alarm-email-and-reserved", "existing-role-unprotected"],
)
def test_template_sam_transform_succeeds(sam_template: dict[str, Any], parameters: dict) -> None:
    """The SAM transform accepts the template offline for representative parameter values."""
    result = transform_template(sam_template, parameters)
    assert "Transform" not in result
    assert of_type(result, "AWS::Lambda::Function")
    assert not of_type(result, "AWS::Serverless::Function")


def test_template_parameters_all_used(sam_template: dict[str, Any]) -> None:
    """Every parameter is referenced somewhere, so none is a dead knob."""
    used = references(sam_template["Resources"]) | references(sam_template["Outputs"])
    used |= references(sam_template.get("Conditions", {}))
    assert set(sam_template["Parameters"]) - used == set()


# --- the function, its alias and the canary --------------------------------------------------


def test_function_runtime_architecture_tracing_and_limits(cfn_template: dict[str, Any]) -> None:
    """The function is Python 3.12+ on arm64, traced, at most 29 s, with optional concurrency."""
    props = cfn_template["Resources"]["ChatFunction"]["Properties"]
    major, minor = props["Runtime"].removeprefix("python").split(".")
    assert (int(major), int(minor)) >= (3, 12)
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Timeout"] <= 29  # API Gateway's integration timeout
    assert 128 <= props["MemorySize"] <= 10240
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": "ChatFunctionLogGroup"}
    env = props["Environment"]["Variables"]
    for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"):
        assert env[name], name


def test_function_has_alias_and_canary_deployment_group(cfn_template: dict[str, Any]) -> None:
    """Alias `live` is shifted by a CodeDeploy canary that rolls back on the alarms."""
    resources = cfn_template["Resources"]
    (alias,) = of_type(cfn_template, "AWS::Lambda::Alias").values()
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionName"] == {"Ref": "ChatFunction"}
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["DeploymentGroupName"] == {"Ref": "ChatFunctionDeploymentGroup"}

    group = resources["ChatFunctionDeploymentGroup"]["Properties"]
    assert "Canary10Percent5Minutes" in json.dumps(group["DeploymentConfigName"])
    assert group["AlarmConfiguration"]["Enabled"] is True
    alarm_refs = {a["Name"]["Ref"] for a in group["AlarmConfiguration"]["Alarms"]}
    assert alarm_refs == set(ROLLBACK_ALARMS)
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]


def test_rollback_alarms_watch_errors_throttles_and_p99_on_the_alias(
    cfn_template: dict[str, Any],
) -> None:
    """The three rollback alarms watch the alias's Errors, Throttles and p99 Duration."""
    resources = cfn_template["Resources"]
    seen = {}
    for name in ROLLBACK_ALARMS:
        props = resources[name]["Properties"]
        dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
        assert dims["FunctionName"] == {"Ref": "ChatFunction"}
        assert dims["Resource"] == {"Fn::Sub": "${ChatFunction}:live"}
        assert props["Namespace"] == "AWS/Lambda"
        seen[props["MetricName"]] = props
    assert set(seen) == {"Errors", "Throttles", "Duration"}
    assert seen["Duration"]["ExtendedStatistic"] == "p99"
    assert seen["Duration"]["Threshold"] == {"Ref": "DurationP99AlarmMs"}
    for props in seen.values():
        assert props["AlarmActions"]["Fn::If"][0] == "HasAlarmEmail"


def test_integration_and_permission_target_the_alias(cfn_template: dict[str, Any]) -> None:
    """Every route goes through the integration that invokes the alias, which may invoke it."""
    resources = cfn_template["Resources"]
    integrations = of_type(cfn_template, "AWS::ApiGatewayV2::Integration")
    for integration in integrations.values():
        uri = integration["Properties"]["IntegrationUri"]
        assert references(uri) >= {"ChatFunctionAliaslive"}
        assert "ChatFunction" not in references(uri)
    routes = of_type(cfn_template, "AWS::ApiGatewayV2::Route")
    assert {r["Properties"]["RouteKey"] for r in routes.values()} >= {
        "$connect",
        "$disconnect",
        "$default",
    }
    for route in routes.values():
        assert references(route["Properties"]["Target"]) <= set(integrations)
    permission = resources["ChatFunctionInvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "ChatFunctionAliaslive"}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith(":${WebSocketApi}/${StageName}/*")


# --- the WebSocket stage ------------------------------------------------------------------------


def test_stage_is_throttled_and_access_logged_with_retention(cfn_template: dict[str, Any]) -> None:
    """The stage throttles by parameter and writes JSON access logs (no bodies) with retention."""
    resources = cfn_template["Resources"]
    stage = resources["Stage"]["Properties"]
    settings = stage["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert settings["DataTraceEnabled"] is False
    destination = stage["AccessLogSettings"]["DestinationArn"]
    (group_id,) = references(destination)
    assert resources[group_id]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    record = json.loads(stage["AccessLogSettings"]["Format"])
    assert {"requestId", "connectionId", "routeKey", "status"} <= set(record)
    assert "body" not in stage["AccessLogSettings"]["Format"]
    assert resources["Stage"]["DependsOn"] == "ApiGatewayLoggingReady"


# --- data ---------------------------------------------------------------------------------------


def test_tables_on_demand_encrypted(cfn_template: dict[str, Any]) -> None:
    """Every table is on-demand with server-side encryption."""
    tables = of_type(cfn_template, "AWS::DynamoDB::Table")
    assert set(DATA_TABLES) <= set(tables)
    for name, table in tables.items():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST", name
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}, name


def test_data_tables_retained_and_deletion_protected(cfn_template: dict[str, Any]) -> None:
    """The data tables survive a stack delete or replacement and honour the protection parameter."""
    resources = cfn_template["Resources"]
    for name in DATA_TABLES:
        assert resources[name]["DeletionPolicy"] == "Retain", name
        assert resources[name]["UpdateReplacePolicy"] == "Retain", name
        assert resources[name]["Properties"]["DeletionProtectionEnabled"] == {
            "Ref": "DeletionProtection"
        }, name


def test_ttl_on_connections_and_idempotency_records(cfn_template: dict[str, Any]) -> None:
    """Connections and idempotency records expire through DynamoDB TTL."""
    resources = cfn_template["Resources"]
    assert resources["ConnectionsTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "ttl",
        "Enabled": True,
    }
    assert resources["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"]["Enabled"]


def test_messages_have_point_in_time_recovery(cfn_template: dict[str, Any]) -> None:
    """The messages table keeps point-in-time recovery."""
    props = cfn_template["Resources"]["MessagesTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


# --- least privilege ----------------------------------------------------------------------------


def test_function_role_is_scoped_to_table_and_index_arns(cfn_template: dict[str, Any]) -> None:
    """Each DynamoDB action names a table of this stack, or one of its existing indexes."""
    resources = cfn_template["Resources"]
    role = resources["ChatFunctionRole"]["Properties"]
    dynamo_statements = [
        s
        for policy in role["Policies"]
        for s in _statements(policy["PolicyDocument"])
        if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))
    ]
    assert dynamo_statements
    for statement in dynamo_statements:
        assert statement["Effect"] == "Allow"
        actions = _as_list(statement["Action"])
        assert all(a.startswith("dynamodb:") and "*" not in a for a in actions), actions
        for resource in _as_list(statement["Resource"]):
            assert isinstance(resource, dict), f"{statement['Sid']}: {resource!r} is no table ARN"
            if "Fn::GetAtt" in resource:
                table, attribute = resource["Fn::GetAtt"]
                assert attribute == "Arn"
            else:
                text = resource["Fn::Sub"]
                table, _, index = text.removeprefix("${").partition(".Arn}/index/")
                gsis = resources[table]["Properties"].get("GlobalSecondaryIndexes", [])
                assert index in {g["IndexName"] for g in gsis}, text
            assert resources[table]["Type"] == "AWS::DynamoDB::Table"


def test_function_role_wildcards_only_for_services_without_resources(
    cfn_template: dict[str, Any],
) -> None:
    """Resource "*" is only for Comprehend/Translate's exact actions; no action is a wildcard."""
    role = cfn_template["Resources"]["ChatFunctionRole"]["Properties"]
    for policy in role["Policies"]:
        for statement in _statements(policy["PolicyDocument"]):
            actions = set(_as_list(statement["Action"]))
            assert not any("*" in a for a in actions), actions
            if "*" in _as_list(statement["Resource"]):
                assert actions <= ACTIONS_WITHOUT_RESOURCES, actions
    assert set(role["ManagedPolicyArns"]) == {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    }


def test_function_may_post_only_to_this_stages_connections(cfn_template: dict[str, Any]) -> None:
    """execute-api:ManageConnections is limited to this API's stage @connections."""
    role = cfn_template["Resources"]["ChatFunctionRole"]["Properties"]
    grants = [
        s
        for policy in role["Policies"]
        for s in _statements(policy["PolicyDocument"])
        if "execute-api:ManageConnections" in _as_list(s["Action"])
    ]
    assert len(grants) == 1
    (resource,) = _as_list(grants[0]["Resource"])
    assert resource["Fn::Sub"].endswith(":${WebSocketApi}/${StageName}/*/@connections/*")


# --- frontend hosting ---------------------------------------------------------------------------


def test_site_bucket_blocks_all_public_access(cfn_template: dict[str, Any]) -> None:
    """The page's bucket blocks every kind of public access and disables ACLs."""
    props = cfn_template["Resources"]["SiteBucket"]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in props


def test_site_bucket_policy_is_tls_only_and_reads_only_via_this_distribution(
    cfn_template: dict[str, Any],
) -> None:
    """The bucket policy denies plain HTTP and allows only this distribution's GetObject."""
    policy = cfn_template["Resources"]["SiteBucketPolicy"]["Properties"]
    statements = _statements(policy["PolicyDocument"])
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*"
    assert len(_as_list(deny["Resource"])) == 2  # the bucket and its objects
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert references(allow["Condition"]["StringEquals"]["AWS:SourceArn"]) >= {"SiteDistribution"}


def test_distribution_uses_origin_access_control(cfn_template: dict[str, Any]) -> None:
    """CloudFront reaches the bucket through a SigV4 Origin Access Control, never publicly."""
    resources = cfn_template["Resources"]
    ((oac_id, oac),) = of_type(cfn_template, "AWS::CloudFront::OriginAccessControl").items()
    oac_config = oac["Properties"]["OriginAccessControlConfig"]
    assert oac_config["OriginAccessControlOriginType"] == "s3"
    assert oac_config["SigningBehavior"] == "always"
    assert oac_config["SigningProtocol"] == "sigv4"
    (origin,) = resources["SiteDistribution"]["Properties"]["DistributionConfig"]["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}


def test_distribution_redirects_compresses_and_serves_index(cfn_template: dict[str, Any]) -> None:
    """Viewers are sent to HTTPS, responses compressed, and / serves index.html."""
    config = cfn_template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    assert set(behavior["AllowedMethods"]) == {"GET", "HEAD"}
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SiteSecurityHeaders"}
    assert config["DefaultRootObject"] == "index.html"


def test_response_headers_policy_matches_the_page(cfn_template: dict[str, Any]) -> None:
    """The CSP header equals the page's policy plus frame-ancestors, with HSTS and nosniff."""
    config = cfn_template["Resources"]["SiteSecurityHeaders"]["Properties"]
    headers = config["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]
    refs = {"WebSocketApi": "abc123", "AWS::Region": REGION}
    assert resolve(csp["ContentSecurityPolicy"], refs) == EXPECTED_CSP
    assert csp["Override"] is True
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"]


# --- outputs ------------------------------------------------------------------------------------


def test_outputs_name_everything_the_deploy_needs(cfn_template: dict[str, Any]) -> None:
    """The stack outputs the URLs, bucket, distribution, function and tables."""
    assert {
        "WebSocketUrl",
        "SiteUrl",
        "SiteBucketName",
        "SiteDistributionId",
        "ChatFunctionName",
        "ConnectionsTableName",
        "MessagesTableName",
        "TopicsTableName",
    } <= set(cfn_template["Outputs"])
    ws_url = resolve(
        cfn_template["Outputs"]["WebSocketUrl"]["Value"],
        {"WebSocketApi": "abc123", "AWS::Region": REGION, "StageName": "prod"},
    )
    assert ws_url == f"wss://abc123.execute-api.{REGION}.amazonaws.com/prod"


# --- fan-out of large rooms ---------------------------------------------------------------------


def _role_statements(cfn_template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    props = cfn_template["Resources"][role]["Properties"]
    return [s for policy in props["Policies"] for s in _statements(policy["PolicyDocument"])]


def test_delivery_queue_is_fifo_deduplicated_with_a_fifo_dead_letter_queue(
    cfn_template: dict[str, Any],
) -> None:
    """Deduplication keeps a resent shard from being delivered twice; failures end in a DLQ."""
    resources = cfn_template["Resources"]
    queue = resources["DeliveryQueue"]["Properties"]
    dlq = resources["DeliveryDeadLetterQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert dlq["FifoQueue"] is True  # a FIFO queue's dead letters must be FIFO too
    assert queue["ContentBasedDeduplication"] is False  # ids come from the message and shard
    assert (queue["DeduplicationScope"], queue["FifoThroughputLimit"]) == (
        "messageGroup",
        "perMessageGroupId",
    )
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queue["SqsManagedSseEnabled"] is True
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_delivery_function_takes_one_shard_at_a_time_with_partial_failures(
    cfn_template: dict[str, Any],
) -> None:
    resources = cfn_template["Resources"]
    [(_, mapping)] = of_type(cfn_template, "AWS::Lambda::EventSourceMapping").items()
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}
    assert props["FunctionName"] == {"Ref": "DeliveryFunction"}
    assert props["BatchSize"] == 1
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= props["ScalingConfig"]["MaximumConcurrency"] <= 1000
    function = resources["DeliveryFunction"]["Properties"]
    assert function["Handler"] == "positive_chat.delivery_app.lambda_handler"
    # Lambda's rule for SQS sources: visibility timeout at least six times the function's.
    assert resources["DeliveryQueue"]["Properties"]["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert function["Architectures"] == ["arm64"]
    assert function["TracingConfig"] == {"Mode": "Active"}


def test_chat_function_may_only_send_to_the_delivery_queue(cfn_template: dict[str, Any]) -> None:
    sqs = [
        s
        for s in _role_statements(cfn_template, "ChatFunctionRole")
        if any(a.startswith("sqs:") for a in _as_list(s["Action"]))
    ]
    assert [(s["Action"], s["Resource"]) for s in sqs] == [
        (["sqs:SendMessage"], {"Fn::GetAtt": ["DeliveryQueue", "Arn"]})
    ]
    env = cfn_template["Resources"]["ChatFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DELIVERY_QUEUE_URL"] == {"Ref": "DeliveryQueue"}
    assert int(env["FANOUT_SHARD_THRESHOLD"]) < int(env["FANOUT_SHARD_SIZE"]) * 2


def test_delivery_function_role_is_least_privilege(cfn_template: dict[str, Any]) -> None:
    """Its own role: the queue, deleting connections and POSTing to this stage, nothing else
    (SAM's role for an SQS event would carry a managed policy over every queue)."""
    resources = cfn_template["Resources"]
    assert resources["DeliveryFunction"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["DeliveryFunctionRole", "Arn"]
    }
    role = resources["DeliveryFunctionRole"]["Properties"]
    assert {arn["Fn::Sub"].rsplit("/", 1)[-1] for arn in role["ManagedPolicyArns"]} == {
        "AWSLambdaBasicExecutionRole",
        "AWSXrayWriteOnlyAccess",
    }
    grants = {
        action: statement["Resource"]
        for statement in _role_statements(cfn_template, "DeliveryFunctionRole")
        for action in _as_list(statement["Action"])
    }
    queue = {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}
    assert grants.pop("sqs:ReceiveMessage") == queue
    assert grants.pop("sqs:DeleteMessage") == queue
    assert grants.pop("sqs:GetQueueAttributes") == queue
    assert grants.pop("sqs:SendMessage") == queue
    assert grants.pop("dynamodb:DeleteItem") == {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
    post = grants.pop("execute-api:ManageConnections")["Fn::Sub"]
    assert post.endswith(":${WebSocketApi}/${StageName}/POST/@connections/*")
    assert grants == {}


def test_delivery_alarms_watch_dead_letters_lag_and_errors(cfn_template: dict[str, Any]) -> None:
    resources = cfn_template["Resources"]

    def watched(alarm: str) -> tuple[str, str, Any]:
        props = resources[alarm]["Properties"]
        return props["Namespace"], props["MetricName"], props["Dimensions"][0]["Value"]

    assert watched("DeliveryDeadLettersAlarm") == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["DeliveryDeadLetterQueue", "QueueName"]},
    )
    assert watched("DeliveryLagAlarm") == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        {"Fn::GetAtt": ["DeliveryQueue", "QueueName"]},
    )
    assert watched("DeliveryFunctionErrorsAlarm") == (
        "AWS/Lambda",
        "Errors",
        {"Ref": "DeliveryFunction"},
    )
    for alarm in ("DeliveryDeadLettersAlarm", "DeliveryLagAlarm", "DeliveryFunctionErrorsAlarm"):
        assert resources[alarm]["Properties"]["AlarmActions"] == {
            "Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]
        }
