"""Lambda: /v1/subscriptions (the create-subscription handler) and the buyer's payment-method page /s/{token}."""

from billing.bootstrap import subscription_cases
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import hosted_subscription, subscriptions
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(subscriptions.router, hosted_subscription.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, subscription_cases)
