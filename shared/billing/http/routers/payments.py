"""Cards on file (/v1/customers/{id}/payment-methods), the payments ledger (/v1/payments) and the
tenant's Stripe connection (/v1/settings/stripe)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from billing.bootstrap import payment_method_service, payment_service, processor_connections
from billing.domain.access import Permission
from billing.http.caller import caller_of
from billing.http.contract import ApiRouter
from billing.http.idempotency import create_once
from billing.http.routers.common import Cursor, IdempotencyKey, Limit, created, created_response
from billing.http.schemas.common import ListPage, page_of
from billing.http.schemas.payments import (
    ChargeRequest,
    PaymentMethodList,
    PaymentOut,
    RefundRequest,
    SetupOut,
    SetupRequest,
    StripeConnectionOut,
    payment_method_out,
    payment_out,
)

router = ApiRouter()
METHODS, PAYMENTS, SETTINGS = ["Payment methods"], ["Payments"], ["Settings"]
StatusFilter = Annotated[
    Literal["pending", "succeeded", "failed", "refunded", "disputed"] | None, Query(description="Only this status")
]
CustomerFilter = Annotated[str | None, Query(max_length=40, description="Only this customer's payments")]


@router.post(
    "/v1/customers/<customer_id>/payment-methods/setup",
    tags=METHODS,
    summary="Start saving a card: a SetupIntent for Stripe.js",
    responses=created_response(SetupOut),
)
def setup_payment_method(
    customer_id: str, body: SetupRequest | None = None, idempotency_key: IdempotencyKey = None
) -> Response[SetupOut]:
    caller = caller_of(router)
    make_default = bool(body and body.make_default)

    def start() -> dict:
        session, account, processor_customer = payment_method_service().start_setup(
            caller, customer_id, make_default=make_default
        )
        return SetupOut(
            setup_intent_id=session.id,
            client_secret=session.client_secret,
            publishable_key=session.publishable_key,
            stripe_account=account,
            stripe_customer_id=processor_customer,
        ).model_dump(mode="json")

    request = {"make_default": make_default}
    return created(create_once(router, caller, idempotency_key, f"setup_payment_method:{customer_id}", request, start))


@router.get("/v1/customers/<customer_id>/payment-methods", tags=METHODS, summary="A customer's saved methods")
def list_payment_methods(customer_id: str) -> PaymentMethodList:
    methods = payment_method_service().list_methods(caller_of(router), customer_id)
    return PaymentMethodList(data=[payment_method_out(m) for m in methods])


@router.post(
    "/v1/customers/<customer_id>/payment-methods/<payment_method_id>/default",
    tags=METHODS,
    summary="Make a saved method the default for charges",
)
def set_default_payment_method(customer_id: str, payment_method_id: str) -> PaymentMethodList:
    methods = payment_method_service().set_default(caller_of(router), customer_id, payment_method_id)
    return PaymentMethodList(data=[payment_method_out(m) for m in methods])


@router.delete(
    "/v1/customers/<customer_id>/payment-methods/<payment_method_id>",
    tags=METHODS,
    summary="Remove a saved method (detached at Stripe)",
)
def delete_payment_method(customer_id: str, payment_method_id: str) -> Response[None]:
    payment_method_service().delete_method(caller_of(router), customer_id, payment_method_id)
    return Response(status_code=204)


@router.post(
    "/v1/payments",
    tags=PAYMENTS,
    summary="Charge a customer's card on file (off-session)",
    responses={
        **created_response(PaymentOut),
        402: {"description": "Declined: error with decline_code and payment_id"},
        404: {"description": "No such customer or payment method"},
    },
)
def create_payment(body: ChargeRequest, idempotency_key: IdempotencyKey = None) -> Response[PaymentOut]:
    caller = caller_of(router)
    return created(
        create_once(
            router,
            caller,
            idempotency_key,
            "create_payment",
            body.model_dump(mode="json"),
            lambda: payment_out(payment_service().charge(caller, body.charge(), idempotency_key)).model_dump(
                mode="json"
            ),
        )
    )


@router.get("/v1/payments", tags=PAYMENTS, summary="List payments")
def list_payments(
    status: StatusFilter = None, customer_id: CustomerFilter = None, limit: Limit = 25, cursor: Cursor = None
) -> ListPage[PaymentOut]:
    page = payment_service().ledger.list_payments(
        caller_of(router), status=status, customer_id=customer_id, limit=limit, cursor=cursor
    )
    return ListPage[PaymentOut](**page_of(page, payment_out))


@router.get("/v1/payments/<payment_id>", tags=PAYMENTS, summary="Get a payment")
def get_payment(payment_id: str) -> PaymentOut:
    return payment_out(payment_service().get_payment(caller_of(router), payment_id))


@router.post(
    "/v1/payments/<payment_id>/refund",
    tags=PAYMENTS,
    summary="Refund a payment, wholly or in part",
    description="Without a body, or without `amount`, refunds everything not refunded yet. Each request is "
    "its own refund; concurrent ones on one payment are made one after the other, and one that finds nothing "
    "left is a 409. With an `Idempotency-Key`, a retry answers the first refund instead of making another.",
)
def refund_payment(
    payment_id: str, body: RefundRequest | None = None, idempotency_key: IdempotencyKey = None
) -> PaymentOut:
    caller = caller_of(router)
    amount = body.amount if body else None
    request = body.model_dump(mode="json", exclude_unset=True) if body else {}

    def refund() -> dict:
        return payment_out(payment_service().refund(caller, payment_id, amount)).model_dump(mode="json")

    return PaymentOut.model_validate(
        create_once(router, caller, idempotency_key, f"refund_payment:{payment_id}", request, refund)
    )


@router.get("/v1/settings/stripe", tags=SETTINGS, summary="The tenant's connected Stripe account")
def get_stripe_connection() -> StripeConnectionOut:
    caller = caller_of(router)
    caller.require(Permission.READ)
    account = processor_connections().account_of(caller.tenant_id)
    return StripeConnectionOut(connected=account is not None, account_id=account)
