"""The API Gateway Management API (@connections) adapter.

This module owns posting bytes to one WebSocket connection and the endpoint rule: in AWS the
endpoint is ``https://{apiId}.execute-api.{region}.amazonaws.com/{stage}``, built from the event's
apiId (not domainName, so a custom domain does not break it); when the standard boto3 variable
``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` is set, boto3 uses that instead. A 410 Gone becomes
ConnectionGoneError; the modeled GoneException is caught before the generic ClientError it
subclasses, so stale connections are really pruned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from positive_chat.domain.errors import ConnectionGoneError

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

__all__ = ["ConnectionsApi", "ConnectionsApiFactory", "endpoint_for"]

logger = logging.getLogger(__name__)


def endpoint_for(api_id: str, region: str, stage: str) -> str:
    """The @connections endpoint of a WebSocket API stage."""
    return f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"


class ConnectionsApi:
    """Posts frames to connections of one API stage."""

    def __init__(self, client: ApiGatewayManagementApiClient) -> None:
        self._client = client

    def post(self, connection_id: str, data: bytes) -> None:
        """Send one frame; ConnectionGoneError when the socket is gone, ClientError otherwise."""
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except self._client.exceptions.GoneException as err:
            raise ConnectionGoneError(connection_id) from err
        except ClientError as err:
            # A client built outside the Management API model may not know the modeled class.
            if err.response.get("Error", {}).get("Code") == "GoneException":
                raise ConnectionGoneError(connection_id) from err
            raise

    def connected(self, connection_id: str) -> bool:
        """GetConnection: False when the connection is gone (410); True when it is there, and
        when the answer is anything else (a failing API must not make a live name claimable)."""
        try:
            self._client.get_connection(ConnectionId=connection_id)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in ("GoneException", "NotFoundException"):
                return False
            logger.warning("GetConnection failed", extra={"error_code": code})
        return True


class ConnectionsApiFactory:
    """One ConnectionsApi per endpoint, created once per execution environment."""

    def __init__(
        self,
        make_client: Callable[[str | None], ApiGatewayManagementApiClient],
        *,
        region: str,
        endpoint_override: str | None = None,
        make_api: Callable[[ApiGatewayManagementApiClient], ConnectionsApi] | None = None,
    ) -> None:
        self._make_client = make_client
        self._make_api = make_api or ConnectionsApi
        self._region = region
        self._override = endpoint_override
        self._apis: dict[str | None, ConnectionsApi] = {}
        self._lock = threading.Lock()

    def for_stage(self, api_id: str, stage: str) -> ConnectionsApi:
        """The API of ``stage``; None is passed to ``make_client`` when boto3's variable rules."""
        endpoint = None if self._override else endpoint_for(api_id, self._region, stage)
        with self._lock:
            api = self._apis.get(endpoint)
            if api is None:
                api = self._apis[endpoint] = self._make_api(self._make_client(endpoint))
            return api
