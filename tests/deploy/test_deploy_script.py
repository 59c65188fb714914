"""scripts/deploy end to end, with the ``aws`` and ``sam`` CLIs replaced by recording fakes on PATH.

The fakes (fixtures/fake_cli.py) log every call; the page is rendered by the real
``site_renderer.render``, so the uploads are checked against what the renderer produces.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deploy_support import ROOT
from operations import deploy
from site_renderer.render import render_site

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STACK_OUTPUTS = FIXTURES / "stack_outputs.json"
SCRIPT = ROOT / "scripts" / "deploy"
OUTPUTS = {o["OutputKey"]: o["OutputValue"] for o in json.loads(STACK_OUTPUTS.read_text())}
BUILD_VERSION = "20260101120000-abc123"
IMMUTABLE = "public, max-age=31536000, immutable"
# What the wrapper script itself needs from the system; the AWS/SAM CLIs are never among them.
TOOLS = ("bash", "dirname")


@dataclass
class Result:
    """One finished run of scripts/deploy and the CLI calls it made."""

    returncode: int
    stdout: str
    stderr: str
    calls: list[dict]

    def argvs(self) -> list[list[str]]:
        """The argument vectors, in call order."""
        return [call["argv"] for call in self.calls]


@pytest.fixture
def run_deploy(tmp_path: Path) -> Callable[..., Result]:
    """Run scripts/deploy with fake CLIs on a PATH that holds nothing else of AWS's."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    log = tmp_path / "cli.jsonl"

    def run(
        *args: str, clis: tuple[str, ...] = ("aws", "sam"), timeout: float = 60,
        **env_overrides: str,
    ) -> Result:
        for cli in ("aws", "sam"):
            shim = fakes / cli
            shim.unlink(missing_ok=True)
            if cli in clis:
                shim.write_text(
                    f'#!/bin/sh\nexec "{sys.executable}" "{FIXTURES / "fake_cli.py"}" {cli} "$@"\n'
                )
                shim.chmod(0o755)
        log.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FAKE_"))}
        env.pop("PYTHONPATH", None)
        env.update(
            {
                "PATH": os.pathsep.join([str(fakes), str(tools)]),
                "FAKE_CLI_LOG": str(log),
                "FAKE_STACK_OUTPUTS": str(STACK_OUTPUTS),
                **env_overrides,
            }
        )
        completed = subprocess.run(
            [str(SCRIPT), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        return Result(completed.returncode, completed.stdout, completed.stderr, calls)

    return run


DEPLOY_ARGS = (
    "--stack-name",
    "chat-test",
    "--stage",
    "beta",
    "--region",
    "eu-west-1",
    "--parameter",
    "AlarmEmail=ops@example.com",
    "--build-version",
    BUILD_VERSION,
    # The fake stack's WebSocket URL is no stage: the smoke step has tests of its own below.
    "--no-smoke",
)


def _rendered_site(tmp_path: Path) -> dict[str, str]:
    """The site the renderer makes for the fake stack, as key -> SHA-256."""
    site = render_site(
        tmp_path / "expected-site", ws_url=OUTPUTS["WebSocketUrl"], build_version=BUILD_VERSION
    )
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in site.rglob("*")
        if p.is_file()
    }


# --- a full deploy ------------------------------------------------------------------------------


def test_deploy_runs_build_deploy_outputs_upload_invalidate_in_order(
    run_deploy: Callable[..., Result], tmp_path: Path
) -> None:
    """A deploy checks credentials, builds, deploys, reads outputs, uploads, then invalidates."""
    result = run_deploy(*DEPLOY_ARGS)
    assert result.returncode == 0, result.stderr
    region = ["--region", "eu-west-1"]
    uploads = [a for a in result.argvs() if a[:3] == ["aws", "s3", "cp"]]
    expected = [
        ["aws", "sts", "get-caller-identity", "--output", "json", *region],
        [
            "sam",
            "build",
            "--template-file",
            str(ROOT / "template.yaml"),
            "--config-file",
            str(ROOT / "samconfig.toml"),
        ],
        [
            "sam",
            "deploy",
            "--config-file",
            str(ROOT / "samconfig.toml"),
            "--stack-name",
            "chat-test",
            "--parameter-overrides",
            "StageName=beta AlarmEmail=ops@example.com",
            "--no-fail-on-empty-changeset",
            *region,
        ],
        [
            "aws",
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "chat-test",
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "json",
            *region,
        ],
        [
            "aws",
            "apigatewayv2",
            "create-deployment",
            "--api-id",
            OUTPUTS["WebSocketApiId"],
            "--stage-name",
            "beta",
            "--description",
            f"scripts/deploy {BUILD_VERSION}",
            "--output",
            "json",
            *region,
        ],
        *uploads,
        [
            "aws",
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            OUTPUTS["SiteDistributionId"],
            "--paths",
            "/*",
            "--output",
            "json",
            *region,
        ],
    ]
    assert result.argvs() == expected
    assert len(uploads) == len(_rendered_site(tmp_path))


def test_deploy_uploads_exactly_the_site_rendered_for_the_stacks_websocket_url(
    run_deploy: Callable[..., Result], tmp_path: Path
) -> None:
    """The uploaded files are byte for byte the page rendered with the stack's WebSocket URL."""
    result = run_deploy(*DEPLOY_ARGS)
    assert result.returncode == 0, result.stderr
    bucket = f"s3://{OUTPUTS['SiteBucketName']}/"
    uploaded = {
        call["argv"][4].removeprefix(bucket): call["sha256"]
        for call in result.calls
        if call["argv"][:3] == ["aws", "s3", "cp"]
    }
    assert all(call["argv"][4].startswith(bucket) for call in result.calls if "sha256" in call)
    assert uploaded == _rendered_site(tmp_path)


def test_deploy_sets_content_type_and_cache_control_per_file(
    run_deploy: Callable[..., Result],
) -> None:
    """Pages go up no-cache as UTF-8 HTML; hashed assets immutable with their own types."""
    result = run_deploy(*DEPLOY_ARGS)
    assert result.returncode == 0, result.stderr
    headers = {}
    for argv in result.argvs():
        if argv[:3] == ["aws", "s3", "cp"]:
            key = argv[4].split("/", 3)[3]
            headers[key] = (
                argv[argv.index("--content-type") + 1],
                argv[argv.index("--cache-control") + 1],
            )
    assert headers["index.html"] == ("text/html; charset=utf-8", "no-cache")
    assets = {k: v for k, v in headers.items() if k.startswith("static/")}
    assert assets, headers
    expected_types = {
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".svg": "image/svg+xml",
    }
    for key, (content_type, cache_control) in assets.items():
        assert cache_control == IMMUTABLE, key
        assert content_type == expected_types[Path(key).suffix], key
    assert any(k.endswith(".js") for k in assets)
    assert any(k.endswith(".css") for k in assets)


def test_deploy_uploads_assets_before_pages(run_deploy: Callable[..., Result]) -> None:
    """No page is uploaded before every asset it may reference is in the bucket."""
    result = run_deploy(*DEPLOY_ARGS)
    assert result.returncode == 0, result.stderr
    keys = [a[4] for a in result.argvs() if a[:3] == ["aws", "s3", "cp"]]
    is_page = [k.endswith(".html") for k in keys]
    assert True in is_page
    assert False in is_page
    assert is_page == sorted(is_page)


def test_deploy_prints_the_urls(run_deploy: Callable[..., Result]) -> None:
    """The deploy ends by printing the page URL and the WebSocket URL."""
    result = run_deploy(*DEPLOY_ARGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        f"Chat page:  {OUTPUTS['SiteUrl']}",
        f"WebSocket:  {OUTPUTS['WebSocketUrl']}",
    ]


def test_deploy_use_container_is_passed_to_sam_build(run_deploy: Callable[..., Result]) -> None:
    """--use-container reaches sam build and nothing else."""
    result = run_deploy(*DEPLOY_ARGS, "--use-container")
    assert result.returncode == 0, result.stderr
    with_flag = [a for a in result.argvs() if "--use-container" in a]
    assert [a[:2] for a in with_flag] == [["sam", "build"]]


# --- dry run ------------------------------------------------------------------------------------


def test_dry_run_prints_every_step_and_calls_nothing(run_deploy: Callable[..., Result]) -> None:
    """--dry-run prints the commands of every step in order and runs none of them."""
    result = run_deploy(*DEPLOY_ARGS, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.calls == []
    commands = [line for line in result.stdout.splitlines() if line.startswith("$ ")]
    starts = [
        "$ aws sts get-caller-identity",
        "$ sam build",
        "$ sam deploy",
        "$ aws cloudformation describe-stacks",
        "$ aws apigatewayv2 create-deployment --api-id '<WebSocketApiId>' --stage-name beta",
        f"$ {ROOT / '.venv' / 'bin' / 'python'} -m site_renderer --ws-url '<WebSocketUrl>'",
        "$ aws s3 cp",
        "$ aws cloudfront create-invalidation",
    ]
    assert len(commands) == len(starts)
    for line, start in zip(commands, starts, strict=True):
        assert line.startswith(start), (line, start)
    assert "StageName=beta AlarmEmail=ops@example.com" in result.stdout


def test_dry_run_works_without_the_clis_and_says_what_is_missing(
    run_deploy: Callable[..., Result],
) -> None:
    """A dry run on a machine without aws/sam still prints the plan, with a note per CLI."""
    result = run_deploy("--dry-run", "--build-version", BUILD_VERSION, clis=())
    assert result.returncode == 0, result.stderr
    assert "note: `aws` is not on PATH" in result.stdout
    assert "note: `sam` is not on PATH" in result.stdout
    assert "$ sam deploy" in result.stdout


def test_dry_run_delete_prints_the_teardown(run_deploy: Callable[..., Result]) -> None:
    """--delete --delete-data --dry-run prints bucket emptying, stack and table deletion."""
    result = run_deploy("--delete", "--delete-data", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.calls == []
    for expected in (
        "$ aws s3 rm 's3://<SiteBucketName>' --recursive",
        "$ sam delete",
        "$ aws dynamodb delete-table --table-name '<MessagesTableName>'",
    ):
        assert expected in result.stdout


# --- prerequisites and failures -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("clis", "missing"),
    [(("sam",), "aws"), (("aws",), "sam"), ((), "aws, sam")],
    ids=["no-aws", "no-sam", "neither"],
)
def test_deploy_without_a_cli_fails_clearly(
    run_deploy: Callable[..., Result], clis: tuple[str, ...], missing: str
) -> None:
    """A missing aws or sam CLI stops the deploy before any call, with exit code 2."""
    result = run_deploy(*DEPLOY_ARGS, clis=clis)
    assert result.returncode == 2
    assert f"not found on PATH: {missing}" in result.stderr
    assert result.calls == []


def test_deploy_without_credentials_fails_clearly(run_deploy: Callable[..., Result]) -> None:
    """Missing credentials stop the deploy after the identity check, with advice and exit 2."""
    result = run_deploy(*DEPLOY_ARGS, FAKE_AWS_NO_CREDENTIALS="1")
    assert result.returncode == 2
    assert "AWS credentials are missing" in result.stderr
    assert "aws configure" in result.stderr
    assert [a[:3] for a in result.argvs()] == [["aws", "sts", "get-caller-identity"]]


def test_deploy_stops_at_the_first_failed_step(run_deploy: Callable[..., Result]) -> None:
    """When sam deploy fails nothing is uploaded or invalidated, and the exit code is 1."""
    result = run_deploy(*DEPLOY_ARGS, FAKE_CLI_FAIL="sam deploy")
    assert result.returncode == 1
    assert "`sam deploy" in result.stderr
    assert "failed with exit code 1" in result.stderr
    assert [a[:2] for a in result.argvs()][-1] == ["sam", "deploy"]


def test_deploy_rejects_a_stack_without_the_expected_outputs(
    run_deploy: Callable[..., Result], tmp_path: Path
) -> None:
    """A stack lacking the site outputs is named in a clear error, and nothing is uploaded."""
    partial = tmp_path / "partial.json"
    listed = json.loads(STACK_OUTPUTS.read_text())
    partial.write_text(json.dumps([o for o in listed if o["OutputKey"] != "SiteBucketName"]))
    result = run_deploy(*DEPLOY_ARGS, FAKE_STACK_OUTPUTS=str(partial))
    assert result.returncode == 1
    assert "stack chat-test has no output SiteBucketName" in result.stderr
    assert not any(a[:2] == ["aws", "s3"] for a in result.argvs())


@pytest.mark.parametrize(
    "args",
    [
        ("--stage", "no-dashes"),
        ("--stack-name", "9starts-with-digit"),
        ("--region", "moon-1"),
        ("--parameter", "AlarmEmail"),
        ("--parameter", "AlarmEmail=a b"),
        ("--parameter", "StageName=x"),
        ("--build-version", "has space"),
        ("--delete-data",),
    ],
    ids=["stage", "stack", "region", "no-equals", "space", "stage-param", "version", "data-only"],
)
def test_bad_arguments_exit_2_without_calls(
    run_deploy: Callable[..., Result], args: tuple[str, ...]
) -> None:
    """Each invalid argument is refused by name with exit code 2 before any CLI runs."""
    result = run_deploy(*args)
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.calls == []


# --- delete -------------------------------------------------------------------------------------


def test_delete_keeps_the_data_tables(run_deploy: Callable[..., Result]) -> None:
    """--delete empties the bucket and deletes the stack, and leaves (and names) the tables."""
    result = run_deploy("--delete", "--stack-name", "chat-test")
    assert result.returncode == 0, result.stderr
    assert [a[:3] for a in result.argvs()] == [
        ["aws", "sts", "get-caller-identity"],
        ["aws", "cloudformation", "describe-stacks"],
        ["aws", "s3", "rm"],
        ["sam", "delete", "--config-file"],
    ]
    assert result.argvs()[2][3] == f"s3://{OUTPUTS['SiteBucketName']}"
    assert "--no-prompts" in result.argvs()[3]
    for key in deploy.DATA_TABLE_OUTPUTS:
        assert OUTPUTS[key] in result.stdout


def test_delete_data_needs_confirmation(run_deploy: Callable[..., Result]) -> None:
    """--delete-data without --yes, with no terminal to ask on, refuses and deletes nothing."""
    result = run_deploy("--delete", "--delete-data")
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert result.calls == []


def test_delete_data_deletes_each_table_after_lifting_protection(
    run_deploy: Callable[..., Result],
) -> None:
    """--delete --delete-data --yes lifts deletion protection, then deletes every data table."""
    result = run_deploy("--delete", "--delete-data", "--yes")
    assert result.returncode == 0, result.stderr
    dynamo = [a for a in result.argvs() if a[:2] == ["aws", "dynamodb"]]
    expected = []
    for key in deploy.DATA_TABLE_OUTPUTS:
        table = ["--table-name", OUTPUTS[key]]
        expected += [
            [
                "aws",
                "dynamodb",
                "update-table",
                *table,
                "--no-deletion-protection-enabled",
                "--output",
                "json",
            ],
            ["aws", "dynamodb", "wait", "table-exists", *table],
            ["aws", "dynamodb", "delete-table", *table, "--output", "json"],
        ]
    assert dynamo == expected
    sam_delete = next(i for i, a in enumerate(result.argvs()) if a[:2] == ["sam", "delete"])
    first_table_call = result.argvs().index(dynamo[0])
    assert sam_delete < first_table_call


# --- units --------------------------------------------------------------------------------------


def test_required_outputs_exist_in_the_template(sam_template: dict) -> None:
    """Every output the deploy reads is declared by template.yaml, and the fixture matches it."""
    declared = set(sam_template["Outputs"])
    assert set(deploy.REQUIRED_OUTPUTS) <= declared
    assert set(deploy.DATA_TABLE_OUTPUTS) <= declared
    conditional = {k for k, v in sam_template["Outputs"].items() if "Condition" in v}
    assert set(OUTPUTS) == declared - conditional


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("static/0123456789ab/js/chat.js", "text/javascript; charset=utf-8"),
        ("static/0123456789ab/css/chat.css", "text/css; charset=utf-8"),
        ("static/0123456789ab/img/icon.svg", "image/svg+xml"),
        ("favicon.ICO", "image/x-icon"),
        ("site.webmanifest", "application/manifest+json"),
        ("archive.unknownext", "application/octet-stream"),
    ],
    ids=["html", "js", "css", "svg", "ico-upper", "manifest", "unknown"],
)
def test_content_type_for(name: str, expected: str) -> None:
    """Each file type of the page is served with its proper Content-Type."""
    assert deploy.content_type_for(name) == expected


