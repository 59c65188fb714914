#!/usr/bin/env bash
# Cold cost of reading one WebSocket event: Powertools parser model vs GatewayEvent, each in a
# fresh interpreter after positive_chat.app is imported (what a cold start already pays).
cd /work/wt-arch-backend
EV='{"requestContext":{"eventType":"MESSAGE","connectionId":"c","apiId":"a","stage":"s","requestId":"r","routeKey":"$default","messageId":"m","extendedRequestId":"x","requestTime":"20/Jan/2024:11:55:00 +0000","messageDirection":"IN","connectedAt":1,"requestTimeEpoch":2,"identity":{"sourceIp":"1.2.3.4"},"domainName":"d"},"body":"{}","isBase64Encoded":false}'
PT='import json,time,positive_chat.app as _; ev=json.loads(EV); t=time.perf_counter(); from aws_lambda_powertools.utilities.parser.models import APIGatewayWebSocketMessageEventModel as M; M.model_validate(ev); print((time.perf_counter()-t)*1000)'
GW='import json,time,positive_chat.app as _; ev=json.loads(EV); t=time.perf_counter(); from positive_chat.protocol.gateway_event import GatewayEvent; GatewayEvent.of(ev); print((time.perf_counter()-t)*1000)'
for i in $(seq "${1:-15}"); do
  echo "powertools $(POWERTOOLS_TRACE_DISABLED=true .venv/bin/python -c "EV='''$EV'''; $PT")"
  echo "gateway $(POWERTOOLS_TRACE_DISABLED=true .venv/bin/python -c "EV='''$EV'''; $GW")"
done
