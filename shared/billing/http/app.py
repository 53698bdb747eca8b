"""Builds a handler's resolver: validation on, our error table, the routers it serves."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from billing.http.errors import register_error_handlers

API_TITLE = "Billow API"
API_VERSION = "1.0.0"


def build_resolver(*routers: APIGatewayHttpRouter) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    register_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app
