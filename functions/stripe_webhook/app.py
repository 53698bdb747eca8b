"""Lambda: Stripe's webhook deliveries for every connected account (no JWT; signed by Stripe)."""

from billing.bootstrap import stripe_event_service
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import stripe_webhook
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(stripe_webhook.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, stripe_event_service)
