"""What a payment's outcome does to subscriptions: a payment Billow took for a subscription's
invoice (or its first payment) succeeded, failed, was refunded or disputed at the processor; a
subscription's invoice was paid in full, however. Each is followed once, whatever the order the
outcomes arrive in."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.errors import NotFound
from billing.domain.invoices import Invoice
from billing.domain.payments import Payment, PaymentStatus
from billing.domain.timeline import SYSTEM_ACTOR, timeline_event
from billing.ports import Clock, CustomerRepository, SubscriptionRepository
from billing.services.invoices import Invoicing
from billing.services.subscriptions.common import period_paid, system_caller
from billing.services.subscriptions.dunning import Dunning


@dataclass(frozen=True)
class SubscriptionPaymentOutcomes:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    invoicing: Invoicing
    dunning: Dunning
    clock: Clock

    def payment_changed(self, payment: Payment, previous: PaymentStatus, hosted_base: str = "") -> None:
        """A payment Billow took for a subscription's invoice changed at the processor (a bank debit
        succeeded or failed days later, a card charge answered): the invoice and the subscription
        follow."""
        if payment.status == previous or payment.status is PaymentStatus.PENDING:
            return
        if payment.status in (PaymentStatus.REFUNDED, PaymentStatus.DISPUTED):
            self._money_returned(payment)
            return
        invoices: list[Invoice | None] = []
        if payment.invoice_id:
            invoices.append(self._invoice_or_none(payment.tenant_id, payment.invoice_id))
        for subscription_id in payment.subscription_ids:  # a first payment, taken before the invoices
            invoices.append(self.invoicing.issuing.for_request(payment.tenant_id, f"{subscription_id}:0"))
            if invoices[-1] is None and payment.status is PaymentStatus.FAILED:
                self.dunning.payment_failed(
                    payment.tenant_id, subscription_id, 0, hosted_base, payment.id, payment.decline_code
                )
        for invoice in invoices:
            if invoice is None or invoice.subscription_id is None:
                continue
            if payment.status is PaymentStatus.FAILED:
                number = invoice.subscription_period or 0
                self.dunning.payment_failed(
                    payment.tenant_id, invoice.subscription_id, number, hosted_base, payment.id, payment.decline_code
                )
                continue
            # Paid: invoice_paid follows.
            self.invoicing.collection.apply_online_payment(payment.tenant_id, invoice.id, payment)

    def invoice_paid(self, invoice: Invoice) -> None:
        """The invoice of a period was paid in full (charged, paid online, or recorded by hand)."""
        if invoice.subscription_id and invoice.subscription_period is not None:
            try:
                period_paid(
                    self.subscriptions,
                    self.clock,
                    invoice.tenant_id,
                    invoice.subscription_id,
                    invoice.subscription_period,
                )
            except NotFound:  # the subscription was deleted since; the invoice stands on its own
                return

    def _money_returned(self, payment: Payment) -> None:
        """A payment of a subscription's invoice refunded in full or disputed: the invoice's
        history and the subscription's timeline say so (what to do is a person's decision)."""
        invoice_ids = [payment.invoice_id] if payment.invoice_id else []
        for subscription_id in payment.subscription_ids:
            first = self.invoicing.issuing.for_request(payment.tenant_id, f"{subscription_id}:0")
            invoice_ids += [first.id] if first else []
        for invoice_id in invoice_ids:
            invoice = self.invoicing.collection.note_payment_outcome(payment.tenant_id, invoice_id, payment)
            if invoice.subscription_id:
                summary = f"The payment of invoice {invoice.number} was {payment.status.value}"
                event = timeline_event(
                    invoice.customer_id,
                    f"subscription.payment_{payment.status.value}",
                    self.clock.now(),
                    SYSTEM_ACTOR,
                    summary,
                    subscription_id=invoice.subscription_id,
                    payment_id=payment.id,
                )
                self.customers.add_event(payment.tenant_id, event)

    def _invoice_or_none(self, tenant_id: str, invoice_id: str) -> Invoice | None:
        try:
            return self.invoicing.queries.get(system_caller(tenant_id), invoice_id)
        except NotFound:
            return None
