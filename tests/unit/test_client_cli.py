"""Unit tests of the tester client's command line, URL checks, languages and heartbeat."""

from __future__ import annotations

import asyncio
import io

import pytest
from chat_client.cli import main, parse_args
from chat_client.connection import Heartbeat, check_url
from chat_client.errors import BadUrlError, ConnectionLostError, HandshakeRefusedError
from chat_client.languages import language_codes, parse_language_choice


def test_parse_args_allows_messages_after_options():
    """`send URL --room r --name n hello world` reads two messages, as testers type it."""
    args = parse_args(
        [
            "send",
            "ws://h/x",
            "--room",
            "r",
            "--name",
            "n",
            "hello",
            "second one",
            "--expect",
            "acked=2",
        ]
    )
    assert args.command == "send"
    assert args.messages == ["hello", "second one"]
    assert [e.source for e in args.expect] == ["acked=2"]


def test_parse_args_load_reads_languages_by_count_or_codes():
    """--langs takes a count (most used first) or explicit codes."""
    by_count = parse_args(
        ["load", "ws://h/x", "--users", "4", "--langs", "2", "--rate", "5", "--count", "10"]
    )
    by_codes = parse_args(
        ["load", "ws://h/x", "--users", "4", "--langs", "ja,fr", "--rate", "5", "--duration", "3"]
    )
    assert by_count.langs == ("en", "es")
    assert by_codes.langs == ("ja", "fr")
    assert (by_count.count, by_codes.duration) == (10, 3.0)


def test_parse_args_load_accepts_a_low_rate_only_when_asked():
    """--accept-low-rate is off by default; given, it is on."""
    base = ["load", "ws://h/x", "--users", "4", "--rate", "5", "--count", "10"]
    assert parse_args(base).accept_low_rate is False
    assert parse_args([*base, "--accept-low-rate"]).accept_low_rate is True


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["send", "ws://h/x", "--room", "r", "--name", "n", "--expect", "akced=1"],
            "unknown name 'akced'",
        ),
        (
            ["interactive", "ws://h/x", "--room", "r", "--name", "n", "--lang", "xx"],
            "'xx' is not served",
        ),
        (["load", "ws://h/x", "--users", "2", "--rate", "5"], "one of the arguments"),
        (["load", "ws://h/x", "--users", "0", "--rate", "5", "--count", "1"], "greater than 0"),
        (["load", "ws://h/x", "--users", "2", "--rate", "fast", "--count", "1"], "not a number"),
        (
            ["load", "ws://h/x", "--users", "2", "--langs", "en,qq", "--rate", "1", "--count", "1"],
            "not served: qq",
        ),
    ],
    ids=["bad-expect", "bad-lang", "no-amount", "zero-users", "bad-rate", "bad-langs"],
)
def test_parse_args_rejects_bad_arguments_with_exit_2(argv, fragment, capsys):
    """Argument errors exit with status 2 and name the problem."""
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert fragment in capsys.readouterr().err


def test_help_documents_the_expectation_grammar(capsys):
    """`send --help` documents the grammar and the exit statuses."""
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["send", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "NAME:VALUE OP COUNT" in out
    assert "error=NOT_JOINED" in out
    assert "exit status: 0 success; 1" in out


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://example.com/x", "must start with ws:// or wss:// (found http://)"),
        ("example.com", "must start with ws:// or wss:// (found no scheme)"),
        ("ws:///nohost", "the URL has no host"),
        ("ws://h:99999/x", "not a valid URL"),
        ("ws://h:0/x", "port 0"),
    ],
    ids=["http", "no-scheme", "no-host", "bad-port", "port-zero"],
)
def test_check_url_explains_what_is_wrong(url, fragment):
    """A bad URL raises BadUrlError whose message says what is wrong."""
    with pytest.raises(BadUrlError) as err:
        check_url(url)
    assert fragment in str(err.value)
    assert str(err.value).startswith(f"cannot connect to {url}: ")


