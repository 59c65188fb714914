"""Fixtures for the deploy checks: template.yaml as written and as CloudFormation deploys it."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_support import TEMPLATE, transform_template
from localcloud.template import load_template


@pytest.fixture(scope="session")
def sam_template() -> dict[str, Any]:
    """template.yaml as written (intrinsics in long form)."""
    return load_template(TEMPLATE)


@pytest.fixture(scope="session")
def cfn_template(sam_template: dict[str, Any]) -> dict[str, Any]:
    """template.yaml after the SAM transform: what CloudFormation actually deploys."""
    return transform_template(sam_template)
