"""First run: fresh clone to the printed URL of ``scripts/run-local``, every install included.

    .venv/bin/chat-bench-first-run main HEAD --rounds 2

For each round and each git ref (in turn, so both see the same machine load): clone this
repository at the ref into a new temporary folder, run ``scripts/run-local --port 0 --ephemeral``
there with empty package caches (pip: ``PIP_NO_CACHE_DIR=1``; uv: a new empty ``UV_CACHE_DIR``)
and time it until the local cloud has written its URLs (``--ready-file``, written when the
banner with the URL is printed); then stop it with SIGINT. Debian's packages are whatever this
machine has (the script says which). Prints a markdown table with the load average at each start.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the repository (an editable install)
APERTIUM_MODE = Path("/usr/share/apertium/modes/eng-spa.mode")


def first_run(ref: str, timeout: float) -> float:
    """Seconds from ``git clone`` to the ready file of a fresh clone at ``ref``."""
    with tempfile.TemporaryDirectory(prefix="first-run-") as tmp:
        clone, ready, cache = Path(tmp) / "clone", Path(tmp) / "ready.json", Path(tmp) / "uv"
        env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "UV_CACHE_DIR": str(cache)}
        env.pop("VIRTUAL_ENV", None)
        started = time.perf_counter()
        subprocess.run(
            ["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True
        )
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", ref], check=True)
        log = (Path(tmp) / "run.log").open("w")
        child = subprocess.Popen(
            ["scripts/run-local", "--port", "0", "--ephemeral", "--ready-file", str(ready)],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while not ready.exists():
                if child.poll() is not None or time.perf_counter() - started > timeout:
                    log.flush()
                    tail = (Path(tmp) / "run.log").read_text(errors="replace")[-2000:]
                    raise SystemExit(f"{ref}: no URL (exit {child.returncode}):\n{tail}")
                time.sleep(0.05)
            return time.perf_counter() - started
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGINT)
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()
            log.close()
            shutil.rmtree(clone, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Time the first run of each ref, alternating, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("refs", nargs="+", help="git refs of this repository (e.g. main HEAD)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    apertium = "installed" if APERTIUM_MODE.exists() else "NOT installed (setup installs them)"
    print(f"Debian packages (apertium) before the runs: {apertium}; {os.cpu_count()} CPUs")
    print("\n| round | ref | seconds to the URL | load average (1 min) at start |")
    print("|---:|---|---:|---:|")
    times: dict[str, list[float]] = {ref: [] for ref in args.refs}
    for round_no in range(1, args.rounds + 1):
        for ref in args.refs:
            load = os.getloadavg()[0]
            seconds = first_run(ref, args.timeout)
            times[ref].append(seconds)
            print(f"| {round_no} | {ref} | {seconds:.1f} | {load:.2f} |", flush=True)
    print()
    for ref, values in times.items():
        print(f"- {ref}: best {min(values):.1f} s, mean {sum(values) / len(values):.1f} s")
    if len(args.refs) == 2:
        first, second = (times[ref] for ref in args.refs)
        ratio = (sum(first) / len(first)) / (sum(second) / len(second))
        print(f"- mean {args.refs[0]} / mean {args.refs[1]}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
