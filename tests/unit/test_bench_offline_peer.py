"""chat-bench-gateway's serverless-offline row, without the network: the service and handler it
writes, the npm install step, the Node process group's start, CPU and stop, and its options.

The real row (npm install from the registry, serverless-offline itself) is run by hand for
BENCHMARKS.md, never here: CI must not depend on downloading serverless.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from operations.bench import gateway, offline_peer


def test_service_routes_every_websocket_event_to_the_echo_posting_back_to_its_own_port() -> None:
    """The generated serverless.yml: Node 20, the offline plugin, 3 routes, its own endpoint."""
    service = yaml.safe_load(offline_peer.serverless_yml(41234))
    assert service["frameworkVersion"] == "3"
    assert service["plugins"] == ["serverless-offline"]
    assert service["provider"]["runtime"] == "nodejs20.x"
    assert service["provider"]["environment"] == {
        "ECHO_CONNECTIONS_ENDPOINT": "http://127.0.0.1:41234"
    }
    echo = service["functions"]["echo"]
    assert echo["handler"] == "handler.handler"
    assert echo["timeout"] == 29  # as the local cloud's echo (ECHO_TEMPLATE)
    assert [event["websocket"]["route"] for event in echo["events"]] == [
        "$connect", "$disconnect", "$default"
    ]


# A stand-in for the SDK client package: it records the client's configuration and each command.
_FAKE_SDK = """\
const calls = [];
class ApiGatewayManagementApiClient {
  constructor(config) { calls.push({ config }); }
  async send(command) { calls.push({ command: command.constructor.name, input: command.input }); }
}
class PostToConnectionCommand { constructor(input) { this.input = input; } }
module.exports = { ApiGatewayManagementApiClient, PostToConnectionCommand, calls };
"""

_DRIVER = """\
process.env.ECHO_CONNECTIONS_ENDPOINT = "http://127.0.0.1:41234";
const { handler } = require("./handler.js");
const { calls } = require("@aws-sdk/client-apigatewaymanagementapi");
const ctx = (eventType) => ({ eventType, connectionId: "abc=" });
(async () => {
  const results = [
    await handler({ requestContext: ctx("CONNECT") }),
    await handler({ requestContext: ctx("MESSAGE"), body: '{"action":"echo","n":1}' }),
    await handler({ requestContext: ctx("MESSAGE"), body: "second" }),
    await handler({ requestContext: ctx("DISCONNECT") }),
  ];
  console.log(JSON.stringify({ results, calls }));
})();
"""


def test_handler_posts_each_message_once_to_the_offline_endpoint(tmp_path: Path) -> None:
    """The Node echo: one PostToConnectionCommand per MESSAGE, with endpoint, keys and timeouts."""
    node = shutil.which("node")
    assert node, "node is needed (scripts/setup --dev installs it)"
    sdk = tmp_path / "node_modules" / "@aws-sdk" / "client-apigatewaymanagementapi"
    sdk.mkdir(parents=True)
    (sdk / "index.js").write_text(_FAKE_SDK)
    (tmp_path / "handler.js").write_text(offline_peer.HANDLER_JS)
    (tmp_path / "driver.js").write_text(_DRIVER)
    run = subprocess.run([node, "driver.js"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60, check=True)
    out = json.loads(run.stdout)
    assert out["results"] == [{"statusCode": 200}] * 4
    config, *sends = out["calls"]
    assert config["config"] == {
        "endpoint": "http://127.0.0.1:41234",
        "region": "us-east-1",
        "credentials": {"accessKeyId": "local", "secretAccessKey": "local"},
        "maxAttempts": 3,
        "requestHandler": {"connectionTimeout": 1000, "requestTimeout": 3000},
    }
    assert sends == [
        {"command": "PostToConnectionCommand",
         "input": {"ConnectionId": "abc=", "Data": '{"action":"echo","n":1}'}},
        {"command": "PostToConnectionCommand", "input": {"ConnectionId": "abc=", "Data": "second"}},
    ]


def _fake_npm(folder: Path, exit_code: int) -> Path:
    npm = folder / "npm"
    npm.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import json, os, sys
        json.dump({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                   "telemetry": os.environ.get("SLS_TELEMETRY_DISABLED")}},
                  open(os.environ["NPM_RECORD"], "w"))
        print("npm ERR! could not reach the registry", file=sys.stderr)
        sys.exit({exit_code})
        """))
    npm.chmod(0o755)
    return npm


def test_install_writes_the_package_and_handler_then_runs_npm_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """install(): package.json with the three packages, handler.js, and `npm install` in place."""
    record = tmp_path / "record.json"
    monkeypatch.setenv("NPM_RECORD", str(record))
    folder = tmp_path / "peer"
    folder.mkdir()
    offline_peer.install(folder, str(_fake_npm(tmp_path, 0)))
    assert json.loads((folder / "package.json").read_text())["dependencies"] == {
        "serverless": "^3", "serverless-offline": "^13",
        "@aws-sdk/client-apigatewaymanagementapi": "^3",
    }
    assert (folder / "handler.js").read_text() == offline_peer.HANDLER_JS
    ran = json.loads(record.read_text())
    assert ran["argv"][0] == "install"
    assert Path(ran["cwd"]) == folder
    assert ran["telemetry"] == "1"


