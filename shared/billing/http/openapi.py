"""The whole API's OpenAPI document, from Powertools' own generator over every router."""

from __future__ import annotations

import json
from functools import cache

from billing.http.app import API_TITLE, API_VERSION, build_resolver
from billing.http.contract import complete_document


@cache
def openapi_document() -> str:
    from billing.http.routers import (
        billing_runs,
        catalog,
        console,
        credit_notes,
        customers,
        datev,
        hosted,
        hosted_subscription,
        invoices,
        payments,
        pricing,
        stripe_connect,
        stripe_webhook,
        subscriptions,
        team,
        test_clock,
    )

    app = build_resolver(
        customers.router,
        catalog.router,
        console.router,
        team.router,
        team.sign_up_router,
        pricing.router,
        invoices.router,
        credit_notes.router,
        datev.router,
        hosted.router,
        subscriptions.router,
        hosted_subscription.router,
        billing_runs.router,
        test_clock.router,
        payments.router,
        stripe_connect.router,
        stripe_connect.callback_router,
        stripe_webhook.router,
    )
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    document = app.get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerAuth": []}],
        description="Subscription billing and invoicing. Authenticate with `Authorization: Bearer <JWT>`.",
    )
    return json.dumps(complete_document(json.loads(document)), indent=2)


def swagger_page() -> str:
    """Swagger UI with the assets Powertools ships inlined, so /docs works with no network."""
    from pathlib import Path

    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    return generate_swagger_html(
        spec=openapi_document().replace("</", "<\\/"),
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
        persist_authorization=True,
    )
