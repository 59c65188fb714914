"""Positive Chat: the Lambda behind the WebSocket API (only this package is deployed)."""
