"""Lambda: /v1/products, /v1/tax-rates, /v1/settings, /v1/pricing/preview, and the console's
/v1/console/config and /v1/me."""

from billing.bootstrap import catalog_service, pricing_service
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import catalog, console, pricing
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(catalog.router, pricing.router, console.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, catalog_service, pricing_service)
