"""Lambda: /v1/products, /v1/tax-rates, /v1/settings, /v1/pricing/preview, the console's
/v1/console/config and /v1/me, and /v1/sign-up and /v1/team."""

from billing.bootstrap import catalog_service, pricing_service
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import catalog, console, pricing, team
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(catalog.router, pricing.router, console.router, team.router, team.sign_up_router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, catalog_service, pricing_service)
