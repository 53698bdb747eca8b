"""Lambda: cards on file, /v1/payments and the tenant's Stripe connection (Connect OAuth)."""

from billing.bootstrap import payment_method_service, payment_service, stripe_connect_service
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import payments, stripe_connect
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(payments.router, stripe_connect.router, stripe_connect.callback_router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, payment_method_service, payment_service, stripe_connect_service)
