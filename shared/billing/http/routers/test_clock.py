"""/v1/test-clock: a sandbox tenant's own clock, moved on day by day with its billing run."""

from __future__ import annotations

from billing.bootstrap import test_clock_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.routers.common import public_base
from billing.http.schemas.billing_runs import TestClockAdvance, TestClockOut
from billing.http.schemas.common import out

router = ApiRouter()
TAGS = ["Billing runs"]


@router.get(
    "/v1/test-clock",
    tags=TAGS,
    summary="Where the sandbox tenant's clock stands",
    description="Sandbox tenants only (a live tenant is answered 403).",
)
def get_test_clock() -> TestClockOut:
    return out(TestClockOut, test_clock_service().get(caller_of(router)))


@router.post(
    "/v1/test-clock/advance",
    tags=TAGS,
    summary="Move the sandbox tenant's clock on, running its billing for each day (admin)",
    description="Runs the tenant's billing (invoices, charges, retries, reminders, activations, expiries) on every "
    "day up to the date that has work, in order and on that day's date, then sets the clock to the date. "
    "Sandbox tenants only (a live tenant is answered 403).",
)
def advance_test_clock(body: TestClockAdvance) -> TestClockOut:
    return out(TestClockOut, test_clock_service().advance(caller_of(router), body.date, public_base(router)))
