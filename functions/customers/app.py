"""Lambda: /v1/customers."""

from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import customers

app = build_resolver(customers.router)
lambda_handler = lambda_handler_for(app)
