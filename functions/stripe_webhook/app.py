"""Lambda: Stripe's webhook deliveries for every connected account (no JWT; signed by Stripe)."""

from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import stripe_webhook

app = build_resolver(stripe_webhook.router)
lambda_handler = lambda_handler_for(app)
