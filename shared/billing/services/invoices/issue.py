"""Issuing a subscription period's invoice for the billing cycle: create, finalize, use the
customer's credit, and charge or send in one call, idempotently by request key."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller
from billing.domain.invoices import Invoice
from billing.domain.orders import SendOrder
from billing.domain.payments import Payment, PaymentStatus
from billing.domain.subscriptions import CollectionMethod, PeriodInvoice, Subscription
from billing.ports import InvoiceRepository
from billing.services.credit_notes.balances import CreditBalances
from billing.services.invoices.collect import InvoiceCollection
from billing.services.invoices.delivery import InvoiceDelivery
from billing.services.invoices.drafts import InvoiceDrafts


@dataclass(frozen=True)
class InvoiceIssuing:
    invoices: InvoiceRepository
    drafts: InvoiceDrafts
    collection: InvoiceCollection
    delivery: InvoiceDelivery
    balances: CreditBalances

    def for_request(self, tenant_id: str, request_key: str) -> Invoice | None:
        return self.invoices.for_request(tenant_id, request_key)

    def issue(
        self,
        caller: Caller,
        bill: PeriodInvoice,
        request_key: str,
        *,
        collect: CollectionMethod,
        payment_method_id: str | None,
        hosted_base: str,
        subscription: Subscription | None = None,
        paid_by: Payment | None = None,
    ) -> Invoice:
        """Repeated with the same ``request_key`` it returns the same invoice and does only what
        the first call did not finish: a charge is never made twice, and an invoice already sent is
        not sent again. ``paid_by``, a payment taken before the invoice existed (a subscription's
        first), is applied instead of a charge."""
        invoice = self.drafts.create_for_period(caller, bill, request_key, subscription, finalize=True)
        if paid_by is None:
            invoice = self.balances.use(invoice)  # the customer's credit pays first
        if paid_by is not None:
            if paid_by.status is PaymentStatus.SUCCEEDED:
                invoice = self.collection.apply_online_payment(caller.tenant_id, invoice.id, paid_by)
        elif collect is CollectionMethod.CHARGE_AUTOMATICALLY and invoice.status.collectable:
            invoice = self.collection.charge(caller, invoice.id, payment_method_id)
        elif collect is CollectionMethod.SEND_INVOICE and invoice.last_sent_at is None:
            invoice = self.delivery.send(caller, invoice.id, SendOrder(), hosted_base)
        return invoice
