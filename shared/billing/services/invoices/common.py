"""What several invoice use cases share: the download link, Billow's own actor name, an
invoice's timeline entry, changing one invoice over the version read (alone, or together with a
ledger payment), and closing an invoice's open Checkout Session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billing.domain.errors import StaleWrite
from billing.domain.invoices import HistoryEntry, Invoice
from billing.domain.payments import Payment
from billing.domain.timeline import TimelineEvent, timeline_event
from billing.formatting import format_amount
from billing.observability import logger
from billing.ports import InvoiceRepository, PaymentGateway, PaymentRepository, ProcessorConnections
from billing.services.optimistic import SAVE_ATTEMPTS, change_with_retry

# What ``change`` answers: the changed invoice with its history and timeline entries (the
# invoice itself when there is nothing to change).
# A changed invoice with its history entry and timeline event (the invoice itself: nothing changed).
InvoiceChanged = tuple[Invoice, HistoryEntry | None, TimelineEvent | None]
InvoiceChange = Callable[[Invoice], InvoiceChanged]
# What ``decide`` answers for an invoice and a ledger payment: both changed, with the invoice's
# entries, or None for nothing to do.
LedgerDecided = tuple[Invoice, HistoryEntry | None, TimelineEvent | None, Payment | None] | None
LedgerDecision = Callable[[Invoice, Payment], LedgerDecided]


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


def invoice_event(invoice: Invoice, event_type: str, actor: str, summary: str, now: datetime) -> TimelineEvent:
    """The invoice's entry on its customer's timeline."""
    return timeline_event(
        invoice.customer_id, event_type, now, actor, summary, invoice_id=invoice.id, number=invoice.number
    )


def amount_of(invoice: Invoice) -> str:
    return format_amount(invoice.total, invoice.currency)


def changed_invoice(invoices: InvoiceRepository, tenant_id: str, invoice_id: str, change: InvoiceChange) -> Invoice:
    """Read, change and save over the version read; a concurrent change makes it read again."""
    return change_with_retry(
        lambda: invoices.get(tenant_id, invoice_id), change, invoices.save, f"invoice {invoice_id}"
    )


def with_ledger_payment(
    invoices: InvoiceRepository,
    payments: PaymentRepository,
    tenant_id: str,
    invoice_id: str,
    payment_id: str,
    decide: LedgerDecision,
) -> Invoice:
    """Read the invoice and the ledger payment, ``decide`` what becomes of both, and save both over
    the versions read in one write: racing applications of one payment read again, so together
    they never apply more than the payment is."""
    for _ in range(SAVE_ATTEMPTS):
        invoice = invoices.get(tenant_id, invoice_id)
        ledger = payments.get(tenant_id, payment_id)
        decided = decide(invoice, ledger)
        if decided is None:
            return invoice
        updated, entry, event, paid_from = decided
        try:
            return invoices.save(updated, entry, event, payment=paid_from)
        except StaleWrite:
            continue
    raise StaleWrite(f"invoice {invoice_id}")


@dataclass(frozen=True)
class CheckoutCloser:
    """Expires an invoice's open Checkout Session so it can no longer be paid (best effort: a
    payment that still arrives is kept in the ledger and put on the timeline to refund)."""

    gateway: PaymentGateway
    connections: ProcessorConnections

    def close(self, invoice: Invoice) -> None:
        if not invoice.checkout_session_id:
            return
        account = self.connections.account_of(invoice.tenant_id)
        if account is None:
            return
        try:
            self.gateway.expire_checkout(account, invoice.checkout_session_id)
        except Exception:  # the void or edit stands; the session expires by itself within 24 hours
            logger.exception("expiring checkout session %s failed", invoice.checkout_session_id)
