"""Lambda: cards on file, /v1/payments and the tenant's Stripe connection."""

from billing.http.app import build_resolver
from billing.http.routers import payments
from billing.observability import logger, metrics, tracer

app = build_resolver(payments.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
