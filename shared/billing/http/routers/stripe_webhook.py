"""POST /v1/webhooks/stripe: outside the JWT authorizer; Stripe's signature is the credential."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from billing.domain.errors import BadRequest
from billing.http.dependencies import stripe_event_service
from billing.observability import logger
from billing.ports import InvalidSignature

router = APIGatewayHttpRouter()


class ReceiptOut(BaseModel):
    received: bool
    event_id: str
    outcome: str


@router.post("/v1/webhooks/stripe", tags=["Webhooks"], summary="Stripe event deliveries (signed)")
def receive_stripe_event() -> ReceiptOut:
    event = router.current_event
    try:
        receipt = stripe_event_service().receive(event.decoded_body or "", event.headers.get("stripe-signature"))
    except InvalidSignature as error:
        logger.warning("rejected a Stripe delivery: %s", error)
        raise BadRequest("the Stripe-Signature header does not verify") from None
    logger.info("stripe event", extra={"event_id": receipt.event_id, "outcome": receipt.outcome})
    return ReceiptOut(received=True, event_id=receipt.event_id, outcome=receipt.outcome)
