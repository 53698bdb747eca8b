"""Payments and payment methods.

A payment's status is always derived from the processor's *current* state of the payment
(``ProcessorPayment``), never from which webhook arrived last, so events delivered twice or out
of order end in the same place."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from billing.domain.errors import Conflict, ValidationFailed
from billing.domain.ids import new_id

# A refund claim older than this was left by a request that died: Stripe's state decides it.
REFUND_CLAIM_LIFETIME = timedelta(seconds=60)
# The shape of a Stripe Checkout Session id: what a buyer's return may carry before we ask Stripe.
CHECKOUT_SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")


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
    bank_code: str = ""  # a SEPA account's bank (BLZ); it has no brand and no expiry
    country: str = ""  # a SEPA account's country (of its IBAN)
    mandate_reference: str = ""  # a SEPA account's mandate, as the debits and the buyer's bank name it

    def describe(self) -> str:
        if self.type == "card":
            return f"{self.brand} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year})"
        if self.type == "sepa_debit":
            bank = f", bank {self.bank_code}" if self.bank_code else ""
            return f"SEPA Direct Debit {self.country} •••• {self.last4}{bank}".replace("  ", " ")
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
class PaymentApplication:
    """The part of a payment applied to one invoice, and how much of that part a refund gave back
    (``credited``: of that, what the invoice's credit notes refunded on purpose)."""

    invoice_id: str
    amount: int
    applied_at: datetime
    refunded: int = 0
    credited: int = 0

    @property
    def standing(self) -> int:
        return self.amount - self.refunded


@dataclass(frozen=True)
class RefundClaim:
    """A refund being made right now. One at a time per payment: the claim is saved over the
    payment's version before Stripe is asked, so concurrent refund requests are serialised and
    each is its own refund at Stripe (the claim's id is its idempotency key)."""

    id: str
    amount: int
    refunded_before: int  # the payment's amount_refunded when the claim was made
    started_at: datetime

    def stale(self, now: datetime) -> bool:
        return now - self.started_at > REFUND_CLAIM_LIFETIME


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
    applications: tuple[PaymentApplication, ...] = ()  # the invoices it pays, and how much of each
    refund_claim: RefundClaim | None = None
    version: int = 0

    @property
    def amount_applied(self) -> int:
        """What the invoices it was applied to hold of it, after refunds."""
        return sum(a.standing for a in self.applications)

    @property
    def amount_unapplied(self) -> int:
        """What is left to apply: never more than the payment less its refunds and applications."""
        return max(self.amount - self.amount_refunded - self.amount_applied, 0)

    @property
    def amount_credited(self) -> int:
        """What credit notes refunded of it on purpose (counted as soon as the note is made)."""
        return sum(a.credited for a in self.applications)

    @property
    def refundable(self) -> int:
        return self.amount - max(self.amount_refunded, self.amount_credited)

    def following(self, state: ProcessorPayment, now: datetime) -> Payment:
        """This payment as the processor's current state says it is; its refunds reach the
        invoices it was applied to (see ``refunds_spread``)."""
        followed = replace(
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
        return refunds_spread(followed)


def refunds_spread(payment: Payment) -> Payment:
    """Which applications a payment's refunds took back: a credit note's refund its own invoice's;
    any other refund first the part never applied to an invoice, then the latest applications
    before earlier ones. Worked out from the payment's total refunded each time, so a refund
    reported twice, or out of order, spreads the same."""
    never_applied = payment.amount - sum(a.amount for a in payment.applications)
    left = max(payment.amount_refunded - payment.amount_credited - never_applied, 0)
    spread = []
    for application in reversed(payment.applications):
        taken = min(application.amount - application.credited, left)
        left -= taken
        spread.append(replace(application, refunded=application.credited + taken))
    applications = tuple(reversed(spread))
    return payment if applications == payment.applications else replace(payment, applications=applications)


def applied_to(payment: Payment, invoice_id: str, amount: int | None, amount_due: int, now: datetime) -> Payment:
    """The payment with ``amount`` of it (by default all that is left, up to what the invoice
    still needs) applied to an invoice. A payment is applied at most once in total: split over
    invoices as wished, never more than it is (less its refunds); once to each invoice."""
    if payment.status is not PaymentStatus.SUCCEEDED:
        raise ValidationFailed.of("payment_id", f"the payment is {payment.status.value}, not succeeded")
    if any(a.invoice_id == invoice_id for a in payment.applications):
        raise Conflict(f"payment {payment.id} is already applied to this invoice")
    left = payment.amount_unapplied
    if left <= 0:
        held_by = ", ".join(a.invoice_id for a in payment.applications if a.standing > 0)
        why = f"applied in full to invoice {held_by}" if held_by else "refunded"
        raise Conflict(f"payment {payment.id} has nothing left to apply: it is {why}")
    if amount is None:
        amount = min(left, amount_due)
    elif amount > left:
        raise ValidationFailed.of("amount", f"exceeds what is left of payment {payment.id} to apply ({left})")
    application = PaymentApplication(invoice_id=invoice_id, amount=amount, applied_at=now)
    return refunds_spread(replace(payment, applications=(*payment.applications, application), updated_at=now))


def without_application(payment: Payment, invoice_id: str, now: datetime) -> Payment:
    """The payment once an invoice gave its part back (the application removed from the invoice)."""
    remaining = tuple(a for a in payment.applications if a.invoice_id != invoice_id)
    return refunds_spread(replace(payment, applications=remaining, updated_at=now))


def credit_refunded(payment: Payment, invoice_id: str, amount: int, now: datetime) -> Payment:
    """The payment once a credit note of ``invoice_id`` refunds ``amount`` of that invoice's part."""
    applications = tuple(
        replace(a, credited=a.credited + amount) if a.invoice_id == invoice_id else a for a in payment.applications
    )
    return refunds_spread(replace(payment, applications=applications, updated_at=now))


def refund_claimed(payment: Payment, amount: int | None, now: datetime) -> tuple[Payment, RefundClaim]:
    """A refund of ``amount`` (everything not refunded yet when None) claimed on the payment."""
    remaining = payment.refundable
    if payment.status is PaymentStatus.REFUNDED or (payment.status is PaymentStatus.SUCCEEDED and remaining <= 0):
        raise Conflict(f"payment {payment.id} is refunded in full; nothing is left to refund")
    if payment.status is not PaymentStatus.SUCCEEDED or not payment.processor_payment_id:
        raise Conflict(f"only a succeeded payment can be refunded; this one is {payment.status.value}")
    if amount is not None and not 0 < amount <= remaining:
        raise ValidationFailed.of("amount", f"must be 1 to {remaining}")
    claim = RefundClaim(new_id("refund"), amount or remaining, payment.amount_refunded, now)
    return replace(payment, refund_claim=claim), claim


@dataclass(frozen=True)
class Charge:
    """A charge of a customer's payment method on file (its default unless one is named), for an
    invoice or a subscription's first payment, or on its own."""

    customer_id: str
    amount: int
    currency: str
    payment_method_id: str | None = None
    description: str = ""
    invoice_id: str | None = None
    subscription_ids: tuple[str, ...] = ()


def new_payment(tenant_id: str, customer_id: str, amount: int, currency: str, now: datetime, **details: Any) -> Payment:
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
