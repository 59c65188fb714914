"""`scripts/smoke URL`: run every conformance check against a stage and print PASS/FAIL/SKIP.

Exit status: 0 when nothing failed (a SKIP is not a failure), 1 when any check failed, 2 on a
usage error. Each check runs in its own room (``smoke-<run>-<check>``) with its own clients.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from collections.abc import Sequence

from conformance.checks import CHECKS, Skip, Stage, close_all
from conformance.peer import CheckFailed

__all__ = ["main", "run"]


async def run(url: str, *, timeout: float, only: Sequence[str] = ()) -> int:
    """Run the checks; print one line each and a summary; return the number that failed."""
    run_id = secrets.token_hex(4)
    print(f"smoke: {url} (rooms smoke-{run_id}-*)", flush=True)
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for name, check in CHECKS:
        if only and name not in only:
            continue
        stage = Stage(url=url, timeout=timeout, run_id=run_id, peers=[])
        started = time.monotonic()
        try:
            note = await asyncio.wait_for(check(stage), timeout * 4)
            outcome = "PASS"
        except Skip as skip:
            outcome, note = "SKIP", str(skip)
        except CheckFailed as failed:
            outcome, note = "FAIL", str(failed)
        except TimeoutError:
            outcome, note = "FAIL", f"did not finish within {timeout * 4:g} s"
        except Exception as err:  # a bug or a broken connection: still one FAIL line
            outcome, note = "FAIL", f"{type(err).__name__}: {err}"
        finally:
            await close_all(stage.peers)
        counts[outcome] += 1
        print(f"{outcome} {name:<12} {note} ({time.monotonic() - started:.1f} s)", flush=True)
    total = sum(counts.values())
    print(f"{total} checks: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['SKIP']} skipped", flush=True)
    return counts["FAIL"]


def main(argv: Sequence[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/smoke",
        description="Check a Positive Chat stage over its WebSocket URL (local cloud or AWS).",
    )
    parser.add_argument("url", help="the stage's WebSocket URL (ws://... or wss://...)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for each answer (default 30)")
    parser.add_argument("--check", action="append", default=[],
                        choices=[name for name, _ in CHECKS], help="run only this check "
                        "(repeatable)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("ws://", "wss://")):
        parser.error(f"the URL must start with ws:// or wss://, not {args.url!r}")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    failed = asyncio.run(run(args.url, timeout=args.timeout, only=args.check))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
