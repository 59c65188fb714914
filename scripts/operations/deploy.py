"""Deploy Positive Chat to AWS with one command, or tear it down.

This module owns the deploy's sequence of steps and nothing of AWS itself: every call goes
through the ``aws`` and ``sam`` command lines (argument lists, never a shell), so ``--dry-run``
prints exactly what a real run would execute, and tests replace both CLIs with recording fakes.

Deploy::

    check   the aws and sam CLIs are on PATH; the credentials work (sts get-caller-identity)
    build   sam build            (arm64 wheels of backend/requirements.txt only; see template.yaml)
    deploy  sam deploy           (samconfig.toml; stack name, Region, parameter overrides)
    outputs aws cloudformation describe-stacks   (WebSocket URL, bucket, distribution ...)
    stage   aws apigatewayv2 create-deployment   (route/integration changes go live)
    render  python -m site_renderer --ws-url <stack's URL> --out <tmp> --build-version V
    upload  aws s3 cp, one file at a time, with its Content-Type and Cache-Control: pages
            no-cache; content-hashed assets (static/<hash>/...) immutable for a year. Assets
            first, pages last, so a new page never references an asset not yet uploaded.
    cdn     aws cloudfront create-invalidation --paths "/*"
    report  the page URL and the WebSocket URL
    smoke   python -m conformance <stack's URL>   (scripts/smoke; skipped with --no-smoke)

Delete (``--delete``): empty the site bucket, ``sam delete`` the stack. The data tables are
retained by the template; ``--delete-data`` (confirmed) lifts their deletion protection and
deletes them too.

Errors and exit codes::

    DeployError          1  a step failed (its own output says why, above ours)
    └── PrerequisiteError 2  bad arguments, a CLI missing, no credentials, unconfirmed deletion
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

__all__ = [
    "CONTENT_TYPES",
    "DATA_TABLE_OUTPUTS",
    "REPO_ROOT",
    "REQUIRED_OUTPUTS",
    "DeployError",
    "PrerequisiteError",
    "Runner",
    "Settings",
    "UploadItem",
    "content_type_for",
    "delete",
    "deploy",
    "main",
    "plan_upload",
    "smoke_stage",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
SAMCONFIG = REPO_ROOT / "samconfig.toml"

# Stack outputs the deploy reads (template.yaml's Outputs; a test keeps them in step).
REQUIRED_OUTPUTS = (
    "WebSocketUrl",
    "WebSocketApiId",
    "SiteUrl",
    "SiteBucketName",
    "SiteDistributionId",
)
DATA_TABLE_OUTPUTS = (
    "ConnectionsTableName",
    "MessagesTableName",
    "TopicsTableName",
    "ModerationTableName",
)

# Explicit types for what the page is made of; anything else falls back to `mimetypes`.
CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
PAGE_SUFFIXES = frozenset({".html"})

_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_PROFILE = re.compile(r"^[A-Za-z0-9_.@+=,-]{1,64}$")
_BUILD_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_PARAMETER_KEY = re.compile(r"^[A-Za-z0-9]{1,255}$")
_PARAMETER_VALUE = re.compile(r"^[^\s\"'\\]*$")


class DeployError(Exception):
    """A step failed; the message names it. Exit code 1."""

    exit_code = 1


class PrerequisiteError(DeployError):
    """The deploy cannot start: arguments, CLIs, credentials or a missing confirmation."""

    exit_code = 2


@dataclass(frozen=True)
class Settings:
    """What to deploy where; validated by :func:`parse_args`."""

    stack_name: str = "positive-chat"
    stage: str = "prod"
    region: str | None = None
    profile: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    build_version: str = "dev"
    use_container: bool = False
    dry_run: bool = False
    smoke: bool = True  # run scripts/smoke against the stage once it is deployed
    root: Path = REPO_ROOT

    def aws(self, *args: str) -> list[str]:
        """An ``aws`` command line with this deploy's Region and profile."""
        return ["aws", *args, *self._region_profile()]

    def sam(self, *args: str) -> list[str]:
        """A ``sam`` command line with this deploy's Region and profile."""
        return ["sam", *args, *self._region_profile()]

    def _region_profile(self) -> list[str]:
        extra: list[str] = []
        if self.region:
            extra += ["--region", self.region]
        if self.profile:
            extra += ["--profile", self.profile]
        return extra


