"""The delivery function's entry point: large rooms' shards, from the SQS FIFO delivery queue.

template.yaml names ``positive_chat.delivery_app.lambda_handler`` for the DeliveryFunction, whose
event source is the DeliveryQueue with ``ReportBatchItemFailures``. The function shares the chat
function's code and composition (app.Runtime, one per execution environment); each record is one
shard (adapters/delivery_queue.py), posted by ``Delivery.deliver_shard``, which queues again the
readers it could not reach. So a record is reported failed (and retried by SQS) only when it
raised before anything of it was known to be posted; the records after a failure are reported
failed unprocessed, as a FIFO queue requires to keep each group in order.

A record that is not a shard can never succeed: it is logged and counted (``ShardsMalformed``),
not retried, because a failing FIFO record holds back its whole group until it reaches the
dead-letter queue. Powertools' batch processor does this loop too; importing it cost 85-282 ms of
cold start on top of the handler's imports (3 runs, 2026-12-03), for a loop of a few lines.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from positive_chat.adapters.delivery_queue import ShardFormatError, decode_shard
from positive_chat.app import current_runtime, logger, metrics, tracer

__all__ = ["lambda_handler"]


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """SQS events of delivery shards; answers the records to retry (``batchItemFailures``)."""
    runtime = current_runtime()
    failures: list[dict[str, str]] = []
    records = event.get("Records") or []
    with runtime.deadlines.running(runtime.deadline_for(context), runtime.ending_for(context)):
        for record in records:
            message_id = str(record.get("messageId", ""))
            if failures:  # FIFO: nothing after a failure, or the group's order breaks
                failures.append({"itemIdentifier": message_id})
                continue
            try:
                shard = decode_shard(str(record.get("body", "")))
            except ShardFormatError as err:
                logger.error(
                    "not a delivery shard", extra={"message_id": message_id, "error": str(err)}
                )
                runtime.metrics_sink.count("ShardsMalformed")
                continue
            try:
                runtime.chat.delivery.deliver_shard(runtime.outbox_at(shard.address), shard)
            except Exception:
                logger.exception("shard failed", extra={"message_id": message_id})
                failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
