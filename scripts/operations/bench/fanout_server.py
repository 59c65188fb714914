"""The null AWS endpoint of ``chat-bench fanout``: @connections, SQS and Lambda, in a child process.

    python -m operations.bench.fanout_server --rtt-ms 15 --sqs-rtt-ms 15

One aiohttp server on 127.0.0.1 (port 0) answers, as the services would:

- ``POST {stage}/@connections/{id}``: 200 after ``--rtt-ms`` (the simulated post round trip),
  counting each connection id it was posted to;
- SQS ``SendMessageBatch`` (AWS JSON 1.0, ``X-Amz-Target: AmazonSQS.SendMessageBatch``): every
  entry successful, with its ``MD5OfMessageBody`` (botocore checks it), after ``--sqs-rtt-ms``;
- DynamoDB ``Query`` of the Connections table's ByRoom index, for a room named ``q{N}``: N
  connection items shaped like the table's, ``PAGE_ITEMS`` a page (about 1 MB, DynamoDB's page
  limit) with ``LastEvaluatedKey`` until the last, after ``--sqs-rtt-ms``;
- Lambda ``Invoke`` (``POST /2015-03-31/functions/{name}/invocations``): 202, empty body, as an
  asynchronous (``Event``) invocation is answered, after ``--sqs-rtt-ms``.

It prints its base URL, then answers each ``counts`` line on stdin with a JSON object of the
posts per connection id since the last ``counts`` (and forgets them); EOF stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import uuid
from collections import Counter
from typing import Any

__all__ = ["main"]


PAGE_ITEMS = 6500  # ~160 bytes an item (DynamoDB's item size): about 1 MB a page


def _query_answer(body: bytes) -> dict[str, Any]:
    """One page of a ByRoom Query for room ``q{N}`` (N readers)."""
    query = json.loads(body)
    room = query["ExpressionAttributeValues"][":room"]["S"]
    total = int(room[1:])
    start = int(query.get("ExclusiveStartKey", {}).get("connectionId", {}).get("S", "c-1")[1:]) + 1
    end = min(total, start + PAGE_ITEMS)
    items = [
        {
            "connectionId": {"S": f"c{n:014d}"},
            "room": {"S": room},
            "user": {"S": f"Reader{n}"},
            "lang": {"S": ("en", "fr", "de", "es")[n % 4]},
            "role": {"S": "user"},
            "v": {"N": "2"},
            "connectedAt": {"N": str(1_764_800_000_000 + n)},
            "ttl": {"N": str(1_764_900_000 + n)},
            "tat": {"N": str(1_764_800_000_000 + n)},
        }
        for n in range(start, end)
    ]
    answer: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
    if end < total:
        answer["LastEvaluatedKey"] = {
            "connectionId": items[-1]["connectionId"], "room": {"S": room}
        }
    return answer


def _batch_answer(body: bytes) -> dict[str, Any]:
    """SendMessageBatch's answer: every entry accepted."""
    entries = json.loads(body).get("Entries", [])
    return {
        "Successful": [
            {
                "Id": entry["Id"],
                "MessageId": str(uuid.uuid4()),
                "MD5OfMessageBody": hashlib.md5(entry["MessageBody"].encode()).hexdigest(),  # noqa: S324
                "SequenceNumber": str(10**19 + n),
            }
            for n, entry in enumerate(entries)
        ],
        "Failed": [],
    }


async def serve(rtt: float, sqs_rtt: float) -> None:
    """Serve until stdin closes."""
    from aiohttp import web

    posts: Counter[str] = Counter()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        path = request.path
        if "/@connections/" in path:
            await asyncio.sleep(rtt)
            posts[request.match_info["tail"].rsplit("/", 1)[1]] += 1
            return web.Response(status=200)
        await asyncio.sleep(sqs_rtt)
        target = request.headers.get("X-Amz-Target", "")
        if target == "AmazonSQS.SendMessageBatch":
            return web.Response(
                status=200,
                body=json.dumps(_batch_answer(body)).encode(),
                headers={"Content-Type": "application/x-amz-json-1.0",
                         "x-amzn-RequestId": str(uuid.uuid4())},
            )
        if target == "DynamoDB_20120810.Query":
            return web.Response(
                status=200,
                body=json.dumps(_query_answer(body)).encode(),
                headers={"Content-Type": "application/x-amz-json-1.0",
                         "x-amzn-RequestId": str(uuid.uuid4())},
            )
        if path.startswith("/2015-03-31/functions/") and path.endswith("/invocations"):
            return web.Response(status=202, headers={"x-amzn-RequestId": str(uuid.uuid4())})
        return web.Response(status=400, text=f"not a call this null endpoint answers: {path}")

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "counts":
                print(json.dumps(dict(posts)), flush=True)
                posts.clear()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Run the server (a child of ``chat-bench fanout``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rtt-ms", type=float, default=15.0)
    parser.add_argument("--sqs-rtt-ms", type=float, default=15.0)
    args = parser.parse_args(argv)
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        runner.run(serve(args.rtt_ms / 1000, args.sqs_rtt_ms / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