def test_install_failure_is_a_clear_error_with_npm_s_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing npm install raises InstallError carrying npm's exit code and stderr."""
    monkeypatch.setenv("NPM_RECORD", str(tmp_path / "record.json"))
    with pytest.raises(offline_peer.InstallError, match=r"exited 1: npm ERR! could not reach"):
        offline_peer.install(tmp_path, str(_fake_npm(tmp_path, 1)))


def test_node_command_is_in_process_on_loopback_with_the_given_ports(tmp_path: Path) -> None:
    """serverless offline start, --useInProcess, bound to 127.0.0.1 on the three picked ports."""
    command = offline_peer.node_command(
        tmp_path, {"httpPort": 1001, "websocketPort": 1002, "lambdaPort": 1003}
    )
    assert command[:3] == [str(tmp_path / "node_modules" / ".bin" / "serverless"),
                           "offline", "start"]
    assert "--useInProcess" in command

    def option(name: str) -> str:
        return command[command.index(name) + 1]

    assert option("--host") == "127.0.0.1"
    assert (option("--httpPort"), option("--websocketPort"), option("--lambdaPort")) == (
        "1001", "1002", "1003"
    )


# A stand-in for node_modules/.bin/serverless: it listens where told, in a process group with a
# grandchild that burns CPU, the way a Node server with helpers would.
_FAKE_SERVERLESS = """\
#!{python}
import os, socket, subprocess, sys, time
port = int(sys.argv[sys.argv.index("--websocketPort") + 1])
open("pgid", "w").write(str(os.getpgrp()))
subprocess.Popen([sys.executable, "-c",
                  "import time\\nend = time.process_time() + 0.3\\n"
                  "while time.process_time() < end: pass\\ntime.sleep(600)"])
server = socket.create_server(("127.0.0.1", port))
time.sleep(600)
"""


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[2]) == pgid and stat[0] != "Z":
                members.append(int(entry))
    return members


def test_serve_announces_the_websocket_port_counts_the_group_cpu_and_stops_the_group(
    tmp_path: Path,
) -> None:
    """serve(): the announced URL is the port the service posts to; the group stops after it."""
    bin_dir = tmp_path / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "serverless"
    fake.write_text(_FAKE_SERVERLESS.format(python=sys.executable))
    fake.chmod(0o755)
    seen: dict[str, Any] = {}

    async def announce(url: str, worker_pids: Callable[[], list[int]],
                       server_cpu: Callable[[], float]) -> None:
        seen["url"], seen["workers"] = url, worker_pids()
        seen["service"] = yaml.safe_load((tmp_path / "serverless.yml").read_text())
        deadline = time.monotonic() + 30
        while server_cpu() < 0.25 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        seen["cpu"] = server_cpu()
        seen["members"] = _group_members(int((tmp_path / "pgid").read_text()))

    asyncio.run(offline_peer.serve(tmp_path, announce))
    port = int(seen["url"].rsplit(":", 1)[1])
    assert seen["url"] == f"ws://127.0.0.1:{port}"
    assert seen["service"]["provider"]["environment"]["ECHO_CONNECTIONS_ENDPOINT"] == (
        f"http://127.0.0.1:{port}"
    )
    assert seen["workers"] == []
    assert seen["cpu"] >= 0.25  # the grandchild's CPU is the group's
    assert len(seen["members"]) == 2
    assert not any(_alive(pid) for pid in seen["members"])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_reports_a_server_that_exits_with_its_output(tmp_path: Path) -> None:
    """A serverless that dies at start is an error carrying its log, not a hang."""
    bin_dir = tmp_path / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "serverless"
    fake.write_text(f"#!{sys.executable}\nimport sys\nprint('Serverless Error: boom')\n"
                    "sys.exit(1)\n")
    fake.chmod(0o755)

    async def announce(*_: Any, **__: Any) -> None:
        raise AssertionError("announced a server that never listened")

    with pytest.raises(RuntimeError, match=r"did not start \(exit 1\):\nServerless Error: boom"):
        asyncio.run(offline_peer.serve(tmp_path, announce))


def test_stop_group_ends_children_that_ignore_sigterm() -> None:
    """stop_group(): SIGTERM, then SIGKILL for members that outlive it; the leader is reaped."""
    leader = subprocess.Popen(
        [sys.executable, "-c",
         "import signal, subprocess, sys, time\n"
         "subprocess.Popen([sys.executable, '-c', 'import signal, time\\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\nprint(1, flush=True)\\n"
         "time.sleep(600)'])\n"
         "time.sleep(600)"],
        start_new_session=True, stdout=subprocess.PIPE,
    )
    assert leader.stdout is not None
    assert leader.stdout.readline().strip() == b"1"  # the stubborn child is up
    members = _group_members(leader.pid)
    assert len(members) == 2
    started = time.monotonic()
    offline_peer.stop_group(leader)
    assert leader.returncode == -signal.SIGTERM
    assert not any(_alive(pid) for pid in members)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("servers", "message"),
    [("gateway,bogus", "unknown bogus; choose from gateway, lean, offline, raw"),
     (",", "unknown (none given)")],
)
def test_unknown_servers_are_a_usage_error(
    servers: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--servers names outside the rows stop the run before anything starts."""
    with pytest.raises(SystemExit) as exit_:
        gateway.main(["--servers", servers])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
