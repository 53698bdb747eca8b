"""POST /v1/webhooks/stripe: outside the JWT authorizer; Stripe's signature is the credential.
A delivery that does not verify is answered 400 by the error table before anything is read."""

from __future__ import annotations

from pydantic import BaseModel

from billing.bootstrap import stripe_event_service
from billing.http.contract import ApiRouter
from billing.observability import logger

router = ApiRouter(public=True)


class ReceiptOut(BaseModel):
    received: bool
    event_id: str
    outcome: str


@router.post(
    "/v1/webhooks/stripe",
    tags=["Webhooks"],
    summary="Stripe event deliveries (signed)",
    responses={
        200: {"description": "Received: processed, a duplicate, or acknowledged and ignored"},
        400: {
            "description": "The Stripe-Signature does not verify (invalid_signature), the body is not UTF-8, "
            "or the signed payload is not an event (invalid_event)"
        },
        415: {"description": "The body is not application/json"},
    },
)
def receive_stripe_event() -> ReceiptOut:
    event = router.current_event
    receipt = stripe_event_service().receive(event.decoded_body or "", event.headers.get("stripe-signature"))
    logger.info("stripe event", extra={"event_id": receipt.event_id, "outcome": receipt.outcome})
    return ReceiptOut(received=True, event_id=receipt.event_id, outcome=receipt.outcome)
