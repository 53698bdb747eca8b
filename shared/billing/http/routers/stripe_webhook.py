"""POST /v1/webhooks/stripe: outside the JWT authorizer; Stripe's signature is the credential.
A delivery that does not verify is answered 400 by the error table before anything is read."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from billing.http.dependencies import stripe_event_service
from billing.observability import logger

router = APIGatewayHttpRouter()


class ReceiptOut(BaseModel):
    received: bool
    event_id: str
    outcome: str


@router.post("/v1/webhooks/stripe", tags=["Webhooks"], summary="Stripe event deliveries (signed)")
def receive_stripe_event() -> ReceiptOut:
    event = router.current_event
    receipt = stripe_event_service().receive(event.decoded_body or "", event.headers.get("stripe-signature"))
    logger.info("stripe event", extra={"event_id": receipt.event_id, "outcome": receipt.outcome})
    return ReceiptOut(received=True, event_id=receipt.event_id, outcome=receipt.outcome)
