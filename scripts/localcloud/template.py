"""Read template.yaml: the single source of truth for tables, the function and the WebSocket API.

This module owns turning the SAM/CloudFormation template into what the local cloud and the tests
need: CreateTable requests (keys, GSIs, TTL), the function's handler/code/environment, and the
WebSocket API's routes. CloudFormation's short-form intrinsics (``!Ref``, ``!GetAtt``, ``!Sub``
...) are loaded as their long form (``{"Ref": ...}``) and resolved against the physical names the
caller chooses, so nothing here talks to AWS.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_TEMPLATE",
    "FunctionSpec",
    "StageThrottle",
    "TableSpec",
    "WebSocketApiSpec",
    "function_spec",
    "load_template",
    "resolve",
    "stage_throttle",
    "table_specs",
    "websocket_api",
]

LOG = logging.getLogger("localcloud.template")

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

_INTRINSICS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "GetAZs": "Fn::GetAZs",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "Cidr": "Fn::Cidr",
}


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that understands CloudFormation's short-form tags."""


def _construct(tag: str, name: str) -> None:
    def build(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":  # !GetAtt Res.Attr is the short form of [Res, Attr]
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    _CfnLoader.add_constructor(f"!{tag}", build)


for _tag, _name in _INTRINSICS.items():
    _construct(_tag, _name)


def load_template(path: Path | str = DEFAULT_TEMPLATE) -> dict[str, Any]:
    """Load a CloudFormation/SAM YAML template with intrinsics in their long form."""
    with Path(path).open(encoding="utf-8") as handle:
        loaded = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise ValueError(f"{path}: not a CloudFormation template (no Resources)")
    return loaded


def resolve(value: Any, refs: Mapping[str, Any]) -> Any:
    """Resolve ``Ref``/``Fn::Sub``/``Fn::GetAtt`` against ``refs`` (logical id -> value).

    ``refs`` holds logical ids and pseudo parameters (``AWS::Region``...). ``Fn::GetAtt`` looks up
    ``"Res.Attr"``. Anything unknown raises KeyError, so a template change is never silently
    mistranslated.
    """
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return refs[arg]
        if key == "Fn::GetAtt":
            return refs[f"{arg[0]}.{arg[1]}"]
        if key == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            scope = {**refs, **{k: resolve(v, refs) for k, v in extra.items()}}
            return _substitute(text, scope)
        if key == "Fn::Join":
            sep, parts = arg
            return sep.join(str(resolve(p, refs)) for p in parts)
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value


def _substitute(text: str, scope: Mapping[str, Any]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        start = text.find("${", i)
        if start < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        end = text.index("}", start)
        name = text[start + 2 : end]
        if name.startswith("!"):  # ${!Literal} escapes
            out.append("${" + name[1:] + "}")
        else:
            out.append(str(scope[name]))
        i = end + 1
    return "".join(out)


@dataclass(frozen=True)
class TableSpec:
    """One DynamoDB table of the template, ready for CreateTable."""

    logical_id: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    ttl_attribute: str | None = None

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """The keyword arguments of ``client.create_table`` for this table."""
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": self.key_schema,
            "AttributeDefinitions": self.attribute_definitions,
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.global_secondary_indexes:
            kwargs["GlobalSecondaryIndexes"] = self.global_secondary_indexes
        return kwargs

    def create(self, client: Any, table_name: str) -> None:
        """Create the table (and its TTL setting) with a boto3 DynamoDB client."""
        client.create_table(**self.create_table_kwargs(table_name))
        if self.ttl_attribute:
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": self.ttl_attribute, "Enabled": True},
            )


def table_specs(template: Mapping[str, Any]) -> dict[str, TableSpec]:
    """Every ``AWS::DynamoDB::Table`` of the template, by logical id."""
    specs: dict[str, TableSpec] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        gsis = [
            {
                "IndexName": gsi["IndexName"],
                "KeySchema": gsi["KeySchema"],
                "Projection": gsi["Projection"],
            }
            for gsi in props.get("GlobalSecondaryIndexes", [])
        ]
        ttl = props.get("TimeToLiveSpecification") or {}
        specs[logical_id] = TableSpec(
            logical_id=logical_id,
            key_schema=props["KeySchema"],
            attribute_definitions=props["AttributeDefinitions"],
            global_secondary_indexes=gsis,
            ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
        )
    return specs


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function``: what a local runtime needs to host it."""

    logical_id: str
    handler: str
    code_uri: Path
    runtime: str
    timeout: float
    memory_mb: int
    environment: dict[str, Any]
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions, if the template sets it

    def resolved_environment(self, refs: Mapping[str, Any]) -> dict[str, str]:
        """Environment variables with intrinsics resolved (e.g. table logical id -> name)."""
        return {k: str(resolve(v, refs)) for k, v in self.environment.items()}


def function_spec(
    template: Mapping[str, Any],
    logical_id: str | None = None,
    *,
    template_dir: Path = DEFAULT_TEMPLATE.parent,
) -> FunctionSpec:
    """The serverless function ``logical_id`` (or the only one), with Globals applied."""
    functions = {
        name: res
        for name, res in template["Resources"].items()
        if res.get("Type") == "AWS::Serverless::Function"
    }
    if logical_id is None:
        if len(functions) != 1:
            raise ValueError(f"expected exactly one function, found {sorted(functions)}")
        logical_id = next(iter(functions))
    props = {
        **template.get("Globals", {}).get("Function", {}),
        **functions[logical_id]["Properties"],
    }
    env = props.get("Environment", {}).get("Variables", {})
    return FunctionSpec(
        logical_id=logical_id,
        handler=props["Handler"],
        code_uri=(template_dir / props["CodeUri"]).resolve(),
        runtime=props.get("Runtime", "python3.12"),
        timeout=float(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
        environment=dict(env),
        reserved_concurrency=_reserved_concurrency(template, props),
    )


_NO_VALUE = object()


def _reserved_concurrency(template: Mapping[str, Any], props: Mapping[str, Any]) -> int | None:
    """``ReservedConcurrentExecutions`` as deployed with the parameters' defaults, or None.

    Handles a number, a ``Ref`` to a parameter, and ``Fn::If`` on a condition built from
    ``Fn::Equals``/``Fn::Not``/``Fn::And``/``Fn::Or``/``Condition`` (``AWS::NoValue`` means unset).
    """
    if "ReservedConcurrentExecutions" not in props:
        return None
    params = {
        name: param["Default"]
        for name, param in (template.get("Parameters") or {}).items()
        if "Default" in param
    }
    conditions = template.get("Conditions") or {}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else params[arg]
            if key == "Fn::If":
                name, then, otherwise = arg
                return value(then if condition(conditions[name]) else otherwise)
            raise ValueError(f"unsupported intrinsic {key} in ReservedConcurrentExecutions")
        return node

    def text(node: Any) -> str:
        resolved = value(node)
        return str(resolved).lower() if isinstance(resolved, bool) else str(resolved)

    def condition(node: Any) -> bool:
        ((key, arg),) = node.items()
        if key == "Fn::Equals":
            return text(arg[0]) == text(arg[1])
        if key == "Fn::Not":
            return not condition(arg[0])
        if key == "Fn::And":
            return all(condition(c) for c in arg)
        if key == "Fn::Or":
            return any(condition(c) for c in arg)
        if key == "Condition":
            return condition(conditions[arg])
        raise ValueError(f"unsupported condition function {key}")

    try:
        resolved = value(props["ReservedConcurrentExecutions"])
        if resolved is _NO_VALUE:
            return None
        reserved = int(resolved)
    except (KeyError, TypeError, ValueError, RecursionError) as err:
        LOG.warning("ReservedConcurrentExecutions cannot be evaluated locally (%r): "
                    "using the account default", err)
        return None
    if reserved < 0:
        LOG.warning("ReservedConcurrentExecutions is %d (below 0): using the account default",
                    reserved)
        return None
    return reserved


@dataclass(frozen=True)
class WebSocketApiSpec:
    """One ``AWS::ApiGatewayV2::Api`` of protocol WEBSOCKET, with its Lambda proxy routes."""

    logical_id: str
    route_selection_expression: str
    routes: dict[str, str]  # route key ("$connect", "$default", "sendmessage"...) -> function id


@dataclass(frozen=True)
class StageThrottle:
    """A stage's ``DefaultRouteSettings`` throttling: steady requests/s and the bucket size."""

    rate: float
    burst: int


def stage_throttle(template: Mapping[str, Any], api_logical_id: str) -> StageThrottle | None:
    """The throttling of the API's stage (parameters at their defaults), or None if it has none.

    A value that cannot be read (a condition, an import) is None too: the caller says so.
    """
    resources: Mapping[str, Any] = template["Resources"]
    defaults = {
        name: spec["Default"]
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and "Default" in spec
    }
    for res in resources.values():
        if res.get("Type") != "AWS::ApiGatewayV2::Stage":
            continue
        props = res.get("Properties", {})
        if api_logical_id not in _names_in(props.get("ApiId")):
            continue
        settings = props.get("DefaultRouteSettings") or {}
        try:
            rate = float(resolve(settings["ThrottlingRateLimit"], defaults))
            burst = int(resolve(settings["ThrottlingBurstLimit"], defaults))
        except (KeyError, TypeError, ValueError):
            return None
        return StageThrottle(rate=rate, burst=burst) if rate > 0 and burst > 0 else None
    return None


def _names_in(value: Any) -> list[str]:
    """Logical ids that ``value`` references: Ref, GetAtt, and ``${Name[.Attr]}`` in Sub."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.append(arg.split(".", 1)[0])  # SAM's "Function.Alias" names Function
            elif key == "Fn::GetAtt" and isinstance(arg, list) and arg:
                found.append(str(arg[0]))
            elif key == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                names = (m.split(".", 1)[0] for m in _SUB_NAME.findall(text))
                found.extend(n for n in names if n not in local)
                found.extend(_names_in(local))
            else:
                found.extend(_names_in(arg))
    elif isinstance(value, list):
        for item in value:
            found.extend(_names_in(item))
    return found


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")


def websocket_api(template: Mapping[str, Any], logical_id: str | None = None) -> WebSocketApiSpec:
    """The WebSocket API ``logical_id`` (or the only one): selection expression and routes.

    Each route follows Target -> ``AWS::ApiGatewayV2::Integration`` -> IntegrationUri to the
    function it invokes. Only Lambda proxy (AWS_PROXY) integrations are supported; anything else
    raises ValueError rather than being served wrongly.
    """
    resources: Mapping[str, Any] = template["Resources"]
    apis = {
        name: res
        for name, res in resources.items()
        if res.get("Type") == "AWS::ApiGatewayV2::Api"
        and res.get("Properties", {}).get("ProtocolType") == "WEBSOCKET"
    }
    if logical_id is None:
        if len(apis) != 1:
            raise ValueError(f"expected exactly one WebSocket API, found {sorted(apis)}")
        logical_id = next(iter(apis))
    if logical_id not in apis:
        raise ValueError(f"{logical_id!r} is not a WebSocket API of this template")
    expression = apis[logical_id]["Properties"].get("RouteSelectionExpression")
    if not isinstance(expression, str):
        raise ValueError(f"{logical_id}: RouteSelectionExpression must be a string")
    functions = {
        name
        for name, res in resources.items()
        if res.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    routes: dict[str, str] = {}
    for name, res in resources.items():
        if res.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = res.get("Properties", {})
        if logical_id not in _names_in(props.get("ApiId")):
            continue
        integration_id = next(
            (n for n in _names_in(props.get("Target")) if n in resources), None
        )
        if integration_id is None:
            raise ValueError(f"route {name}: no integration target")
        integration = resources[integration_id].get("Properties", {})
        if integration.get("IntegrationType") != "AWS_PROXY":
            raise ValueError(
                f"route {name}: integration {integration_id} is "
                f"{integration.get('IntegrationType')!r}; only AWS_PROXY (Lambda proxy) "
                "is supported"
            )
        function_id = next(
            (n for n in _names_in(integration.get("IntegrationUri")) if n in functions), None
        )
        if function_id is None:
            raise ValueError(f"integration {integration_id}: IntegrationUri names no function")
        routes[str(props["RouteKey"])] = function_id
    return WebSocketApiSpec(
        logical_id=logical_id, route_selection_expression=expression, routes=routes
    )