def test_check_url_accepts_ws_and_wss():
    """Local and deployed URLs pass unchanged."""
    assert check_url("ws://127.0.0.1:8000/local") == "ws://127.0.0.1:8000/local"
    assert check_url("wss://abc.execute-api.us-east-1.amazonaws.com/prod").startswith("wss://")


def test_main_bad_url_is_one_line_and_exit_2():
    """A bad URL ends the run with status 2 and exactly one line on stderr."""
    err = io.StringIO()
    status = main(["send", "http://x/y", "--room", "r", "--name", "n", "hi"], err=err)
    assert status == 2
    assert err.getvalue().splitlines() == [
        "chat-client: error: cannot connect to http://x/y: the URL must start with ws:// or wss://"
        " (found http://)"
    ]


def test_error_messages_show_status_and_close_code():
    """Handshake and close errors carry the HTTP status, the close code and the reason."""
    refused = HandshakeRefusedError("ws://h/x", 403, "Forbidden", "no entry")
    assert (
        str(refused) == "cannot connect to ws://h/x: handshake refused with HTTP 403 Forbidden"
        " (no entry)"
    )
    assert str(ConnectionLostError(1001, "Going away")) == (
        "connection closed by the server: code 1001, reason 'Going away'"
    )
    assert "no reason given" in str(ConnectionLostError(1000, ""))
    page = HandshakeRefusedError("ws://h/", 200, "OK", "<!doctype html>\n<html>...")
    assert (
        str(page) == "cannot connect to ws://h/: handshake refused with HTTP 200 OK: that is"
        " a web page, not the WebSocket URL"
    )
    assert "without a close frame" in str(ConnectionLostError(None, ""))


def test_language_codes_are_the_32_served_most_used_first():
    """The client reads the 32 served languages, English first."""
    codes = language_codes()
    assert len(codes) == 32 == len(set(codes))
    assert codes[:3] == ("en", "es", "fr")
    assert "zh-TW" in codes


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("0", "1 to 32"), ("33", "1 to 32"), (",", "give a number"), ("en,en", "listed twice")],
    ids=["zero", "too-many", "empty", "repeated"],
)
def test_parse_language_choice_rejects_bad_choices(value, fragment):
    """Impossible language choices are refused with a reason."""
    with pytest.raises(ValueError, match=fragment):
        parse_language_choice(value)


async def test_heartbeat_pings_and_accepts_pongs():
    """The heartbeat sends app-level pings on schedule and stays alive while pongs come back."""
    sent: list[dict] = []
    dead: list[bool] = []

    async def send(frame: dict) -> None:
        sent.append(frame)
        heartbeat.answered(frame["id"])  # the server answers at once

    async def on_dead() -> None:
        dead.append(True)

    heartbeat = Heartbeat(send, on_dead, interval=0.01, timeout=0.5)
    task = asyncio.create_task(heartbeat.run())
    await asyncio.sleep(0.08)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(sent) >= 3
    assert all(frame["action"] == "ping" for frame in sent)
    assert len({frame["id"] for frame in sent}) == len(sent)
    assert not dead
    assert not heartbeat.dead


async def test_heartbeat_declares_the_connection_dead_without_a_pong():
    """A ping that gets no pong within the timeout calls on_dead once and stops."""
    dead: list[bool] = []

    async def send(frame: dict) -> None:
        return None

    async def on_dead() -> None:
        dead.append(True)

    heartbeat = Heartbeat(send, on_dead, interval=0.01, timeout=0.02)
    await asyncio.wait_for(heartbeat.run(), 1.0)
    assert dead == [True]
    assert heartbeat.dead
    assert heartbeat.answered("hb-1") is False  # too late: nobody waits for it any more


def test_heartbeat_default_is_inside_the_idle_timeout():
    """The default interval keeps a connection well inside API Gateway's 10-minute idle timeout."""
    from chat_client.connection import HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT

    assert 240 <= HEARTBEAT_INTERVAL <= 300
    assert HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT < 600
