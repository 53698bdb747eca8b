"""Payments and payment methods (SPEC W1, W2, W4; the card-on-file half of S1/S4).

A payment's status is always derived from the processor's *current* state of the payment
(``ProcessorPayment``), never from which webhook arrived last, so events delivered twice or out
of order end in the same place."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from billing.domain.ids import new_id


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class PaymentMethod:
    """A card (or other method) saved at the processor for off-session charges."""

    id: str  # the processor's id (pm_...)
    customer_id: str
    type: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    created_at: datetime
    is_default: bool = False

    def describe(self) -> str:
        if self.type == "card":
            return f"{self.brand} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year})"
        if self.type == "sepa_debit":
            return f"SEPA Direct Debit •••• {self.last4}"
        return f"{self.type} •••• {self.last4}"


@dataclass(frozen=True)
class ProcessorPayment:
    """What the processor currently says about one payment (a PaymentIntent and its charge)."""

    reference: str  # pi_...
    status: str  # the processor's own status: succeeded, processing, requires_payment_method, ...
    amount: int
    currency: str
    charge_id: str | None = None
    amount_refunded: int = 0
    disputed: bool = False
    failure_code: str | None = None
    decline_code: str | None = None  # the issuer's reason of a card decline (stolen_card, ...)
    failure_message: str | None = None
    payment_method_id: str | None = None


def status_from_processor(state: ProcessorPayment) -> PaymentStatus:
    if state.disputed:
        return PaymentStatus.DISPUTED
    if state.amount_refunded and state.amount_refunded >= state.amount:
        return PaymentStatus.REFUNDED
    if state.status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if state.status in ("processing", "requires_capture", "requires_confirmation", "requires_action"):
        return PaymentStatus.PENDING
    if state.status in ("requires_payment_method", "canceled"):
        return PaymentStatus.FAILED if state.failure_code or state.status == "canceled" else PaymentStatus.PENDING
    return PaymentStatus.PENDING


@dataclass(frozen=True)
class Payment:
    tenant_id: str
    id: str
    customer_id: str
    amount: int
    currency: str
    status: PaymentStatus
    created_at: datetime
    updated_at: datetime
    method: str = ""  # e.g. "visa •••• 4242 (12/2029)"
    payment_method_id: str | None = None
    processor: str = "stripe"
    processor_payment_id: str | None = None  # pi_...
    processor_charge_id: str | None = None  # ch_...
    amount_refunded: int = 0
    failure_code: str | None = None
    decline_code: str | None = None  # the issuer's reason of a card decline: dunning retries none of the hard ones
    failure_message: str | None = None
    description: str = ""
    invoice_id: str | None = None  # the invoice it pays, when Billow charged it for one
    subscription_ids: tuple[str, ...] = ()  # the subscriptions whose first period it pays
    version: int = 0

    def following(self, state: ProcessorPayment, now: datetime) -> Payment:
        """This payment as the processor's current state says it is."""
        return replace(
            self,
            status=status_from_processor(state),
            processor_payment_id=state.reference or self.processor_payment_id,
            processor_charge_id=state.charge_id or self.processor_charge_id,
            amount_refunded=state.amount_refunded,
            failure_code=state.failure_code,
            decline_code=state.decline_code,
            failure_message=state.failure_message,
            updated_at=now,
        )


def new_payment(tenant_id: str, customer_id: str, amount: int, currency: str, now: datetime, **details) -> Payment:
    return Payment(
        tenant_id=tenant_id,
        id=new_id("payment"),
        customer_id=customer_id,
        amount=amount,
        currency=currency,
        status=PaymentStatus.PENDING,
        created_at=now,
        updated_at=now,
        **details,
    )


class PaymentDeclined(Exception):
    """The processor refused the charge (card declined, insufficient funds...)."""

    def __init__(self, code: str, decline_code: str | None, message: str, state: ProcessorPayment | None):
        super().__init__(message)
        self.code = code
        self.decline_code = decline_code
        self.message = message
        self.state = state


class AuthenticationRequired(PaymentDeclined):
    """The bank wants the buyer present (3-D Secure); an off-session charge cannot go on."""


class ProcessorUnavailable(Exception):
    """A network or processor fault: nothing is known to have happened; retry with the same key."""