def test_plan_upload_refuses_a_site_without_a_page(tmp_path: Path) -> None:
    """An empty or page-less render is an error, not an upload that breaks the live site."""
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.js").write_text("export {};")
    with pytest.raises(deploy.DeployError, match="no page"):
        deploy.plan_upload(tmp_path)


# --- the smoke suite after a deploy -------------------------------------------------------------


def _outputs_with_url(tmp_path: Path, ws_url: str) -> Path:
    """The fake stack's outputs, with its WebSocket URL pointing at ``ws_url``."""
    outputs = json.loads(STACK_OUTPUTS.read_text())
    for output in outputs:
        if output["OutputKey"] == "WebSocketUrl":
            output["OutputValue"] = ws_url
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return path


WITH_SMOKE = tuple(a for a in DEPLOY_ARGS if a != "--no-smoke")


def test_dry_run_ends_with_the_smoke_step(run_deploy: Callable[..., Result]) -> None:
    """Without --no-smoke the plan's last command runs the conformance suite on the stage URL."""
    result = run_deploy(*WITH_SMOKE, "--dry-run")
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.startswith("$ ")]
    python = ROOT / ".venv" / "bin" / "python"
    assert commands[-1] == f"$ {python} -m conformance '<WebSocketUrl>'"
    assert commands[-2].startswith("$ aws cloudfront create-invalidation")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_deploy_smokes_the_stage_it_deployed(
    run_deploy: Callable[..., Result], tmp_path: Path, start_local_cloud: Callable[..., Any]
) -> None:
    """After the upload, scripts/smoke runs against the stack's WebSocket URL (here a real local
    cloud): every check passes, and the deploy succeeds."""
    cloud = start_local_cloud()
    outputs = _outputs_with_url(tmp_path, cloud.ws_url)
    try:
        result = run_deploy(*WITH_SMOKE, FAKE_STACK_OUTPUTS=str(outputs), timeout=240)
    finally:
        cloud.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "==> smoke-test the stage at ws://" in result.stderr
    assert "8 checks: 8 passed, 0 failed, 0 skipped" in result.stdout


def test_deploy_fails_when_the_smoke_fails(
    run_deploy: Callable[..., Result], tmp_path: Path
) -> None:
    """A stage that does not answer fails the deploy (exit 1) after the URLs are printed."""
    outputs = _outputs_with_url(tmp_path, "ws://127.0.0.1:9/beta")
    result = run_deploy(*WITH_SMOKE, FAKE_STACK_OUTPUTS=str(outputs), timeout=120)
    assert result.returncode == 1
    assert "WebSocket:  ws://127.0.0.1:9/beta" in result.stdout
    assert "FAIL join" in result.stdout
    assert "deploy: error: the smoke suite failed against ws://127.0.0.1:9/beta" in result.stderr
