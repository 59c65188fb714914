"""Command line of the tester client: ``python -m chat_client {interactive,send,load}``.

This module owns argument parsing, turning arguments into each mode's options, and exit
statuses: 0 success, 1 an expectation or a delivery check failed, 2 a usage or connection error
(one clear line on stderr), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import textwrap
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import IO, Any

from chat_client.connection import HEARTBEAT_INTERVAL, OPEN_TIMEOUT
from chat_client.display import use_colour
from chat_client.errors import ChatClientError, UsageError
from chat_client.expect import (
    Expectation,
    ExpectationSyntaxError,
    grammar_help,
    parse_expectation,
)
from chat_client.languages import language_codes, parse_language_choice

__all__ = ["build_parser", "main", "parse_args"]

PROG = "chat-client"
EXIT_INTERRUPTED = 130

EXIT_STATUSES = """\
exit status: 0 success; 1 an expectation or delivery check failed; 2 bad arguments, bad URL,
refused connection or handshake, timeout, or connection closed by the server; 130 interrupted.
"""


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=92)


def _served_language(value: str) -> str:
    if value not in language_codes():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not served; choose one of {', '.join(sorted(language_codes()))}"
        )
    return value


def _languages(value: str) -> tuple[str, ...]:
    try:
        return parse_language_choice(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _expectation(value: str) -> Expectation:
    try:
        return parse_expectation(value)
    except ExpectationSyntaxError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError as err:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from err
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, not {value}")
        return number

    parse.__name__ = kind.__name__
    return parse


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from err
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return number


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("url", metavar="URL",
                       help="the WebSocket URL, e.g. ws://127.0.0.1:8000/local (local cloud) or"
                            " wss://ID.execute-api.REGION.amazonaws.com/STAGE")
    group.add_argument("--open-timeout", type=_positive(float), default=OPEN_TIMEOUT,
                       metavar="S",
                       help=f"seconds to open the WebSocket (default {OPEN_TIMEOUT:g})")
    group.add_argument("--heartbeat", type=_positive(float), default=HEARTBEAT_INTERVAL,
                       metavar="S",
                       help="seconds between app-level pings that keep the connection inside"
                            f" API Gateway's idle timeout (default {HEARTBEAT_INTERVAL:g})")


def _identity_options(parser: argparse.ArgumentParser, *, check_language: bool) -> None:
    group = parser.add_argument_group("identity")
    group.add_argument("--room", required=True, help="the room to join")
    group.add_argument("--name", required=True, help="your display name in the room")
    group.add_argument("--lang", default="en", type=_served_language if check_language else str,
                       help="the language you read (default en)")


def build_parser() -> argparse.ArgumentParser:
    """The full parser; ``--help`` on each command documents it."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_wrap("Tester client for Positive Chat (protocol v2): chat in a terminal,"
                          " script exchanges with assertions, or load-test a deployment or"
                          " the local cloud."),
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    interactive = commands.add_parser(
        "interactive", help="chat in the terminal",
        description=_wrap("Join a room and chat. Type a line to send it; /help lists the commands"
                    " (/history, /who, /lang CODE, /room NAME, /quit). Colour is used on a"
                    " terminal unless NO_COLOR is set."),
        epilog=EXIT_STATUSES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _connection_options(interactive)
    _identity_options(interactive, check_language=True)
    interactive.add_argument("--color", "--colour", dest="color", default="auto",
                             choices=("auto", "always", "never"),
                             help="ANSI colour (default auto: a terminal and NO_COLOR unset)")
    interactive.set_defaults(handler=_interactive)

    send = commands.add_parser(
        "send", help="send messages, print frames as JSON lines, check --expect",
        description=_wrap("Join, send each message (arguments, --file or --stdin: one message per"
                    " line), wait for each outcome (ack, rejected, held or error) and for the"
                    " delivery of accepted messages, and print every frame that arrives as one"
                    " JSON line on stdout. With no message, listen until the expectations hold"
                    " (or --timeout passes)."),
        epilog=grammar_help() + "\n\n" + EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _connection_options(send)
    _identity_options(send, check_language=False)  # the server's refusal is worth testing
    source = send.add_argument_group("messages").add_mutually_exclusive_group()
    send.add_argument("messages", nargs="*", metavar="MESSAGE", help="messages to send, in order")
    source.add_argument("--file", type=Path, metavar="F", help="send each line of file F")
    source.add_argument("--stdin", action="store_true", help="send each line of standard input")
    behaviour = send.add_argument_group("behaviour")
    behaviour.add_argument("--expect", action="append", default=[], type=_expectation,
                           metavar="EXPR", help="an assertion checked at the end (repeatable;"
                           " grammar below)")
    behaviour.add_argument("--timeout", type=_positive(float), default=10.0, metavar="S",
                           help="seconds to wait for each answer, and for deliveries (default 10)")
    behaviour.add_argument("--linger", type=_non_negative, default=0.0, metavar="S",
                           help="keep listening S more seconds at the end (default 0)")
    behaviour.add_argument("--no-join", action="store_true",
                           help="do not send init first (to test NOT_JOINED)")
    behaviour.add_argument("--raw", action="store_true",
                           help="send each message as a raw frame, exactly as given (to test"
                                " the server's validation); waits for the answer that carries"
                                " the frame's id, or for the next answer without an id")
    send.set_defaults(handler=_send)

    load = commands.add_parser(
        "load", help="simulate many users and verify every delivery",
        description=_wrap("N simulated users over R rooms and L languages send benign messages at a"
                    " total rate; every published message must reach every user who was in its"
                    " room, exactly once, in each sender's order. Prints throughput and latency"
                    " percentiles (send -> delivery at each reader) and shows a progress bar on"
                    " stderr while running."),
        epilog="exit status: 0 every delivery checked out at the asked rate; 1 something was"
               " lost, duplicated, reordered, refused or unanswered, or fewer than 90% of --rate"
               " messages per second were sent (see --accept-low-rate); 2 usage or connection"
               " error.",
    )
    _connection_options(load)
    shape = load.add_argument_group("load")
    shape.add_argument("--users", type=_positive(int), required=True, metavar="N",
                       help="simulated users, one connection each")
    shape.add_argument("--rooms", type=_positive(int), default=1, metavar="R",
                       help="rooms the users are spread over (default 1)")
    shape.add_argument("--langs", type=_languages, default=("en",), metavar="L",
                       help="a number of languages (the most used first) or codes such as"
                            " en,fr,ja (default en)")
    shape.add_argument("--rate", type=_positive(float), required=True, metavar="MSGS_PER_S",
                       help="total messages per second over all users")
    amount = shape.add_mutually_exclusive_group(required=True)
    amount.add_argument("--duration", type=_positive(float), metavar="S", help="send for S seconds")
    amount.add_argument("--count", type=_positive(int), metavar="C", help="send C messages")
    shape.add_argument("--texts", type=Path, metavar="F",
                       help="send the lines of F (default: built-in friendly sentences)")
    shape.add_argument("--room-prefix", default="load", metavar="P",
                       help="rooms are named P-RUNID-0, P-RUNID-1, ... (default load)")
    shape.add_argument("--timeout", type=_positive(float), default=10.0, metavar="S",
                       help="seconds to wait for joins, and for answers after the last send")
    shape.add_argument("--accept-low-rate", action="store_true",
                       help="pass even when fewer than 90%% of --rate messages per second were"
                            " sent (by default such a run fails: the server or this machine"
                            " could not keep up); the summary still says so")
    output = load.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON object as the result")
    output.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    load.set_defaults(handler=_load)
    return parser


def _read_lines(path: Path | None, stream: IO[str] | None) -> list[str]:
    try:
        if path is not None:
            text = path.read_text(encoding="utf-8")
        else:
            text = (stream or sys.stdin).read()
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {path or 'standard input'}: {err}") from err
    return [line for line in text.splitlines() if line.strip()]


async def _interactive(args: argparse.Namespace) -> int:
    from chat_client.interactive import InteractiveOptions, run_interactive

    colour = use_colour(sys.stdout, args.color)
    return await run_interactive(InteractiveOptions(
        url=args.url, room=args.room, name=args.name, lang=args.lang, colour=colour,
        open_timeout=args.open_timeout, heartbeat=args.heartbeat,
    ))


async def _send(args: argparse.Namespace) -> int:
    from chat_client.scripted import SendOptions, run_send

    messages = list(args.messages)
    if args.file is not None or args.stdin:
        if messages:
            raise UsageError("give messages as arguments, or with --file/--stdin, not both")
        messages = _read_lines(args.file, None)
    return await run_send(SendOptions(
        url=args.url, room=args.room, name=args.name, lang=args.lang, messages=messages,
        expectations=args.expect, timeout=args.timeout, linger=args.linger,
        join=not args.no_join, raw=args.raw, open_timeout=args.open_timeout,
        heartbeat=args.heartbeat,
    ))


async def _load(args: argparse.Namespace) -> int:
    from chat_client.load import BENIGN_TEXTS, LoadOptions, run_load

    texts = _read_lines(args.texts, None) if args.texts is not None else list(BENIGN_TEXTS)
    try:
        opts = LoadOptions(
            url=args.url, users=args.users, rooms=args.rooms, langs=args.langs, rate=args.rate,
            duration=args.duration, count=args.count, timeout=args.timeout,
            open_timeout=args.open_timeout, texts=texts, room_prefix=args.room_prefix,
            progress=not args.no_progress, heartbeat=args.heartbeat,
            accept_low_rate=args.accept_low_rate,
        )
    except ValueError as err:
        raise UsageError(str(err)) from err
    return await run_load(opts, as_json=args.json)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; messages may come before or after options (``send URL hi --room r``).

    argparse cannot intermix options and positionals across subparsers, so the command's own
    parser reads everything after the command name.
    """
    parser = build_parser()
    args = list(sys.argv[1:] if argv is None else argv)
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if args and args[0] in commands.choices:
        namespace: argparse.Namespace = commands.choices[args[0]].parse_intermixed_args(args[1:])
        namespace.command = args[0]
        return namespace
    return parser.parse_args(args)


def main(argv: Sequence[str] | None = None, err: IO[str] | None = None) -> int:
    """Run the client; return the exit status."""
    args = parse_args(argv)
    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, int]] = args.handler
    stream = err or sys.stderr
    try:
        return asyncio.run(handler(args))
    except ChatClientError as error:
        stream.write(f"{PROG}: error: {error}\n")
        return error.exit_status
    except KeyboardInterrupt:
        stream.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
