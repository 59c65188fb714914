"""The Lambda entry point and the only place objects are composed.

``lambda_handler`` is what template.yaml names. Clients, pools, stores and caches are created
once per execution environment (``Runtime``); a ChatService and Router are made per event because
the @connections endpoint comes from the event. Logger (JSON, correlation id = the API Gateway
request id), Metrics (EMF) and Tracer (X-Ray) are module-level, as Powertools intends. Each
invocation's Deadline (from the Lambda context) is what the Comprehend/Translate guards read.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from positive_chat.adapters.aws_language import AmazonTranslator, ComprehendAnalyzer
from positive_chat.adapters.connections_api import ConnectionsApi, ConnectionsApiFactory
from positive_chat.adapters.delivery_queue import SqsShardQueue
from positive_chat.adapters.dynamo_connections import DynamoConnectionStore
from positive_chat.adapters.dynamo_messages import (
    DynamoMessageStore,
    DynamoTopicStore,
)
from positive_chat.adapters.dynamo_moderation import (
    DynamoModerationLedger,
    DynamoModeratorSessions,
    DynamoReviewStore,
)
from positive_chat.adapters.dynamo_names import DynamoNameClaims
from positive_chat.adapters.idempotency import PowertoolsOnceGate
from positive_chat.adapters.lean_post import LeanConnectionsApi
from positive_chat.adapters.outbox import ConnectionsOutbox
from positive_chat.adapters.resilience import (
    OPEN,
    CallPolicy,
    Deadline,
    DeadlineSlot,
    ResiliencePolicy,
    ServiceGuard,
    bind_to_invocation,
)
from positive_chat.adapters.ssm_secret import SsmSecret, UnconfiguredSecret
from positive_chat.adapters.tracing import XRayOnDemand
from positive_chat.config import Settings
from positive_chat.domain.chat import compose_chat
from positive_chat.domain.delivery import ShardPlan
from positive_chat.domain.moderation import compose_moderation
from positive_chat.domain.moderation_feed import ModeratorNotifier
from positive_chat.domain.ports import Clock, MetricsSink, SecretSource
from positive_chat.domain.ratelimit import (
    RateLimit,
    RateLimiter,
)
from positive_chat.levers import CostLevers, compose_language_ports
from positive_chat.protocol.encoding import json_default
from positive_chat.protocol.frames_out import render
from positive_chat.protocol.gateway_event import GatewayEvent
from positive_chat.router import Router

if TYPE_CHECKING:
    from botocore.credentials import Credentials
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_comprehend import ComprehendClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_translate import TranslateClient

__all__ = [
    "CircuitMetrics",
    "Clients",
    "ModerationParts",
    "PowertoolsMetricsSink",
    "Runtime",
    "SystemClock",
    "build_runtime",
    "current_runtime",
    "install_runtime",
    "lambda_handler",
    "logger",
    "metrics",
    "tracer",
]

logger = Logger(json_default=json_default)
metrics = Metrics()
# The X-Ray SDK is imported only while tracing is on (adapters/tracing.py): in AWS at init, as
# Powertools would; never in the local cloud or the tests, where tracing is off.
tracer = Tracer(provider=XRayOnDemand())
# The other modules log with the standard library (no Powertools in the domain); give their
# loggers this Logger's JSON formatter, level and correlation id.
copy_config_to_registered_loggers(source_logger=logger, include={"positive_chat"})


class SystemClock:
    """Wall-clock time in epoch milliseconds."""

    def now_ms(self) -> int:
        """Now."""
        return time.time_ns() // 1_000_000


class PowertoolsMetricsSink:
    """Business metrics as EMF counts."""

    def __init__(self, sink: Metrics) -> None:
        self._sink = sink

    def count(self, name: str, value: float = 1) -> None:
        """Add ``value`` to the metric ``name`` of this invocation."""
        self._sink.add_metric(name=name, unit=MetricUnit.Count, value=value)


class CircuitMetrics:
    """Circuit breaker state changes as EMF metrics with a ``service`` dimension.

    ``CircuitOpened`` (to open, from closed or from a failed half-open trial) and
    ``CircuitClosed`` (a trial succeeded); each is its own EMF record, written at once, so the
    dimension does not spread to the invocation's other metrics. The breaker logs the change.
    """

    def __call__(self, service: str, old: str, new: str, failures: int) -> None:
        """Emit the metric of one state change."""
        name = {OPEN: "CircuitOpened", "closed": "CircuitClosed"}.get(new)
        if name is None:  # half-open is a moment, not news: the trial's outcome is
            return
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=1,
            namespace=metrics.namespace,
            default_dimensions={"service": service},
        ):
            pass


@dataclass
class Clients:
    """The boto3 clients (thread-safe; shared by the pools)."""

    dynamodb: DynamoDBClient
    comprehend: ComprehendClient
    translate: TranslateClient
    management_api: Callable[[str | None], ApiGatewayManagementApiClient]
    # SSM (the moderator secret); None: created on first need, from the environment.
    ssm: SSMClient | None = None
    # The session's credentials (refreshable), for the lean PostToConnection; None: the outbox
    # posts through the boto3 client (as when Settings.lean_post is off).
    credentials: Callable[[], Credentials | None] | None = None
    # SQS (the delivery queue of large rooms); None when the environment names no queue.
    sqs: SQSClient | None = None

    @classmethod
    def create(cls, settings: Settings, policy: ResiliencePolicy | None = None) -> Clients:
        """Real clients: connection pools sized for the fan-out; DynamoDB, @connections and SSM
        with botocore's standard retries; Comprehend and Translate with botocore's retries off
        and the policy's timeouts, since their ServiceGuard retries within the deadline."""
        policy = policy or ResiliencePolicy()
        session = boto3.session.Session()
        pool_size = max(settings.fanout_workers, settings.translate_workers)
        config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=pool_size,
            connect_timeout=3,
            read_timeout=10,
        )

        def guarded(call: CallPolicy) -> Config:
            return Config(
                retries={"mode": "standard", "total_max_attempts": 1},
                max_pool_connections=pool_size,
                connect_timeout=call.connect_timeout,
                read_timeout=call.read_timeout,
            )

        def management_api(endpoint: str | None) -> ApiGatewayManagementApiClient:
            # endpoint None: boto3 reads AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI itself.
            return session.client(
                "apigatewaymanagementapi",
                endpoint_url=endpoint,
                region_name=settings.region,
                config=config,
            )

        return cls(
            dynamodb=session.client("dynamodb", region_name=settings.region, config=config),
            comprehend=session.client(
                "comprehend", region_name=settings.region, config=guarded(policy.comprehend)
            ),
            translate=session.client(
                "translate", region_name=settings.region, config=guarded(policy.translate)
            ),
            management_api=management_api,
            ssm=session.client("ssm", region_name=settings.region, config=config),
            credentials=session.get_credentials,
            sqs=(
                session.client("sqs", region_name=settings.region, config=config)
                if settings.delivery_queue_url
                else None
            ),
        )


