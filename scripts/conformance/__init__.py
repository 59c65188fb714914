"""The conformance suite: `scripts/smoke URL` checks a Positive Chat stage over its WebSocket.

It speaks protocol v2 (docs/protocol.md) with plain ``websockets`` clients, so the same checks
run against the local cloud and against any deployed stage.
"""