@dataclass
class Runner:
    """Runs (or, in a dry run, prints) one command at a time and says which step it is in."""

    dry_run: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    cwd: Path = REPO_ROOT
    env: Mapping[str, str] | None = None

    def step(self, title: str) -> None:
        """Announce a step (stdout in a dry run, which is the plan; stderr otherwise)."""
        print(f"==> {title}", file=self.out if self.dry_run else self.err, flush=True)

    def run(
        self, command: Sequence[str], *, capture: bool = False, env: Mapping[str, str] | None = None
    ) -> str:
        """Run ``command``; return its stdout when ``capture``. DeployError if it fails."""
        line = shlex.join(command)
        if self.dry_run:
            print(f"$ {line}", file=self.out, flush=True)
            return ""
        print(f"$ {line}", file=self.err, flush=True)
        try:
            completed = subprocess.run(
                list(command),
                cwd=self.cwd,
                env=dict(env if env is not None else (self.env or os.environ)),
                stdout=subprocess.PIPE if capture else None,
                text=True,
                check=False,
            )
        except FileNotFoundError as err:
            raise PrerequisiteError(f"`{command[0]}` is not installed or not on PATH") from err
        if completed.returncode != 0:
            raise DeployError(f"`{line}` failed with exit code {completed.returncode}")
        return completed.stdout if capture else ""


@dataclass(frozen=True)
class UploadItem:
    """One rendered file and how it is stored in the bucket."""

    path: Path
    key: str
    content_type: str
    cache_control: str


def content_type_for(name: str) -> str:
    """The Content-Type a file is served with, from its extension."""
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def plan_upload(site_dir: Path) -> list[UploadItem]:
    """Every file of the rendered site, assets first and pages last, with its headers.

    Cache-Control follows the renderer's own rule (``site_renderer.render.cache_control_for``), so
    the two can never disagree: content-hashed assets immutable, everything else revalidated.
    """
    from site_renderer.render import cache_control_for

    items = [
        UploadItem(
            path=path,
            key=(key := path.relative_to(site_dir).as_posix()),
            content_type=content_type_for(key),
            cache_control=cache_control_for(key),
        )
        for path in sorted(site_dir.rglob("*"))
        if path.is_file()
    ]
    if not any(Path(item.key).suffix in PAGE_SUFFIXES for item in items):
        raise DeployError(f"the rendered site in {site_dir} has no page (*.html)")
    return sorted(items, key=lambda item: (Path(item.key).suffix in PAGE_SUFFIXES, item.key))


# --- steps --------------------------------------------------------------------------------------


def check_prerequisites(settings: Settings, runner: Runner, *, need_sam: bool = True) -> None:
    """The CLIs are installed and the credentials work; PrerequisiteError says what to do."""
    runner.step("check the AWS CLI, the SAM CLI and the credentials")
    missing = [cli for cli in (("aws", "sam") if need_sam else ("aws",)) if not shutil.which(cli)]
    hints = {
        "aws": "the AWS CLI (`aws`), e.g. `pip install awscli` or AWS's installer",
        "sam": "the AWS SAM CLI (`sam`), e.g. `pip install aws-sam-cli`",
    }
    if missing and not runner.dry_run:
        needed = "; ".join(hints[cli] for cli in missing)
        raise PrerequisiteError(f"not found on PATH: {', '.join(missing)}. Install {needed}.")
    for cli in missing:  # a dry run still shows the plan, and says what a real run would need
        print(f"note: `{cli}` is not on PATH; a real run needs {hints[cli]}", file=runner.out)
    try:
        runner.run(settings.aws("sts", "get-caller-identity", "--output", "json"), capture=True)
    except PrerequisiteError:
        raise
    except DeployError as err:
        raise PrerequisiteError(
            "AWS credentials are missing, expired or invalid (`aws sts get-caller-identity` "
            "failed, see above). Run `aws configure` or `aws sso login`, or set AWS_PROFILE / "
            "--profile, then try again."
        ) from err


