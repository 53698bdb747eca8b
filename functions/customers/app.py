"""Lambda: /v1/customers."""

from billing.bootstrap import customer_service
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import customers
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(customers.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, customer_service)
