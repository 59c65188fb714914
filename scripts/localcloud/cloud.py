"""The local cloud: the whole of Positive Chat on one machine, composed from template.yaml.

This module owns composition only: it starts DynamoDB (moto, persisted in the data folder), the
language services (offline Comprehend/Translate, or real AWS on request), SSM Parameter Store
(moto, holding the moderator secret as a SecureString) and SQS (the same moto server, with every
queue of the template), the API Gateway WebSocket emulator that runs the Lambda named in the
template, the functions the template's SQS events trigger (``localcloud.sqs_events``), and the
rendered frontend served from the gateway's port. Each piece owns its own behaviour; this module
wires their endpoints together through the standard ``AWS_ENDPOINT_URL_*`` variables, exactly as
the functions see them in AWS (no handler has an "if local" branch).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.language.operations import LOCAL_SENTIMENT_LANGUAGES
from localcloud.queues import QueueInfo, create_queues, queue_refs, sqs_event_sources
from localcloud.template import (
    DEFAULT_TEMPLATE,
    StageThrottle,
    function_spec,
    load_template,
    websocket_api,
)

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["CloudSettings", "CloudUrls", "LocalCloud", "MissingCredentialsError"]

LOG = logging.getLogger("localcloud")

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
API_ID = "localapi01"
STACK_NAME = "positive-chat-local"


class MissingCredentialsError(RuntimeError):
    """``--real-aws`` was asked for but no AWS credentials can be found."""


@dataclass(frozen=True)
class CloudSettings:
    """What the command line can change."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path | None = None  # None: nothing is kept (tests that want a clean slate)
    template_path: Path = DEFAULT_TEMPLATE
    real_aws: bool = False
    workers: int | None = None
    idle_timeout: float = 600.0
    max_duration: float = 7200.0
    stage: str = "local"
    # The stage's throttling: "template" (its DefaultRouteSettings), other limits, or None
    stage_throttle: StageThrottle | str | None = "template"
    extra_env: tuple[tuple[str, str], ...] = ()
    # The moderator secret, put into the local SSM as a SecureString (never in a repr or a log).
    moderator_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CloudUrls:
    """Where everything listens once started (also written to ``--ready-file`` as JSON)."""

    page: str
    websocket: str
    connections: str
    dynamodb: str
    language: str | None
    data_dir: str | None
    ssm: str | None = None
    lambda_api: str | None = None  # the Lambda Invoke API (localcloud.lambda_api)
    sqs: str | None = None  # the SQS endpoint (moto, the same server as SSM)

    def to_json(self) -> str:
        """The URLs as one JSON object."""
        return json.dumps(asdict(self))


