"""Lambda: /v1/products, /v1/tax-rates, /v1/settings, /v1/pricing/preview."""

from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import catalog, pricing

app = build_resolver(catalog.router, pricing.router)
lambda_handler = lambda_handler_for(app)