@dataclass(frozen=True)
class ModerationParts:
    """The moderation adapters (only when the environment names a ModerationTable)."""

    sessions: DynamoModeratorSessions
    reviews: DynamoReviewStore
    ledger: DynamoModerationLedger
    secret: SecretSource

    @classmethod
    def create(cls, settings: Settings, clients: Clients) -> ModerationParts | None:
        """The parts, or None when moderation is not configured."""
        if settings.moderation_table is None:
            return None
        secret: SecretSource = UnconfiguredSecret()
        if settings.moderator_secret_parameter is not None:
            ssm = clients.ssm or boto3.session.Session().client("ssm", region_name=settings.region)
            secret = SsmSecret(ssm, settings.moderator_secret_parameter)
        return cls(
            sessions=DynamoModeratorSessions(clients.dynamodb, settings.connections_table),
            reviews=DynamoReviewStore(clients.dynamodb, settings.messages_table),
            ledger=DynamoModerationLedger(clients.dynamodb, settings.moderation_table),
            secret=secret,
        )


@dataclass
class Runtime:
    """Everything that lives as long as the execution environment."""

    settings: Settings
    clients: Clients
    clock: Clock = field(default_factory=SystemClock)
    metrics_sink: MetricsSink = field(default_factory=lambda: PowertoolsMetricsSink(metrics))
    # Off unless given: build_runtime reads them from the environment (everything on).
    levers: CostLevers = field(default_factory=CostLevers)
    # Deadlines, retries and breakers of the language calls (resilience.py); the clock and sleep
    # are monotonic seconds, injectable for tests.
    resilience: ResiliencePolicy = field(default_factory=ResiliencePolicy)
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Any] = time.sleep

    def __post_init__(self) -> None:
        settings, clients = self.settings, self.clients
        self.deadlines = DeadlineSlot()
        # Every DynamoDB attempt (the idempotency layer's too) stays clear of the function
        # timeout; so does every @connections post (resilience.bind_to_invocation).
        bind_to_invocation(clients.dynamodb, self.deadlines, self.resilience.storage_reserve)
        if clients.ssm is not None:  # the moderator secret, read on a sign-in
            bind_to_invocation(clients.ssm, self.deadlines, self.resilience.storage_reserve)
        self.shard_queue: SqsShardQueue | None = None
        if clients.sqs is not None and settings.delivery_queue_url:
            bind_to_invocation(clients.sqs, self.deadlines, self.resilience.storage_reserve)
            self.shard_queue = SqsShardQueue(
                clients.sqs, settings.delivery_queue_url, sleep=self.sleep
            )
        self.comprehend_guard = self._guard("comprehend", self.resilience.comprehend)
        self.translate_guard = self._guard("translate", self.resilience.translate)
        for client in (clients.comprehend, clients.translate):
            ServiceGuard.attach(client)
        self.connections = DynamoConnectionStore(clients.dynamodb, settings.connections_table)
        self.messages = DynamoMessageStore(clients.dynamodb, settings.messages_table)
        self.topics = DynamoTopicStore(clients.dynamodb, settings.topics_table)
        self.language = compose_language_ports(
            self.levers,
            ComprehendAnalyzer(clients.comprehend, self.comprehend_guard),
            AmazonTranslator(clients.translate, self.translate_guard),
            clients.dynamodb,
        )
        self.analyzer = self.language.analyzer
        self.translator = self.language.translator
        # Powertools' idempotency machinery loads on the first message sent (idempotency.py).
        self.once = PowertoolsOnceGate.on_dynamodb(
            settings.idempotency_table,
            clients.dynamodb,
            expires_after_seconds=settings.idempotency_seconds,
        )
        self.connections_apis = ConnectionsApiFactory(
            lambda endpoint: bind_to_invocation(
                clients.management_api(endpoint), self.deadlines, self.resilience.answer_reserve
            ),
            region=settings.region,
            endpoint_override=settings.connections_endpoint,
            make_api=self._connections_api,
        )
        self.fanout_pool = ThreadPoolExecutor(settings.fanout_workers, "fanout")
        self.translate_pool = ThreadPoolExecutor(settings.translate_workers, "translate")
        self.moderation_parts = ModerationParts.create(settings, clients)
        self.limiter = RateLimiter(
            self.connections,
            self.clock,
            RateLimit(settings.rate_limit_per_second, settings.rate_limit_burst),
        )
        self.router = self._compose_router()

    def _connections_api(self, client: ApiGatewayManagementApiClient) -> ConnectionsApi:
        """The outbox's poster: the lean PostToConnection (lean_post.py) unless it is off."""
        credentials = self.clients.credentials
        if not self.settings.lean_post or credentials is None:
            return ConnectionsApi(client)
        return LeanConnectionsApi(
            client,
            credentials,
            self.deadlines,
            reserve=self.resilience.answer_reserve,
            pool_size=self.settings.fanout_workers,
            sleep=self.sleep,
        )

    def _guard(self, service: str, policy: CallPolicy) -> ServiceGuard:
        return ServiceGuard(
            service,
            policy,
            self.deadlines,
            clock=self.monotonic,
            sleep=self.sleep,
            listener=CircuitMetrics(),
        )

    def deadline_for(self, context: LambdaContext) -> Deadline:
        """The language calls' deadline of an invocation (see resilience.Deadline)."""
        return Deadline.from_context(context, self.resilience, self.monotonic)

    def ending_for(self, context: LambdaContext) -> Deadline:
        """When an invocation times out (every other client keeps its reserve before it)."""
        return Deadline.ending(context, self.monotonic)

    def outbox_for(self, event: GatewayEvent) -> ConnectionsOutbox:
        """Where the event's replies go: the @connections API of its stage."""
        return self.outbox_at(f"{event.api_id}/{event.stage}")

    def outbox_at(self, address: str) -> ConnectionsOutbox:
        """The outbox of an ``address`` ("apiId/stage", what an outbox's ``address`` says)."""
        api_id, _, stage = address.partition("/")
        api = self.connections_apis.for_stage(api_id, stage)
        return ConnectionsOutbox(api, self.fanout_pool, render, address=address)

    def _compose_router(self) -> Router:
        """The services and the router, built once for every event of this environment."""
        notifier = ModeratorNotifier(self.connections) if self.moderation_parts else None
        self.chat = compose_chat(
            connections=self.connections,
            messages=self.messages,
            topics=self.topics,
            analyzer=self.analyzer,
            translator=self.translator,
            once=self.once,
            metrics=self.metrics_sink,
            clock=self.clock,
            translate_pool=self.translate_pool,
            flag_listener=notifier,
            detector=self.language.detector,
            sentiment_languages=self.settings.sentiment_languages,
            name_claims=DynamoNameClaims(self.clients.dynamodb, self.settings.connections_table),
            shard_queue=self.shard_queue,
            shard_plan=ShardPlan(
                self.settings.fanout_shard_threshold, self.settings.fanout_shard_size
            ),
        )
        moderation = None
        parts = self.moderation_parts
        if parts is not None and notifier is not None:
            moderation = compose_moderation(
                connections=self.connections,
                sessions=parts.sessions,
                reviews=parts.reviews,
                ledger=parts.ledger,
                secret=parts.secret,
                analyzer=self.analyzer,
                translator=self.translator,
                topics=self.topics,
                presence=self.chat.presence,
                delivery=self.chat.delivery,
                notifier=notifier,
                clock=self.clock,
                metrics=self.metrics_sink,
                audit_retention_days=self.settings.audit_retention_days,
                sentiment_languages=self.settings.sentiment_languages,
            )
        return Router(self.chat, self.clock, limiter=self.limiter, moderation=moderation)


def build_runtime(settings: Settings | None = None, clients: Clients | None = None) -> Runtime:
    """Compose the runtime from the environment (or from what a test passes)."""
    settings = settings or Settings.from_env(os.environ)
    return Runtime(
        settings=settings,
        clients=clients or Clients.create(settings),
        levers=CostLevers.from_env(os.environ),
    )


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def install_runtime(runtime: Runtime | None) -> None:
    """Use ``runtime`` for the next events (None: build from the environment on first use)."""
    global _runtime  # noqa: PLW0603 - one runtime per execution environment, by design
    with _runtime_lock:
        _runtime = runtime


def current_runtime() -> Runtime:
    """This execution environment's runtime (built from the environment on first use)."""
    global _runtime  # noqa: PLW0603 - created lazily so importing the module needs no AWS
    with _runtime_lock:
        if _runtime is None:
            _runtime = build_runtime()
        return _runtime


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway WebSocket proxy events: $connect, $disconnect and every frame."""
    runtime = current_runtime()
    runtime.once.register(context)
    view = GatewayEvent.of(event)
    with runtime.deadlines.running(runtime.deadline_for(context), runtime.ending_for(context)):
        return runtime.router.resolve(view, runtime.outbox_for(view))
