"""Helpers for the deploy checks: the SAM transform run offline, and template queries.

The transform runs offline with samtranslator, exactly as CloudFormation's
``AWS::Serverless-2016-10-31`` transform would, with a fake managed-policy loader (the template
names no managed policies by name, so the loader is never asked for one).
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any
from unittest import mock

from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
REGION = "eu-west-1"

_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9]+)?\}")


class FakeManagedPolicyLoader:
    """Stands in for samtranslator's IAM-backed loader; records whether it was consulted."""

    def __init__(self) -> None:
        self.calls = 0

    def load(self) -> dict[str, str]:
        """Return no managed policies: the template refers to none by name."""
        self.calls += 1
        return {}


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    """The template as ``sam package`` leaves it: local CodeUris replaced by S3 URIs."""
    result = copy.deepcopy(template)
    for resource in result["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts-bucket/positive-chat/abc123"
    return result


def transform_template(
    template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the SAM transform offline and return the CloudFormation template it produces."""
    values = {"AWS::Region": REGION, **(parameters or {})}
    # samtranslator asks a boto3 Session for the Region even when it is given; pin it, and keep
    # any AWS_PROFILE of the caller's shell out of the way (no credentials are used).
    environ = {k: v for k, v in os.environ.items() if k not in {"AWS_PROFILE", "AWS_REGION"}}
    environ["AWS_DEFAULT_REGION"] = REGION
    with mock.patch.dict(os.environ, environ, clear=True):
        return transform(packaged(template), values, FakeManagedPolicyLoader())


def references(value: Any) -> set[str]:
    """Every logical id or parameter that ``value`` points at (Ref, GetAtt, Sub variables)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0])
            elif key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                found.update(_SUB_VARIABLE.findall(text))
                found.update(references(variables))
            else:
                found.update(references(arg))
    elif isinstance(value, list):
        for item in value:
            found.update(references(item))
    return found


def of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one CloudFormation type, by logical id."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}
