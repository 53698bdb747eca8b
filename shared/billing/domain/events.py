"""What happened, as the services publish it after saving: facts others follow (the
subscription cycle, the receipts and admin notes, the invoices a refund reaches, and, later, the
tenant's outbound webhooks). A publisher never knows who listens; the composition root wires
that."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.invoices import Invoice
from billing.domain.payments import Payment, PaymentStatus


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


DomainEvent = PaymentStatusChanged | PaymentRefunded | InvoicePaid
