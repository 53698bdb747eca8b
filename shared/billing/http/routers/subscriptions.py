"""/v1/subscriptions."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from billing.bootstrap import subscription_cases
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.idempotency import create_once
from billing.http.routers.common import (
    Cursor,
    DateFilter,
    IdempotencyKey,
    Limit,
    created,
    created_export,
    created_response,
    public_base,
    status_query,
)
from billing.http.schemas.common import ListPage, page_of
from billing.http.schemas.customers import ExportOut
from billing.http.schemas.pricing import PreviewOut, PreviewRequest, preview_out
from billing.http.schemas.subscriptions import (
    CancelRequest,
    CreatedSubscriptionsOut,
    PaymentMethodLinkOut,
    SubscriptionCanceledOut,
    SubscriptionCreate,
    SubscriptionExportRequest,
    SubscriptionOut,
    SubscriptionUpdate,
    subscription_canceled_out,
    subscription_out,
)

router = ApiRouter()
TAGS = ["Subscriptions"]
STATUSES = ("scheduled", "active", "unpaid", "canceled", "expired")
StatusFilter = Annotated[str | None, status_query(STATUSES, "unpaid,scheduled")]
PAYMENT_REQUIRED: dict[int, OpenAPIResponse] = {
    402: {"description": "AutoPay's first payment was declined: choose or add another method"}
}


@router.post(
    "/v1/subscriptions/preview",
    tags=TAGS,
    summary="What the buyer will pay: the subscriptions, the first payment and the schedule (writes nothing)",
)
def preview_subscriptions(body: PreviewRequest) -> PreviewOut:
    return preview_out(subscription_cases().creation.preview(caller_of(router), body.order()))


@router.post(
    "/v1/subscriptions",
    tags=TAGS,
    summary="Create subscriptions for a customer (AutoPay or invoices)",
    description="Lines with the same frequency, start and number of payments form one subscription. With AutoPay "
    "a first payment due now is charged before anything is created: a decline is a 402 and creates nothing.",
    responses={**created_response(CreatedSubscriptionsOut), **PAYMENT_REQUIRED},
)
def create_subscriptions(
    body: SubscriptionCreate, idempotency_key: IdempotencyKey = None
) -> Response[CreatedSubscriptionsOut]:
    caller = caller_of(router)
    order = body.order()
    base = public_base(router)

    def make() -> dict:
        cases = subscription_cases()
        made = cases.creation.create(caller, order, idempotency_key, base)
        answered = [subscription_out(s, [i.id for i in cases.queries.invoices_of(caller, s)]) for s in made]
        return CreatedSubscriptionsOut(data=answered).model_dump(mode="json")

    return created(
        create_once(router, caller, idempotency_key, "create_subscriptions", body.model_dump(mode="json"), make)
    )


@router.get("/v1/subscriptions", tags=TAGS, summary="List subscriptions, newest first, with filters that combine")
def list_subscriptions(
    status: StatusFilter = None,
    customer_id: Annotated[str | None, Query(max_length=40)] = None,
    product_id: Annotated[
        str | None, Query(max_length=40, description="Subscriptions with a line of this product")
    ] = None,
    collection_method: Annotated[str | None, Query(pattern="^(charge_automatically|send_invoice)$")] = None,
    next_payment_from: DateFilter = None,
    next_payment_to: DateFilter = None,
    created_from: DateFilter = None,
    created_to: DateFilter = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> ListPage[SubscriptionOut]:
    service = subscription_cases().queries
    where = service.filter(
        statuses=tuple(status.split(",")) if status else (),
        customer_id=customer_id,
        product_id=product_id,
        collection_method=collection_method,
        next_from=next_payment_from,
        next_to=next_payment_to,
        created_from=created_from,
        created_to=created_to,
    )
    page = service.list(caller_of(router), where, limit=limit, cursor=cursor)
    return ListPage[SubscriptionOut](**page_of(page, subscription_out))


@router.post(
    "/v1/subscriptions/export",
    tags=TAGS,
    summary="Export subscriptions as XLSX or CSV (a link valid 30 days)",
    responses=created_response(ExportOut),
)
def export_subscriptions(body: SubscriptionExportRequest | None = None) -> Response[ExportOut]:
    body = body or SubscriptionExportRequest()
    service = subscription_cases().queries
    where = service.filter(
        statuses=tuple(body.status),
        customer_id=body.customer_id,
        product_id=body.product_id,
        collection_method=body.collection_method,
        ids=tuple(body.ids),
    )
    export = subscription_cases().export.export(caller_of(router), where, body.format)
    return created_export(export)


@router.get("/v1/subscriptions/<subscription_id>", tags=TAGS, summary="A subscription with its lines and invoices")
def get_subscription(subscription_id: str) -> SubscriptionOut:
    service = subscription_cases().queries
    caller = caller_of(router)
    subscription = service.get(caller, subscription_id)
    return subscription_out(subscription, [i.id for i in service.invoices_of(caller, subscription)])


@router.patch(
    "/v1/subscriptions/<subscription_id>",
    tags=TAGS,
    summary="Edit lines (from the next period), the next payment date, the payment method or the address",
)
def update_subscription(subscription_id: str, body: SubscriptionUpdate) -> SubscriptionOut:
    return subscription_out(subscription_cases().edits.update(caller_of(router), subscription_id, body.changes()))


@router.post(
    "/v1/subscriptions/<subscription_id>/cancel",
    tags=TAGS,
    summary="Cancel now, at the end of the period, or now with the unused days refunded",
    description="The body must confirm (confirm: true). A period paid by hand, or a bank debit still pending, "
    "is not refunded: 409 with the reason. A refund is made by a credit note of the period's invoice, which the "
    "answer names with the amount refunded.",
)
def cancel_subscription(subscription_id: str, body: CancelRequest) -> SubscriptionCanceledOut:
    cancellation = subscription_cases().cancellation
    canceled = cancellation.cancel(caller_of(router), subscription_id, body.mode, confirm=body.confirm)
    return subscription_canceled_out(canceled)


@router.post(
    "/v1/subscriptions/<subscription_id>/payment-method-link",
    tags=TAGS,
    summary="Email the buyer a link to a page where they save a new card or bank account",
    description="The page (/s/{token}, outside the authorizer) saves the method through Stripe Checkout in setup "
    "mode on the tenant's account; it becomes the subscription's method. The link expires after 7 days.",
    responses=created_response(PaymentMethodLinkOut),
)
def send_payment_method_link(subscription_id: str) -> Response[PaymentMethodLinkOut]:
    link = subscription_cases().payment_methods.links.payment_method_link(
        caller_of(router), subscription_id, public_base(router)
    )
    return created(
        PaymentMethodLinkOut(url=link.url, expires_at=link.expires_at, sent_to=link.sent_to).model_dump(mode="json")
    )


@router.delete(
    "/v1/subscriptions/<subscription_id>",
    tags=TAGS,
    summary="Delete a canceled or expired subscription, for good",
)
def delete_subscription(subscription_id: str) -> Response[None]:
    subscription_cases().cancellation.delete(caller_of(router), subscription_id)
    return Response(status_code=204)
