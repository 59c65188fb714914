"""How the local cloud reads a function's concurrency limit out of template.yaml."""

from __future__ import annotations

import copy
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
    assert function_spec(template).reserved_concurrency is None
    changed = copy.deepcopy(template)
    changed["Parameters"]["ReservedConcurrency"]["Default"] = 7
    assert function_spec(changed).reserved_concurrency == 7


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


def test_reserved_concurrency_refuses_what_it_cannot_evaluate() -> None:
    with pytest.raises(ValueError, match="Fn::GetAtt"):
        function_spec(_with({"Fn::GetAtt": ["Other", "Limit"]}))
