"""What happened, as the services publish it after saving: facts others follow (the
subscription cycle, the receipts and admin notes, the invoices a refund reaches, and, later, the
tenant's outbound webhooks). A publisher never knows who listens; the composition root wires
that."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from billing.domain.customers import Customer
from billing.domain.invoices import Invoice
from billing.domain.payments import Payment, PaymentStatus
from billing.domain.subscriptions import Subscription


@dataclass(frozen=True)
class PaymentStatusChanged:
    """A payment's status changed (succeeded, failed, refunded in full, disputed), and was saved."""

    payment: Payment
    previous: PaymentStatus


@dataclass(frozen=True)
class PaymentRefunded:
    """A refund of a payment that was applied to invoices: they follow its applications."""

    payment: Payment


@dataclass(frozen=True)
class InvoicePaid:
    """An invoice was paid in full, however (charged, paid online, recorded by hand)."""

    invoice: Invoice


class RecordKind(StrEnum):
    CUSTOMER = "customer"
    INVOICE = "invoice"
    PAYMENT = "payment"
    SUBSCRIPTION = "subscription"


@dataclass(frozen=True)
class RecordChanged:
    """A customer, invoice, payment or subscription was saved with a change: ``change`` names it
    as the timeline entry written with it does (``invoice.finalized``, ``subscription.canceled``),
    ``<kind>.updated`` where the write names none, ``<kind>.deleted`` for a deletion (``record``
    is then the record as it was)."""

    kind: RecordKind
    change: str
    tenant_id: str
    record_id: str
    record: Customer | Invoice | Payment | Subscription


DomainEvent = PaymentStatusChanged | PaymentRefunded | InvoicePaid | RecordChanged
