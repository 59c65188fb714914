"""How the local cloud reads a function's concurrency limit out of template.yaml."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from localcloud.template import DEFAULT_TEMPLATE, function_spec, load_template


def _with(reserved: Any, **extra: Any) -> dict[str, Any]:
    template: dict[str, Any] = {
        "Parameters": {"Limit": {"Type": "Number", "Default": 5}},
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Handler": "app.handler", "CodeUri": "."},
            }
        },
        **extra,
    }
    if reserved is not None:
        template["Resources"]["Fn"]["Properties"]["ReservedConcurrentExecutions"] = reserved
    return template


def test_project_template_leaves_concurrency_unreserved_by_default() -> None:
    template = load_template(DEFAULT_TEMPLATE)
    assert function_spec(template, "ChatFunction").reserved_concurrency is None
    changed = copy.deepcopy(template)
    changed["Parameters"]["ReservedConcurrency"]["Default"] = 7
    assert function_spec(changed, "ChatFunction").reserved_concurrency == 7


@pytest.mark.parametrize(
    ("reserved", "expected"),
    [
        (None, None),
        (3, 3),
        ({"Ref": "Limit"}, 5),
        ({"Fn::If": ["IsFive", {"Ref": "Limit"}, {"Ref": "AWS::NoValue"}]}, 5),
        ({"Fn::If": ["NotFive", 9, {"Ref": "AWS::NoValue"}]}, None),
        ({"Fn::If": ["Both", 1, 2]}, 2),
    ],
    ids=["absent", "number", "ref", "if-true", "if-novalue", "and-or"],
)
def test_reserved_concurrency_resolves_parameters_and_conditions(
    reserved: Any, expected: int | None
) -> None:
    conditions = {
        "IsFive": {"Fn::Equals": [{"Ref": "Limit"}, 5]},
        "NotFive": {"Fn::Not": [{"Condition": "IsFive"}]},
        "Both": {"Fn::And": [{"Condition": "IsFive"},
                             {"Fn::Or": [{"Condition": "NotFive"}, {"Fn::Equals": ["a", "b"]}]}]},
    }
    spec = function_spec(_with(reserved, Conditions=conditions))
    assert spec.reserved_concurrency == expected


@pytest.mark.parametrize(
    ("reserved", "extra"),
    [
        ({"Fn::GetAtt": ["Other", "Limit"]}, {}),
        ({"Ref": "Missing"}, {}),
        ({"Fn::If": ["Unknown", 1, 2]}, {}),
        ({"Fn::If": ["Loop", 1, 2]}, {"Conditions": {"Loop": {"Condition": "Loop"}}}),
        ("five", {}),
        (-1, {}),
    ],
    ids=["getatt", "missing-parameter", "unknown-condition", "condition-loop", "not-a-number",
         "negative"],
)
def test_reserved_concurrency_falls_back_to_the_default_with_a_warning(
    reserved: Any, extra: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="localcloud.template"):
        spec = function_spec(_with(reserved, **extra))
    assert spec.reserved_concurrency is None
    assert "ReservedConcurrentExecutions" in caplog.text


def test_reserved_concurrency_compares_yaml_booleans_as_cloudformation_does() -> None:
    template = _with({"Fn::If": ["On", 4, {"Ref": "AWS::NoValue"}]},
                     Conditions={"On": {"Fn::Equals": [{"Ref": "Flag"}, "true"]}})
    template["Parameters"]["Flag"] = {"Type": "String", "Default": True}
    assert function_spec(template).reserved_concurrency == 4
