"""Builds a handler's resolver: validation on, our error table, the routers it serves."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.http.errors import register_error_handlers

API_TITLE = "Billow API"
API_VERSION = "1.0.0"


def lambda_handler_for(app: APIGatewayHttpResolver) -> Callable[[dict, object], dict]:
    """The Lambda entry point of a resolver: structured logs with the request id, tracing, metrics."""
    from billing.observability import logger, metrics, tracer

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict, context) -> dict:
        return app.resolve(event, context)

    return lambda_handler


def build_resolver(*routers: APIGatewayHttpRouter) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app