def stack_outputs(settings: Settings, runner: Runner, *, required: Sequence[str]) -> dict[str, str]:
    """The stack's outputs by key; placeholders in a dry run. DeployError if any is missing."""
    runner.step(f"read the outputs of stack {settings.stack_name}")
    raw = runner.run(
        settings.aws(
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            settings.stack_name,
            "--query",
            "Stacks[0].Outputs",
            "--output",
            "json",
        ),
        capture=True,
    )
    if runner.dry_run:
        return {key: f"<{key}>" for key in (*REQUIRED_OUTPUTS, *DATA_TABLE_OUTPUTS)}
    try:
        listed = json.loads(raw) or []
        outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in listed}
    except (json.JSONDecodeError, TypeError, KeyError) as err:
        raise DeployError(f"cannot read the outputs of stack {settings.stack_name}: {err}") from err
    missing = [key for key in required if not outputs.get(key)]
    if missing:
        raise DeployError(
            f"stack {settings.stack_name} has no output {', '.join(missing)}; "
            "is it a Positive Chat stack deployed from this template.yaml?"
        )
    return outputs


def redeploy_stage(settings: Settings, runner: Runner, api_id: str) -> None:
    """Deploy the API's routes and integrations to the stage as the stack now defines them.

    CloudFormation's ``AWS::ApiGatewayV2::Deployment`` is created once; a later change to a
    route or integration reaches a WebSocket stage only through a new deployment.
    """
    runner.step(f"deploy the WebSocket API's routes to stage {settings.stage}")
    runner.run(
        settings.aws(
            "apigatewayv2",
            "create-deployment",
            "--api-id",
            api_id,
            "--stage-name",
            settings.stage,
            "--description",
            f"scripts/deploy {settings.build_version}",
            "--output",
            "json",
        ),
        capture=True,
    )


def render_site(settings: Settings, runner: Runner, ws_url: str, out_dir: Path) -> None:
    """Render the page for this stage's WebSocket URL with the frontend's own renderer."""
    runner.step("render the page for this stage's WebSocket URL")
    venv_python = settings.root / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    command = [python, "-m", "site_renderer", "--ws-url", ws_url, "--out", str(out_dir)]
    runner.run([*command, "--build-version", settings.build_version])


def upload_site(settings: Settings, runner: Runner, site_dir: Path, bucket: str) -> None:
    """Upload the rendered site with each file's Content-Type and Cache-Control."""
    runner.step(f"upload the page to s3://{bucket} (assets immutable, pages no-cache)")
    if runner.dry_run:
        print(
            f"$ aws s3 cp <each rendered file> s3://{bucket}/<its path> --content-type <by "
            "extension> --cache-control 'public, max-age=31536000, immutable' (static/<hash>/) "
            "| no-cache (pages)",
            file=runner.out,
        )
        return
    for item in plan_upload(site_dir):
        runner.run(
            settings.aws(
                "s3",
                "cp",
                str(item.path),
                f"s3://{bucket}/{item.key}",
                "--content-type",
                item.content_type,
                "--cache-control",
                item.cache_control,
                "--only-show-errors",
            )
        )


def invalidate(settings: Settings, runner: Runner, distribution_id: str) -> None:
    """Make CloudFront fetch the new pages (assets have new URLs anyway)."""
    runner.step(f"invalidate CloudFront distribution {distribution_id}")
    runner.run(
        settings.aws(
            "cloudfront",
            "create-invalidation",
            "--distribution-id",
            distribution_id,
            "--paths",
            "/*",
            "--output",
            "json",
        ),
        capture=True,
    )


