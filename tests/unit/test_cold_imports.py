"""What importing the handler module loads, and what it leaves to first use (not timed: the
figures are in BENCHMARKS.md "Cold start"; these tests pin the mechanism).

Each case runs in a fresh interpreter, since this test process has imported much already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BACKEND = Path(__file__).resolve().parents[2] / "backend"

# Loaded on first use only (adapters/tracing.py, idempotency.py, ssm_secret.py).
DEFERRED = (
    "aws_xray_sdk.core",
    "wrapt",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb",
    "aws_lambda_powertools.utilities.parameters",
)


def _child(code: str, tmp_path: Path, **env: str) -> dict[str, Any]:
    """Run ``code`` (which prints one JSON line last) in a fresh interpreter."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_"))}
    base.pop("LAMBDA_TASK_ROOT", None)
    base.pop("_X_AMZN_TRACE_ID", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
        env={
            **base,
            "PYTHONPATH": str(BACKEND),
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_METRICS_NAMESPACE": "PositiveChat",
            "POWERTOOLS_SERVICE_NAME": "positive-chat",
            **env,
        },
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


LOADED = """
import json, sys
import positive_chat.app as app
deferred = {deferred!r}
print(json.dumps({{"loaded": [m for m in deferred if m in sys.modules],
                   "disabled": bool(app.tracer.disabled),
                   "xray_loaded": app.tracer.provider.loaded}}))
"""


def test_import_with_tracing_off_loads_no_xray_idempotency_or_parameters(tmp_path: Path) -> None:
    """Tracing off (local cloud, tests): none of the deferred machinery is imported."""
    result = _child(LOADED.format(deferred=DEFERRED), tmp_path, POWERTOOLS_TRACE_DISABLED="true")
    assert result == {"loaded": [], "disabled": True, "xray_loaded": False}


def test_import_with_tracing_on_in_lambda_loads_xray_at_init(tmp_path: Path) -> None:
    """Tracing on in a Lambda environment (AWS): the X-Ray SDK loads and patches at init, as
    Powertools' own provider did; idempotency and Parameters still wait for first use."""
    result = _child(
        LOADED.format(deferred=DEFERRED), tmp_path, LAMBDA_TASK_ROOT=str(tmp_path / "task")
    )
    assert result["disabled"] is False
    assert result["xray_loaded"] is True
    assert result["loaded"] == ["aws_xray_sdk.core", "wrapt"]


TRACED = """
import json, sys
import botocore.client
import positive_chat.app as app
from aws_xray_sdk.core import xray_recorder

sent = []
class Emitter:
    def send_entity(self, entity):
        sent.append(json.loads(entity.serialize()))
    def set_daemon_address(self, address):
        pass

xray_recorder.configure(emitter=Emitter())

class Context:
    function_name = "f"; function_version = "1"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    aws_request_id = "r1"

@app.tracer.capture_lambda_handler
def handler(event, context):
    return {"statusCode": 200}

handler({}, Context())
print(json.dumps({"sent": sent,
                  "botocore_patched": type(botocore.client.BaseClient.__dict__["_make_api_call"])
                                      .__name__ == "FunctionWrapper"}))
"""


def test_tracing_on_records_the_handler_subsegment_with_xray(tmp_path: Path) -> None:
    """With tracing on, the decorated handler's subsegment goes to X-Ray (streamed, one by one)
    with the ColdStart and Service annotations, and botocore is instrumented."""
    result = _child(
        TRACED,
        tmp_path,
        LAMBDA_TASK_ROOT=str(tmp_path / "task"),
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    assert result["botocore_patched"] is True
    (subsegment,) = result["sent"]
    assert subsegment["name"] == "## handler"
    assert subsegment["annotations"] == {"ColdStart": True, "Service": "positive-chat"}


def test_tracing_off_handler_runs_and_sends_nothing(tmp_path: Path) -> None:
    """Tracing off: the decorated handler runs as before, with no X-Ray SDK at all."""
    code = TRACED.replace("from aws_xray_sdk.core import xray_recorder", "").replace(
        "xray_recorder.configure(emitter=Emitter())", ""
    )
    code = code.replace(
        '"sent": sent,', '"sent": sent, "xray": "aws_xray_sdk.core" in sys.modules,'
    )
    result = _child(code, tmp_path, POWERTOOLS_TRACE_DISABLED="true")
    assert result == {"sent": [], "xray": False, "botocore_patched": False}
