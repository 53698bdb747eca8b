"""A customer's credit balance: what credit notes kept as credit, used first by the customer's
next invoices in that currency (before any charge), shown on them as a payment from the balance."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, StaleWrite
from billing.domain.events import InvoicePaid
from billing.domain.invoices import (
    Invoice,
    InvoiceStatus,
    PaymentSource,
    history_entry,
    new_invoice_payment,
    with_payment,
)
from billing.domain.timeline import SYSTEM_ACTOR, timeline_event
from billing.formatting import format_amount
from billing.ports import Clock, CreditNoteRepository, CustomerRepository, EventPublisher, InvoiceRepository
from billing.services.optimistic import SAVE_ATTEMPTS

CREDIT_BALANCE_METHOD = "credit balance"


@dataclass(frozen=True)
class CreditBalances:
    notes: CreditNoteRepository
    invoices: InvoiceRepository
    customers: CustomerRepository
    events: EventPublisher
    clock: Clock

    def of(self, caller: Caller, customer_id: str) -> dict[str, int]:
        """The customer's credit per currency."""
        caller.require(Permission.READ)
        self.customers.get(caller.tenant_id, customer_id)  # NotFound for another tenant's customer
        return self.notes.balances(caller.tenant_id, customer_id)

    def use(self, invoice: Invoice) -> Invoice:
        """What the customer's credit in the invoice's currency pays of it, taken off the balance in
        the same write; the invoice as it stands after (as it was when there is no credit)."""
        for _ in range(SAVE_ATTEMPTS):
            if not invoice.status.collectable or invoice.amount_due <= 0:
                return invoice
            balance = self.notes.balances(invoice.tenant_id, invoice.customer_id).get(invoice.currency, 0)
            if balance <= 0:
                return invoice
            now = self.clock.now()
            amount = min(balance, invoice.amount_due)
            payment = new_invoice_payment(
                amount, now.date(), PaymentSource.CREDIT_BALANCE, now, SYSTEM_ACTOR, method=CREDIT_BALANCE_METHOD
            )
            updated = with_payment(invoice, payment, now)
            summary = f"{format_amount(amount, invoice.currency)} of the customer's credit used"
            entry = history_entry(invoice.id, "credit_used", now, SYSTEM_ACTOR, summary, payment=payment.id)
            event = timeline_event(
                invoice.customer_id,
                "invoice.credit_used",
                now,
                SYSTEM_ACTOR,
                f"Invoice {invoice.number}: {summary}",
                invoice_id=invoice.id,
                number=invoice.number,
            )
            try:
                saved = self.notes.use_balance(updated, entry, event, amount)
            except (StaleWrite, Conflict):
                invoice = self.invoices.get(invoice.tenant_id, invoice.id)
                continue
            if saved.status is InvoiceStatus.PAID:
                self.events.publish(InvoicePaid(saved))
            return saved
        return invoice
