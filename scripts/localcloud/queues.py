"""The template's SQS queues and the functions they trigger, read from template.yaml.

This module owns two translations of the SAM template, with nothing here polling or invoking:

- every ``AWS::SQS::Queue`` becomes a CreateQueue request (its properties as SQS attributes,
  the queue named as CloudFormation names it: ``{stack}-{LogicalId}``, ``.fifo`` for a FIFO
  queue, unless ``QueueName`` is set), created in dependency order (a dead-letter queue before
  the queue whose ``RedrivePolicy`` names it), and the references the rest of the template makes
  to it: ``!Ref Queue`` is its URL, ``!GetAtt Queue.Arn`` and ``Queue.QueueName`` its ARN and
  name;
- every ``Type: SQS`` event of an ``AWS::Serverless::Function`` becomes an ``SqsEventSpec``: the
  event source mapping SAM would create (queue, ``BatchSize``, ``FunctionResponseTypes``,
  ``ScalingConfig.MaximumConcurrency``, ``Enabled``).

What the local cloud cannot honour it refuses rather than mistranslates: ``FilterCriteria``
(messages would reach the function that AWS drops) raises ValueError. Server-side encryption
attributes are passed to the local SQS as they are (nothing is encrypted locally).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.template import resolve

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "QueueInfo",
    "SqsEventSpec",
    "create_queues",
    "queue_refs",
    "sqs_event_sources",
]

DEFAULT_BATCH_SIZE = 10  # SAM's and Lambda's default for an SQS event source
_MAX_NAME = 80  # SQS's limit on a queue name, ".fifo" included
# Properties of AWS::SQS::Queue that are not queue attributes.
_NOT_ATTRIBUTES = {"QueueName", "Tags"}
# Attributes SQS accepts on FIFO queues only: a standard queue gets none of them.
_FIFO_ONLY = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
              "FifoThroughputLimit"}


@dataclass(frozen=True)
class QueueInfo:
    """One queue as created: what ``!Ref`` and ``!GetAtt`` give, and whether it is FIFO."""

    logical_id: str
    name: str
    url: str
    arn: str
    fifo: bool


@dataclass(frozen=True)
class SqsEventSpec:
    """One ``Type: SQS`` event of a function: the event source mapping SAM creates for it."""

    function_id: str
    event_name: str
    queue: Any  # the template's expression (``!GetAtt Queue.Arn``), resolved by the caller
    batch_size: int = DEFAULT_BATCH_SIZE
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency
    enabled: bool = True


def _attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _request(
    logical_id: str, props: Mapping[str, Any], stack_name: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    """(queue name, attributes, tags) of a queue whose properties are resolved."""
    fifo = _attribute(props.get("FifoQueue", False)) == "true"
    attributes = {
        name: _attribute(value)
        for name, value in props.items()
        if name not in _NOT_ATTRIBUTES and (fifo or name not in _FIFO_ONLY)
    }
    name = props.get("QueueName")
    if name is None:  # CloudFormation's pattern, without its random suffix
        suffix = ".fifo" if fifo else ""
        name = f"{stack_name}-{logical_id}"[: _MAX_NAME - len(suffix)] + suffix
    tags = {str(t["Key"]): str(t["Value"]) for t in props.get("Tags") or []}
    return str(name), attributes, tags


def create_queues(
    template: Mapping[str, Any], refs: Mapping[str, Any], client: Any, *, stack_name: str
) -> dict[str, QueueInfo]:
    """Create every ``AWS::SQS::Queue`` of ``template`` with a boto3 SQS ``client``.

    ``refs`` resolves what the properties reference besides other queues (parameters, pseudo
    parameters). A queue is created once everything its properties name exists, so a
    dead-letter queue comes first; a reference that never resolves raises KeyError.
    """
    pending = {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::SQS::Queue"
    }
    created: dict[str, QueueInfo] = {}
    scope = dict(refs)
    while pending:
        progress = False
        for logical_id, props in list(pending.items()):
            try:
                resolved = resolve(props, scope)
            except KeyError:
                continue  # names a queue not created yet
            name, attributes, tags = _request(logical_id, resolved, stack_name)
            kwargs: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
            if tags:
                kwargs["tags"] = tags
            url = client.create_queue(**kwargs)["QueueUrl"]
            arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            info = QueueInfo(logical_id, name, url, arn, name.endswith(".fifo"))
            created[logical_id] = info
            scope.update(queue_refs({logical_id: info}))
            del pending[logical_id]
            progress = True
        if not progress:
            # Resolve one again to raise the KeyError that names what is missing.
            logical_id, props = next(iter(pending.items()))
            resolve(props, scope)
            raise KeyError(f"queues {sorted(pending)} reference each other")
    return created


def queue_refs(queues: Mapping[str, QueueInfo]) -> dict[str, str]:
    """What the template's intrinsics give for each queue: Ref, Arn, QueueName."""
    refs: dict[str, str] = {}
    for logical_id, info in queues.items():
        refs[logical_id] = info.url
        refs[f"{logical_id}.Arn"] = info.arn
        refs[f"{logical_id}.QueueName"] = info.name
    return refs


def sqs_event_sources(template: Mapping[str, Any]) -> list[SqsEventSpec]:
    """Every ``Type: SQS`` event of the template's serverless functions, in template order."""
    specs: list[SqsEventSpec] = []
    for function_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        events = (resource.get("Properties") or {}).get("Events") or {}
        for event_name, event in events.items():
            if event.get("Type") != "SQS":
                continue
            props = event.get("Properties") or {}
            where = f"{function_id}.Events.{event_name}"
            if props.get("FilterCriteria"):
                raise ValueError(f"{where}: FilterCriteria is not supported by the local cloud")
            scaling = props.get("ScalingConfig") or {}
            maximum = scaling.get("MaximumConcurrency")
            specs.append(
                SqsEventSpec(
                    function_id=function_id,
                    event_name=event_name,
                    queue=props["Queue"],
                    batch_size=int(props.get("BatchSize", DEFAULT_BATCH_SIZE)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (props.get("FunctionResponseTypes") or []),
                    maximum_concurrency=int(maximum) if maximum is not None else None,
                    enabled=_attribute(props.get("Enabled", True)) == "true",
                )
            )
    return specs
