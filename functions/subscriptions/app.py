"""Lambda: /v1/subscriptions (the create-subscription handler)."""

from billing.http.app import build_resolver, lambda_handler_for
from billing.http.dependencies import subscription_service
from billing.http.routers import subscriptions
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(subscriptions.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, subscription_service)
