"""Builds a handler's resolver: validation on, our error table, the routers it serves."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.http.errors import api_gateway_error, register_error_handlers

API_TITLE = "Billow API"
API_VERSION = "1.0.0"
JSON_MEDIA_TYPE = "application/json"


def _media_type_refusal(headers: dict) -> str | None:
    """Why a body's Content-Type is not JSON in UTF-8 (media types are case-insensitive), or None."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != JSON_MEDIA_TYPE:
        return f"send the body as {JSON_MEDIA_TYPE}, not {media_type or 'without a Content-Type'}"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return "a JSON body must be UTF-8"
    return None


def readable_request(event: dict) -> tuple[dict | None, dict | None]:
    """The event with its body as UTF-8 text, or the 400/415 answer to a body that is neither JSON
    by its media type nor UTF-8. Checked before routing, so no handler ever sees such a body."""
    body = event.get("body")
    if not body:
        return event, None
    refusal = _media_type_refusal(event.get("headers") or {})
    if refusal:
        return None, api_gateway_error(415, "unsupported_media_type", refusal)
    # Powertools compares the media type case-sensitively: hand it the canonical spelling.
    headers = {k: v for k, v in event["headers"].items() if k.lower() != "content-type"}
    headers["content-type"] = JSON_MEDIA_TYPE
    if not event.get("isBase64Encoded"):
        return {**event, "headers": headers}, None
    try:
        text = base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, api_gateway_error(400, "invalid_body", "the request body is not UTF-8 text")
    return {**event, "headers": headers, "body": text, "isBase64Encoded": False}, None


def lambda_handler_for(app: APIGatewayHttpResolver) -> Callable[[dict, object], dict]:
    """The Lambda entry point of a resolver: structured logs with the request id, tracing, metrics."""
    from billing.observability import logger, metrics, tracer

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        readable, refusal = readable_request(event)
        if refusal:
            return refusal
        assert readable is not None  # readable_request answers the event or a refusal, never neither
        from billing.bootstrap import events
        from billing.clock import clock_at

        # A sandbox caller's test clock is set for its request alone; the request is a unit of
        # work: what its use case sets off is followed once the use case is done.
        with clock_at(None), events().unit():
            return app.resolve(readable, context)

    return lambda_handler


def build_resolver(*routers: APIGatewayHttpRouter) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app
