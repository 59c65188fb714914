"""``python -m localcloud``: run Positive Chat on this machine, no AWS account needed.

Starts DynamoDB (data kept in the data folder), offline Comprehend/Translate, the API Gateway
WebSocket emulator running the Lambda from template.yaml, and the chat page, all on 127.0.0.1.
Prints the page URL to open and the WebSocket URL for the tester client. The moderator secret
comes from ``--moderator-secret-file``, else ``POSITIVE_CHAT_MODERATOR_SECRET``, else it is
generated and printed once (docs/moderation.md). Ctrl-C or SIGTERM stops
everything cleanly: open sockets are closed (their ``$disconnect`` runs) and the data is saved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from localcloud import logs
from localcloud.cloud import CloudSettings, LocalCloud, MissingCredentialsError
from localcloud.logs import LOG_FILE_NAME
from localcloud.template import DEFAULT_TEMPLATE, StageThrottle

__all__ = ["main"]

DEFAULT_DATA_DIR = DEFAULT_TEMPLATE.parent / ".localcloud"
SECRET_ENV = "POSITIVE_CHAT_MODERATOR_SECRET"  # noqa: S105 - the variable's name, not a secret
SECRET_MIN_CHARS = 12
SECRET_MAX_CHARS = 1024


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud",
        description="Run Positive Chat locally: the same Lambda, no AWS account.",
    )
    net = parser.add_argument_group("network")
    net.add_argument("--host", default="127.0.0.1",
                     help="loopback address to bind (default: 127.0.0.1)")
    net.add_argument("--port", type=int, default=8000,
                     help="port for the page, the WebSocket and @connections (0 = pick a free one;"
                          " default: 8000)")
    data = parser.add_argument_group("data")
    data.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                      help=f"folder that keeps rooms, history and topics across restarts"
                           f" (default: {DEFAULT_DATA_DIR})")
    data.add_argument("--ephemeral", action="store_true",
                      help="keep nothing: data lives in memory and is gone at exit (the log"
                           " file goes to a temporary folder)")
    svc = parser.add_argument_group("services")
    svc.add_argument("--real-aws", action="store_true",
                     help="use real Amazon Comprehend and Translate (needs AWS credentials);"
                          " DynamoDB and the gateway stay local")
    svc.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE,
                     help="the SAM template to run (default: the project's template.yaml)")
    svc.add_argument("--workers", type=int, default=None,
                     help="Lambda execution environments to run at once (default: per CPU)")
    svc.add_argument("--idle-timeout", type=float, default=600.0,
                     help="close sockets idle this many seconds, as API Gateway does (600)")
    svc.add_argument("--max-duration", type=float, default=7200.0,
                     help="close sockets open this many seconds, as API Gateway does (7200)")
    svc.add_argument("--stage-throttle", type=_stage_throttle, default="template",
                     metavar="RATE:BURST|off",
                     help="the stage's throttling (default: the template's DefaultRouteSettings,"
                          " 100 requests/s, burst 200); 'off' for none")
    svc.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                     help="extra environment variable for the Lambda (repeatable)")
    mod = parser.add_argument_group("moderation")
    mod.add_argument("--moderator-secret-file", type=Path, default=None, metavar="PATH",
                     help=f"file holding the moderator secret (default: ${SECRET_ENV}, else a"
                          " random secret printed at startup)")
    out = parser.add_argument_group("output")
    out.add_argument("--log-level", default="INFO",
                     choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                     help="least severe record kept, on the terminal and in the log file: INFO"
                          " shows one line per Lambda invocation, WARNING only problems (INFO)")
    out.add_argument("--verbose", action="store_true",
                     help="also print everything the log file gets (the Lambda's JSON logs, its"
                          " metrics, library warnings and access lines) on the terminal")
    out.add_argument("--log-file", type=Path, default=None, metavar="PATH",
                     help=f"the full log (default: {LOG_FILE_NAME} in the data folder; with"
                          " --ephemeral, in a new temporary folder, kept after exit)")
    out.add_argument("--ready-file", type=Path, default=None,
                     help="write the URLs as JSON to this file once everything is ready")
    args = parser.parse_args(argv)
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            parser.error(f"--host must be a loopback address, got {args.host}")
    except ValueError:
        parser.error(f"--host must be an IP address, got {args.host!r}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    for item in args.env:
        if "=" not in item or not item.split("=", 1)[0]:
            parser.error(f"--env expects NAME=VALUE, got {item!r}")
    try:
        args.moderator_secret, args.secret_source = _moderator_secret(
            args.moderator_secret_file, os.environ
        )
    except ValueError as err:
        parser.error(str(err))
    return args


def _stage_throttle(value: str) -> StageThrottle | str | None:
    """``template``, ``off``, or ``RATE:BURST`` (requests per second, bucket size)."""
    if value in ("template", "off"):
        return None if value == "off" else value
    rate, _, burst = value.partition(":")
    try:
        throttle = StageThrottle(rate=float(rate), burst=int(burst))
    except ValueError:
        throttle = None
    if throttle is None or throttle.rate <= 0 or throttle.burst < 1:
        raise argparse.ArgumentTypeError(
            f"expected RATE:BURST (e.g. 100:200) or off, not {value!r}"
        )
    return throttle


def _moderator_secret(path: Path | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The moderator secret and where it came from: the file, the variable, or generated."""
    if path is not None:
        try:
            secret = path.read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError) as err:
            raise ValueError(f"--moderator-secret-file: cannot read {path}: {err}") from err
        source = f"from {path}"
    elif environ.get(SECRET_ENV):
        secret, source = environ[SECRET_ENV], f"from ${SECRET_ENV}"
    else:
        return secrets.token_urlsafe(24), "generated"
    if not SECRET_MIN_CHARS <= len(secret) <= SECRET_MAX_CHARS or not secret.isprintable():
        raise ValueError(
            f"the moderator secret ({source}) must be {SECRET_MIN_CHARS}-{SECRET_MAX_CHARS}"
            " printable characters on one line"
        )
    return secret, source