class LocalCloud:
    """Start and stop every local service in the right order."""

    def __init__(self, settings: CloudSettings) -> None:
        self.settings = settings
        self._dynamodb: Any = None
        self._language: Any = None
        self._ssm: Any = None
        self._gateway: Any = None
        self._triggers: Any = None
        self._lambda_api: Any = None
        self._site_dir: Path | None = None
        self.urls: CloudUrls | None = None

    async def start(self) -> CloudUrls:
        """Start DynamoDB, language services, gateway; render the page; return the URLs."""
        from localcloud.dynamodb import LocalDynamoDB
        from localcloud.gateway import Gateway

        settings = self.settings
        template = load_template(settings.template_path)
        loop = asyncio.get_running_loop()

        ddb_dir = settings.data_dir / "dynamodb" if settings.data_dir else None
        self._dynamodb = LocalDynamoDB(
            data_dir=ddb_dir, template_path=settings.template_path, host=settings.host,
            log_to=logging.getLogger("localcloud.dynamodb"),
        )
        dynamodb_url: str = await loop.run_in_executor(None, self._dynamodb.start)
        LOG.info("DynamoDB ready at %s (data: %s)", dynamodb_url, ddb_dir or "in memory")

        # moto's SSM and SQS start while the language services do (each takes a second or two).
        refs = self._refs(template)
        moto = loop.run_in_executor(None, self._start_moto, template, refs)
        try:
            language_url = await self._start_language()
        finally:
            ssm_url, queues = await moto
        LOG.info("SSM Parameter Store (moderator secret) ready at %s", ssm_url)
        refs.update(queue_refs(queues))
        if queues:
            LOG.info("SQS ready at %s: %s", ssm_url, ", ".join(q.name for q in queues.values()))

        endpoints = self._endpoint_environment(dynamodb_url, language_url, ssm_url)
        chat_function = next(iter(sorted(set(websocket_api(template).routes.values()))))
        env = self._function_environment(template, chat_function, refs, endpoints)
        self._site_dir = self._prepare_site_dir()
        self._gateway = Gateway(
            template_path=settings.template_path,
            function_env=env,
            host=settings.host,
            port=settings.port,
            stage=settings.stage,
            workers=settings.workers,
            idle_timeout=settings.idle_timeout,
            max_duration=settings.max_duration,
            extra_routes=_static_site(self._site_dir),
            throttle=settings.stage_throttle,
        )
        await self._gateway.start()
        await self._start_triggers(template, queues, refs, endpoints)
        lambda_url = await self._start_lambda_api(template, env)
        await loop.run_in_executor(None, self._render_site, self._gateway.ws_url)

        self.urls = CloudUrls(
            page=self._gateway.http_url,
            websocket=self._gateway.ws_url,
            connections=self._gateway.connections_url,
            dynamodb=dynamodb_url,
            language=language_url,
            data_dir=str(settings.data_dir) if settings.data_dir else None,
            ssm=ssm_url,
            lambda_api=lambda_url,
            sqs=ssm_url,
        )
        return self.urls

    async def _start_language(self) -> str | None:
        """Offline Comprehend/Translate (their URL), or a check that real AWS can be reached."""
        if self.settings.real_aws:
            _require_aws_credentials()
            LOG.info("Comprehend and Translate: real AWS (%s)", REGION)
            return None
        from localcloud.language import LanguageServices

        self._language = LanguageServices(
            host=self.settings.host, log_to=logging.getLogger("localcloud.language")
        )
        url: str = await asyncio.get_running_loop().run_in_executor(None, self._language.start)
        LOG.info("Comprehend/Translate (offline) ready at %s", url)
        return url

    def _start_moto(
        self, template: dict[str, Any], refs: dict[str, Any]
    ) -> tuple[str, dict[str, QueueInfo]]:
        """moto's server with the moderator secret (SSM) and every queue of the template (SQS)."""
        url = self._start_ssm(template)
        if not any(r.get("Type") == "AWS::SQS::Queue" for r in template["Resources"].values()):
            return url, {}
        import boto3

        client = boto3.client(
            "sqs", endpoint_url=url, region_name=REGION, aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local endpoint ignores it
        )
        return url, create_queues(template, refs, client, stack_name=STACK_NAME)

    async def _start_triggers(
        self, template: dict[str, Any], queues: dict[str, QueueInfo], refs: dict[str, Any],
        endpoints: dict[str, str],
    ) -> None:
        """Run the functions the template's SQS events trigger, each with its own variables."""
        events = sqs_event_sources(template)
        if not events:
            return
        from localcloud.sqs_events import QueueTriggers

        endpoints = {
            **endpoints,
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": self._gateway.connections_url,
        }
        self._triggers = QueueTriggers(
            template=template,
            template_dir=self.settings.template_path.parent,
            events=events,
            queues=queues,
            function_env={
                e.function_id: self._function_environment(template, e.function_id, refs,
                                                          endpoints)
                for e in events
            },
            sqs_url=endpoints["AWS_ENDPOINT_URL_SQS"],
            region=REGION,
            account_id=ACCOUNT_ID,
            workers=self._gateway.workers,
        )
        await self._triggers.start()

    async def _start_lambda_api(self, template: dict[str, Any], env: dict[str, str]) -> str:
        """The Lambda Invoke API for the gateway's functions, signed with their credentials."""
        from localcloud.lambda_api import LambdaApi

        gateway, triggers = self._gateway, self._triggers
        queue_functions = set(triggers.functions) if triggers is not None else set()
        aliases = {
            fid: str(template["Resources"][fid]["Properties"].get("AutoPublishAlias", ""))
            for fid in [*gateway.functions, *sorted(queue_functions)]
        }

        async def invoke(function: str, event: dict[str, Any]) -> Any:
            if function in queue_functions:
                return await triggers.invoke_function(function, event)
            return await gateway.invoke_function(function, event)

        self._lambda_api = LambdaApi(
            invoke,
            aliases,
            credentials=(env.get("AWS_ACCESS_KEY_ID", "local"),
                         env.get("AWS_SECRET_ACCESS_KEY", "local")),
            region=REGION,
            host=self.settings.host,
        )
        return str(await self._lambda_api.start())

    def _start_ssm(self, template: dict[str, Any]) -> str:
        """moto's server for SSM (and SQS), with the moderator secret stored as a SecureString.

        The Lambda reads it exactly as in AWS (GetParameter, WithDecryption) at the URL it is
        given in ``AWS_ENDPOINT_URL_SSM``; nothing here is persisted: the secret comes from the
        command line or environment at every start.
        """
        import boto3

        self._ssm = _guarded_moto_server(self.settings.host)
        self._ssm.start()
        host, port = self._ssm.get_host_and_port()
        url = f"http://{host}:{port}"
        if self.settings.moderator_secret:
            name = _parameter_default(template, "ModeratorSecretParameterName")
            boto3.client(
                "ssm",
                endpoint_url=url,
                region_name=REGION,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - the local endpoint ignores it
            ).put_parameter(
                Name=name,
                Value=self.settings.moderator_secret,
                Type="SecureString",
                Overwrite=True,
            )
        return url

    async def stop(self) -> None:
        """Stop in reverse order: sockets closed and $disconnect run before the data is saved."""
        loop = asyncio.get_running_loop()
        if self._lambda_api is not None:
            await self._lambda_api.stop()
            self._lambda_api = None
        if self._triggers is not None:  # before the gateway: a delivery in flight can post
            await self._triggers.stop()
            self._triggers = None
        if self._gateway is not None:
            await self._gateway.stop()
            self._gateway = None
        if self._language is not None:
            await loop.run_in_executor(None, self._language.stop)
            self._language = None
        if self._ssm is not None:
            await loop.run_in_executor(None, self._ssm.stop)
            self._ssm = None
        if self._dynamodb is not None:
            await loop.run_in_executor(None, self._dynamodb.stop)
            self._dynamodb = None
        if self._site_dir is not None and self.settings.data_dir is None:
            shutil.rmtree(self._site_dir, ignore_errors=True)

    def _refs(self, template: dict[str, Any]) -> dict[str, Any]:
        """What the template's intrinsics resolve to locally (queues are added once created)."""
        refs: dict[str, Any] = dict(self._dynamodb.table_names)
        # Template parameters keep their defaults locally (the stage is set below).
        refs.update(
            {
                name: spec["Default"]
                for name, spec in (template.get("Parameters") or {}).items()
                if "Default" in spec
            }
        )
        refs.update(
            {
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::Partition": "aws",
                "AWS::StackName": STACK_NAME,
                "StageName": self.settings.stage,
            }
        )
        return refs

    def _function_environment(
        self, template: dict[str, Any], function_id: str, refs: dict[str, Any],
        endpoints: dict[str, str],
    ) -> dict[str, str]:
        """A function's variables from the template, then the local endpoints, then --env."""
        spec = function_spec(template, function_id, template_dir=self.settings.template_path.parent)
        env = spec.resolved_environment(refs)
        env.update(endpoints)
        env.update(dict(self.settings.extra_env))
        return env

    def _endpoint_environment(
        self, dynamodb_url: str, language_url: str | None, moto_url: str
    ) -> dict[str, str]:
        """What every local function gets besides its own variables: endpoints, credentials."""
        env = {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
            "AWS_ENDPOINT_URL_SSM": moto_url,
            "AWS_ENDPOINT_URL_SQS": moto_url,
            # No X-Ray daemon here; Powertools would otherwise try to reach one.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        if language_url is not None:
            env["AWS_ENDPOINT_URL_COMPREHEND"] = language_url
            env["AWS_ENDPOINT_URL_TRANSLATE"] = language_url
            # The offline stand-in judges every served language as written (Comprehend: 12), so
            # no message waits for an English translation that does not exist offline.
            env["SENTIMENT_LANGUAGES"] = ",".join(sorted(LOCAL_SENTIMENT_LANGUAGES))
            # The local endpoints accept any signature: never pick up someone's real keys.
            env["AWS_ACCESS_KEY_ID"] = "local"
            env["AWS_SECRET_ACCESS_KEY"] = "local"  # noqa: S105 - not a secret
        else:
            # Real Comprehend/Translate: pass the developer's credentials through; DynamoDB,
            # SSM, SQS and @connections stay local (their endpoints are set explicitly).
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                        "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
                if key in os.environ:
                    env[key] = os.environ[key]
        return env

    def _prepare_site_dir(self) -> Path:
        if self.settings.data_dir is not None:
            site = self.settings.data_dir / "site"
            shutil.rmtree(site, ignore_errors=True)
        else:
            import tempfile

            site = Path(tempfile.mkdtemp(prefix="positive-chat-site-"))
        site.mkdir(parents=True, exist_ok=True)
        return site

    def _render_site(self, ws_url: str) -> None:
        assert self._site_dir is not None
        from site_renderer.render import render_site

        render_site(self._site_dir, ws_url=ws_url, build_version="local")


def _static_site(site_dir: Path) -> Callable[[web.Application], None]:
    """Serve the rendered page at ``/`` with the cache headers the deploy uses."""

    def mount(app: web.Application) -> None:
        from aiohttp import web

        async def index(_request: web.Request) -> web.StreamResponse:
            return _file(site_dir / "index.html")

        async def page(request: web.Request) -> web.StreamResponse:
            name = request.match_info["name"]
            path = (site_dir / name).resolve()
            if site_dir.resolve() not in path.parents or not path.is_file():
                raise web.HTTPNotFound()
            return _file(path)

        def _file(path: Path) -> web.StreamResponse:
            if not path.is_file():
                raise web.HTTPNotFound()
            response = web.FileResponse(path)
            if path.suffix == ".html":
                response.headers["Cache-Control"] = "no-cache"
            else:
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
            return response

        app.router.add_get("/", index)
        app.router.add_get("/{name:[A-Za-z0-9._/-]+}", page)

    return mount


def _guarded_moto_server(host: str) -> Any:
    """moto's threaded server on a free port, with its ``/moto-api/`` control endpoints (reset,
    config...) and everything else behind ``localcloud.guard``: no web page can drive it."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    from localcloud.guard import guard_wsgi

    class QuietPolls(MotoRequestHandler):
        """No access line for a successful ReceiveMessage: the pollers make several a second."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            polled = self.headers.get("X-Amz-Target") == "AmazonSQS.ReceiveMessage"
            if not (polled and str(code) == "200"):
                super().log_request(code, size)

    class GuardedMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:  # moto's own, with the app wrapped
            app = guard_wsgi(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=QuietPolls
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return GuardedMotoServer(ip_address=host, port=0, verbose=False)


def _parameter_default(template: dict[str, Any], name: str) -> str:
    """The default value of a template parameter (KeyError if the template has none)."""
    return str(template["Parameters"][name]["Default"])


def _require_aws_credentials() -> None:
    import boto3

    if boto3.Session().get_credentials() is None:
        raise MissingCredentialsError(
            "--real-aws needs AWS credentials (environment, ~/.aws or a profile); none found"
        )