def deploy(settings: Settings, runner: Runner) -> dict[str, str]:
    """Build, deploy, render, upload, invalidate; return the stack's outputs."""
    check_prerequisites(settings, runner)
    runner.step("build the function (arm64, runtime dependencies only)")
    build = ["sam", "build", "--template-file", str(TEMPLATE), "--config-file", str(SAMCONFIG)]
    runner.run([*build, *(["--use-container"] if settings.use_container else [])])

    runner.step(f"deploy stack {settings.stack_name} (stage {settings.stage})")
    overrides = " ".join(
        f"{k}={v}" for k, v in (("StageName", settings.stage), *settings.parameters)
    )
    runner.run(
        settings.sam(
            "deploy",
            "--config-file",
            str(SAMCONFIG),
            "--stack-name",
            settings.stack_name,
            "--parameter-overrides",
            overrides,
            "--no-fail-on-empty-changeset",
        )
    )
    outputs = stack_outputs(settings, runner, required=REQUIRED_OUTPUTS)
    redeploy_stage(settings, runner, outputs["WebSocketApiId"])
    with tempfile.TemporaryDirectory(prefix="positive-chat-site-") as tmp:
        site_dir = Path(tmp) / "site"
        render_site(settings, runner, outputs["WebSocketUrl"], site_dir)
        upload_site(settings, runner, site_dir, outputs["SiteBucketName"])
    invalidate(settings, runner, outputs["SiteDistributionId"])
    report = runner.out
    print(f"Chat page:  {outputs['SiteUrl']}", file=report)
    print(f"WebSocket:  {outputs['WebSocketUrl']}", file=report, flush=True)
    if settings.smoke:
        smoke_stage(settings, runner, outputs["WebSocketUrl"])
    return outputs


def smoke_stage(settings: Settings, runner: Runner, ws_url: str) -> None:
    """Run the conformance suite (scripts/smoke) against the stage just deployed."""
    runner.step(f"smoke-test the stage at {ws_url}")
    venv_python = settings.root / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    env = dict(runner.env or os.environ)
    scripts = str(settings.root / "scripts")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), scripts) if p)
    try:
        runner.run([python, "-m", "conformance", ws_url], env=env)
    except PrerequisiteError:
        raise
    except DeployError as err:
        raise DeployError(
            f"the smoke suite failed against {ws_url} (see its FAIL lines above); the stack is "
            "deployed: fix and deploy again, or roll back"
        ) from err


def delete(settings: Settings, runner: Runner, *, delete_data: bool) -> None:
    """Tear the stack down; the data tables stay unless ``delete_data``."""
    check_prerequisites(settings, runner)
    outputs = stack_outputs(settings, runner, required=("SiteBucketName",))
    bucket = outputs["SiteBucketName"]
    runner.step(f"empty the site bucket s3://{bucket}")
    runner.run(settings.aws("s3", "rm", f"s3://{bucket}", "--recursive", "--only-show-errors"))
    runner.step(f"delete stack {settings.stack_name}")
    runner.run(
        settings.sam(
            "delete",
            "--config-file",
            str(SAMCONFIG),
            "--stack-name",
            settings.stack_name,
            "--no-prompts",
        )
    )
    tables = [outputs[key] for key in DATA_TABLE_OUTPUTS if outputs.get(key)]
    if not delete_data:
        print(
            "Deleted. Data tables retained (delete them with --delete --delete-data):",
            file=runner.out,
        )
        for table in tables:
            print(f"  {table}", file=runner.out)
        return
    for table in tables:
        runner.step(f"delete data table {table}")
        runner.run(
            settings.aws(
                "dynamodb",
                "update-table",
                "--table-name",
                table,
                "--no-deletion-protection-enabled",
                "--output",
                "json",
            ),
            capture=True,
        )
        runner.run(settings.aws("dynamodb", "wait", "table-exists", "--table-name", table))
        runner.run(
            settings.aws("dynamodb", "delete-table", "--table-name", table, "--output", "json"),
            capture=True,
        )
    print("Deleted, data tables included.", file=runner.out)


# --- command line -------------------------------------------------------------------------------


