"""/v1/billing-runs: start a tenant's run of a date by hand, and read what runs did."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from billing.bootstrap import billing_run_service
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.routers.common import Cursor, Limit, created, created_response, public_base
from billing.http.schemas.billing_runs import BillingRunOut, BillingRunStart
from billing.http.schemas.common import ListPage, out, page_of

router = ApiRouter()
TAGS = ["Billing runs"]


def _out(run) -> BillingRunOut:
    return out(BillingRunOut, run)


@router.post(
    "/v1/billing-runs",
    tags=TAGS,
    summary="Run the tenant's billing of a date now (admin)",
    description="Bills every subscription due on or before the date, each period once however often a run of "
    "the date is started; answers the run's record.",
    responses=created_response(BillingRunOut),
)
def start_billing_run(body: BillingRunStart | None = None) -> Response[BillingRunOut]:
    body = body or BillingRunStart()
    run = billing_run_service().start(caller_of(router), body.date, public_base(router))
    return created(_out(run).model_dump(mode="json"))


@router.get("/v1/billing-runs", tags=TAGS, summary="The tenant's billing runs, newest date first")
def list_billing_runs(limit: Limit = 25, cursor: Cursor = None) -> ListPage[BillingRunOut]:
    page = billing_run_service().list(caller_of(router), limit=limit, cursor=cursor)
    return ListPage[BillingRunOut](**page_of(page, _out))


@router.get("/v1/billing-runs/<run_id>", tags=TAGS, summary="One billing run's counts")
def get_billing_run(run_id: str) -> BillingRunOut:
    return _out(billing_run_service().get(caller_of(router), run_id))
