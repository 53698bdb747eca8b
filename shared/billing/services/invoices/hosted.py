"""The hosted invoice page's use cases: the invoice a token opens, its PDF, Pay (a Stripe
Checkout Session on the tenant's account) and the buyer's return, which settles the session as
the webhook does (whichever comes second finds it done)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from billing.domain.errors import NotFound, PublicRefusal
from billing.domain.invoices import Invoice, history_entry
from billing.domain.settings import Seller
from billing.ports import Clock, InvoiceRepository, PaymentGateway, ProcessorConnections, SettingsRepository
from billing.services.invoices.collect import InvoiceCollection
from billing.services.invoices.common import InvoiceChanged, Link, changed_invoice
from billing.services.invoices.documents import InvoiceDocuments

HOSTED_PDF_LINK_SECONDS = 300


@dataclass(frozen=True)
class HostedInvoices:
    invoices: InvoiceRepository
    settings: SettingsRepository
    gateway: PaymentGateway
    connections: ProcessorConnections
    collection: InvoiceCollection
    documents: InvoiceDocuments
    clock: Clock

    def today(self) -> date:
        return self.clock.now().date()

    def hosted(self, token: str) -> Invoice:
        """The invoice a hosted-page token opens: the token is the only credential (any tenant)."""
        well_formed = 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
        invoice = self.invoices.by_token(token) if well_formed else None
        if invoice is None:
            raise NotFound("this invoice link is not valid (or the invoice was voided)")
        return invoice

    def seller_of(self, tenant_id: str) -> Seller:
        return self.settings.get(tenant_id).seller

    def hosted_pdf_link(self, token: str, hosted_base: str) -> Link:
        invoice = self.hosted(token)
        key, _ = self.documents.stored_pdf(invoice, hosted_base)
        return self.documents.document_link(invoice, key, "pdf", HOSTED_PDF_LINK_SECONDS)

    def return_from_checkout(self, invoice: Invoice, session_id: str) -> tuple[Invoice, bool]:
        """The buyer is back from Checkout: settle the session now if it is this invoice's own open
        session (the webhook does the same; whichever comes second finds it done). Answers the
        invoice as it now stands and whether its payment is still being confirmed; any other
        session id (made up, another invoice's, another tenant's) is ignored."""
        if not invoice.status.collectable or session_id != invoice.checkout_session_id:
            return invoice, False
        account = self.connections.account_of(invoice.tenant_id)
        if account is None:
            return invoice, False
        self.settle_checkout(invoice.tenant_id, account, session_id)
        invoice = self.invoices.get(invoice.tenant_id, invoice.id)
        return invoice, invoice.status.collectable and invoice.checkout_session_id == session_id

    def pay_online(self, token: str, hosted_base: str) -> str:
        """A Stripe Checkout Session on the tenant's connected account for the amount due; the
        buyer's browser goes to its URL. An open session for the same amount is used again."""
        invoice = self.hosted(token)

        def refusal(reason: str, message: str) -> PublicRefusal:  # the seller's language, read only to refuse
            return PublicRefusal(reason, message, (invoice.seller or self.seller_of(invoice.tenant_id)).locale)

        if not invoice.status.collectable or invoice.amount_due <= 0:
            raise refusal("nothing_due", f"invoice {invoice.number} is {invoice.status.value}; nothing is due")
        account = self.connections.account_of(invoice.tenant_id)
        if account is None:
            raise refusal("no_online_payments", "this business has not set up online payment")
        if invoice.checkout_session_id:
            current = self.gateway.checkout(account, invoice.checkout_session_id)
            if current.status == "open" and current.amount == invoice.amount_due and current.url:
                return current.url
        page = f"{hosted_base}/i/{token}"
        session = self.gateway.create_checkout(
            account,
            amount=invoice.amount_due,
            currency=invoice.currency,
            name=f"Invoice {invoice.number}",
            success_url=f"{page}?checkout={{CHECKOUT_SESSION_ID}}",
            cancel_url=page,
            metadata={"billow_tenant": invoice.tenant_id, "billow_invoice": invoice.id},
            customer_email=invoice.recipient.email or None,
            # One session per invoice state: a retry reuses it, a payment or an edit starts another.
            idempotency_key=f"checkout:{invoice.id}:{invoice.version}:{invoice.amount_due}",
        )

        def change(current: Invoice) -> InvoiceChanged:
            now = self.clock.now()
            entry = history_entry(current.id, "checkout_started", now, "buyer", "The buyer opened online payment")
            return replace(current, checkout_session_id=session.id, updated_at=now), entry, None

        changed_invoice(self.invoices, invoice.tenant_id, invoice.id, change)
        assert session.url is not None  # an open session has its page
        return session.url

    def settle_checkout(self, tenant_id: str, account: str, session_id: str) -> str:
        """A completed Checkout Session pays its invoice, once, whichever of the webhook and the
        buyer's return comes first: the session is re-read from Stripe, the ledger payment is
        named by the session, and an invoice already holding its payment is left as it is."""
        session = self.gateway.checkout(account, session_id)
        invoice_id = session.metadata.get("billow_invoice")
        if session.metadata.get("billow_tenant") != tenant_id or not invoice_id:
            return "ignored: the session is not for a Billow invoice of this tenant"
        if session.payment_status != "paid" or not session.payment_reference:
            return f"ignored: the session is {session.status}/{session.payment_status}"
        invoice = self.invoices.get(tenant_id, invoice_id)
        if any(p.reference == session.payment_reference for p in invoice.payments):
            return f"invoice {invoice.number} already holds this payment"
        self.collection.paid_at_checkout(tenant_id, invoice, session)
        return f"invoice {invoice.number} paid online"
