"""Lambda: Stripe's webhook deliveries for every connected account (no JWT; signed by Stripe)."""

from billing.http.app import build_resolver
from billing.http.routers import stripe_webhook
from billing.observability import logger, metrics, tracer

app = build_resolver(stripe_webhook.router)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
