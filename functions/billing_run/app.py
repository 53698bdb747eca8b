"""Lambda: /v1/billing-runs (the nightly billing run, started by hand)."""

from billing.http.app import build_resolver, lambda_handler_for
from billing.http.dependencies import billing_run_service
from billing.http.routers import billing_runs
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(billing_runs.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, billing_run_service)