async def _run(args: argparse.Namespace) -> int:
    settings = CloudSettings(
        host=args.host,
        port=args.port,
        data_dir=None if args.ephemeral else args.data_dir.resolve(),
        template_path=args.template.resolve(),
        real_aws=args.real_aws,
        workers=args.workers,
        idle_timeout=args.idle_timeout,
        max_duration=args.max_duration,
        stage_throttle=args.stage_throttle,
        extra_env=tuple((name, value) for name, _, value in (i.partition("=") for i in args.env)),
        moderator_secret=args.moderator_secret,
    )
    cloud = LocalCloud(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        urls = await cloud.start()
    except MissingCredentialsError as err:
        print(f"error: {err}", file=sys.stderr)
        await cloud.stop()
        return 2
    except OSError as err:
        print(f"error: could not start the local cloud: {err}"
              f"{' (try --port 0 to pick a free port)' if args.port else ''}", file=sys.stderr)
        await cloud.stop()
        return 1
    except BaseException:
        await cloud.stop()
        raise
    if args.real_aws:
        translate_note = "real Amazon Translate and Comprehend"
    else:
        from localcloud.language.translation import Translator

        translate_note = (
            f"offline, {Translator().describe()};\n"
            "                      other languages arrive untranslated, marked. Real Amazon "
            "Translate: --real-aws\n"
            "  Positivity check:   offline, every language (best in en es fr de it pt)"
        )
    print(
        "\nPositive Chat is running.\n"
        f"  Open the chat:      {urls.page}\n"
        f"  WebSocket URL:      {urls.websocket}\n"
        f"  @connections API:   {urls.connections}\n"
        f"  Lambda Invoke API:  {urls.lambda_api}\n"
        f"  Data folder:        {urls.data_dir or 'none (ephemeral)'}\n"
        f"  Log file:           {args.log_file} ({_log_note(args)})\n"
        f"  Translation:        {translate_note}\n"
        f"  Moderator console:  {urls.page.rstrip('/')}/moderator.html\n"
        f"  Moderator secret:   {_secret_note(args)}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    if args.ready_file is not None:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(urls.to_json(), encoding="utf-8")
        os.replace(tmp, args.ready_file)
    try:
        await stop.wait()
    finally:
        logging.getLogger("localcloud").info("stopping: closing sockets, saving data")
        await cloud.stop()
    print(f"Positive Chat stopped; data saved. Full log: {args.log_file}", flush=True)
    return 0


def _log_note(args: argparse.Namespace) -> str:
    if args.verbose:
        return "everything, also shown here"
    return "the Lambda's JSON logs and metrics; --verbose to show them here"


def _log_file(args: argparse.Namespace) -> Path:
    """Where the full log goes: --log-file, else the data folder, else a new temporary folder."""
    if args.log_file is not None:
        return Path(args.log_file).resolve()
    if not args.ephemeral:
        return Path(args.data_dir).resolve() / LOG_FILE_NAME
    import tempfile

    return Path(tempfile.mkdtemp(prefix="positive-chat-log-")) / LOG_FILE_NAME


def _secret_note(args: argparse.Namespace) -> str:
    """How to sign in as a moderator; a generated secret is shown here, once, and nowhere else."""
    if args.secret_source == "generated":  # noqa: S105 - a label, not a secret
        return f"{args.moderator_secret} (generated this run; --moderator-secret-file to fix it)"
    return str(args.secret_source)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m localcloud`` (and ``scripts/run-local``)."""
    args = _parse(argv)
    args.log_file = _log_file(args)
    try:
        logs.configure(args.log_level, args.log_file, verbose=args.verbose)
    except OSError as err:
        print(f"error: cannot write the log file {args.log_file}: {err}", file=sys.stderr)
        return 1
    factory = _loop_factory()
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_run(args))
    return 130


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed: the gateway spends 11-30% less CPU per message on it."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    sys.exit(main())
