"""Lambda: /v1/products, /v1/tax-rates, /v1/settings, /v1/pricing/preview."""

from billing.http.app import build_resolver
from billing.http.routers import catalog, pricing
from billing.observability import logger, metrics, tracer

app = build_resolver(catalog.router, pricing.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
