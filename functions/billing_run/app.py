"""Lambda: /v1/billing-runs (the nightly billing run, started by hand) and a sandbox tenant's
/v1/test-clock."""

from billing.bootstrap import billing_run_service
from billing.http.app import build_resolver, lambda_handler_for
from billing.http.routers import billing_runs, test_clock
from billing.http.snapstart import prime_on_snapshot

app = build_resolver(billing_runs.router, test_clock.router)
lambda_handler = lambda_handler_for(app)
prime_on_snapshot(app, billing_run_service)
