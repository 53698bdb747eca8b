"""Lambda: cards on file, /v1/payments and the tenant's Stripe connection."""

from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import payments

app = build_resolver(payments.router)
lambda_handler = lambda_handler_for(app)