def default_build_version(root: Path = REPO_ROOT) -> str:
    """UTC time plus the git commit (when there is one): unique, sortable, traceable."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    git = shutil.which("git")
    if git is None:
        return stamp
    result = subprocess.run(
        [git, "rev-parse", "--short=12", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    sha = result.stdout.strip()
    return f"{stamp}-{sha}" if result.returncode == 0 and sha.isalnum() else stamp


def _checked(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise argparse.ArgumentTypeError(f"invalid {what}: {value!r}")
        return value

    return check


def _parameter(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not _PARAMETER_KEY.match(key):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with an alphanumeric KEY: {value!r}")
    if not _PARAMETER_VALUE.match(val):
        raise argparse.ArgumentTypeError(
            f"parameter values cannot hold spaces or quotes: {value!r}"
        )
    if key == "StageName":
        raise argparse.ArgumentTypeError("set the stage with --stage, not --parameter StageName=")
    return key, val


def build_parser() -> argparse.ArgumentParser:
    """The ``scripts/deploy`` command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/deploy",
        description="Deploy Positive Chat to AWS (SAM stack + page on CloudFront), or delete it.",
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--stack-name",
        default="positive-chat",
        type=_checked(_STACK_NAME, "stack name"),
        help="CloudFormation stack name (default: positive-chat)",
    )
    target.add_argument(
        "--stage",
        default="prod",
        type=_checked(_STAGE_NAME, "stage name"),
        help="API Gateway stage name (default: prod)",
    )
    target.add_argument(
        "--region", type=_checked(_REGION, "Region"), help="AWS Region (default: the CLI's)"
    )
    target.add_argument(
        "--profile", type=_checked(_PROFILE, "profile name"), help="AWS CLI named profile"
    )
    target.add_argument(
        "--parameter",
        dest="parameters",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        type=_parameter,
        help="template parameter override, repeatable (e.g. AlarmEmail=ops@example.com)",
    )
    build = parser.add_argument_group("build")
    build.add_argument(
        "--build-version",
        type=_checked(_BUILD_VERSION, "build version"),
        help="version shown in the page (default: UTC time + git commit)",
    )
    build.add_argument(
        "--use-container",
        action="store_true",
        help="build in a Lambda-like container (needs Docker; only for sdist-only deps)",
    )
    mode = parser.add_argument_group("mode")
    mode.add_argument("--dry-run", action="store_true", help="print each step, call nothing")
    mode.add_argument(
        "--no-smoke",
        dest="smoke",
        action="store_false",
        help="do not run scripts/smoke against the stage after deploying",
    )
    mode.add_argument("--delete", action="store_true", help="tear the stack down")
    mode.add_argument(
        "--delete-data",
        action="store_true",
        help="with --delete: also delete the retained data tables (asks for confirmation)",
    )
    mode.add_argument("--yes", action="store_true", help="confirm --delete-data without asking")
    return parser


def _confirm_data_deletion(settings: Settings, *, yes: bool, stdin: TextIO) -> None:
    if yes or settings.dry_run:
        return
    if not stdin.isatty():
        raise PrerequisiteError("--delete-data deletes every message; confirm it with --yes")
    print(
        f"This deletes stack {settings.stack_name} AND its data tables (every message). "
        "Type the stack name to confirm: ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    if stdin.readline().strip() != settings.stack_name:
        raise PrerequisiteError("not confirmed; nothing was deleted")


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run ``scripts/deploy``; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.delete_data and not args.delete:
        parser.error("--delete-data only makes sense with --delete")
    settings = Settings(
        stack_name=args.stack_name,
        stage=args.stage,
        region=args.region,
        profile=args.profile,
        parameters=tuple(args.parameters),
        build_version=args.build_version or default_build_version(),
        use_container=args.use_container,
        dry_run=args.dry_run,
        smoke=args.smoke,
    )
    runner = Runner(dry_run=args.dry_run)
    try:
        if args.delete:
            if args.delete_data:
                _confirm_data_deletion(settings, yes=args.yes, stdin=stdin or sys.stdin)
            delete(settings, runner, delete_data=args.delete_data)
        else:
            deploy(settings, runner)
    except DeployError as err:
        print(f"deploy: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("deploy: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
