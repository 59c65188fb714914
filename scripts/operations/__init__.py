"""Operations tools around Positive Chat: deploy, costs and benchmarks. None of it is deployed.

Modules::

    deploy             scripts/deploy: sam build/deploy, render and upload the page, --delete
    inprocess          the real handler run in process (moto tables, fake services with fixed
                       latencies, a botocore meter): the harness of the cost report, the call
                       count and the handler benchmarks
    soak               many users and churn against a running chat (chat-soak)
    costs.prices       the one price table, each price with its source
    costs.callcount    the botocore meter: every AWS call and its billable units
    costs.report       $ per 1,000 messages, ours beside the original's (chat-cost-report)
    costs.count_calls  AWS calls per operation, ours beside the original's (chat-count-calls)
    bench.suite        handler fan-out, cold start, memory, local cloud, artifact (chat-bench)
    bench.gateway      the local API Gateway beside a bare websockets relay (chat-bench-gateway)
    bench.dynamodb     the local cloud's DynamoDB as the chat uses it (chat-bench-dynamodb)
    bench.flood        one connection floods the local cloud (chat-bench-flood)
    bench.sentiment    the offline sentiment judge on labelled messages (chat-bench-sentiment)
    bench.translation  the offline translator (chat-bench-translation)

The console commands are declared in pyproject.toml's ``[project.scripts]``; BENCHMARKS.md
gives each result with the command that produced it.
"""

from __future__ import annotations

__all__: list[str] = []
