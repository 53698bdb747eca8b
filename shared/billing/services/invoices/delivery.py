"""Emailing invoices: the invoice itself (the tenant's templates, the hosted link, the PDF
attached; a draft is finalized first) and, when asked for, a receipt for a payment on it. A send
is recorded only once the mail service took the message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, NotFound, ValidationFailed
from billing.domain.invoices import Invoice, InvoiceStatus, cc_errors, history_entry, hosted_url
from billing.domain.orders import SendOrder
from billing.domain.settings import TenantSettings
from billing.domain.templates import MAX_MESSAGE_LENGTH, MAX_SUBJECT_LENGTH, filled
from billing.formatting import format_amount
from billing.ports import Attachment, Clock, InvoiceRepository, Mailer, SettingsRepository
from billing.services.invoices.common import InvoiceChanged, changed_invoice, invoice_event
from billing.services.invoices.documents import InvoiceDocuments
from billing.services.invoices.lifecycle import InvoiceLifecycle
from billing.services.notifications import deliver_as_tenant


@dataclass(frozen=True)
class Receipt:
    """A receipt as it was sent: for which payment, to whom, when, and the mail service's id."""

    invoice_id: str
    payment_id: str
    amount: int
    currency: str
    sent_to: str
    sent_at: datetime
    message_id: str


@dataclass(frozen=True)
class InvoiceDelivery:
    invoices: InvoiceRepository
    settings: SettingsRepository
    mailer: Mailer
    documents: InvoiceDocuments
    lifecycle: InvoiceLifecycle
    clock: Clock

    def send(self, caller: Caller, invoice_id: str, sending: SendOrder, hosted_base: str) -> Invoice:
        """Email the invoice: to its billing email (or ``to``), up to 9 copies, the tenant's
        subject and message unless given, the hosted link and the PDF attached. A draft is
        finalized first. The send is recorded only once the mail service took the message."""
        caller.require(Permission.WRITE)
        errors = cc_errors(list(sending.cc))
        if errors:
            raise ValidationFailed(errors)
        invoice = self.invoices.get(caller.tenant_id, invoice_id)
        if invoice.status is InvoiceStatus.VOID:
            raise Conflict(f"invoice {invoice_id} is void; a void invoice is not sent")
        to = sending.to or invoice.recipient.email
        if not to:
            raise ValidationFailed.of("to", "the customer has no billing email; give one")
        if invoice.status is InvoiceStatus.DRAFT:
            invoice = self.lifecycle.finalize(caller, invoice_id)
        settings = self.settings.get(caller.tenant_id)
        values = {
            "number": invoice.number or "",
            "business_name": settings.business_name or "us",
            "total": format_amount(invoice.total, invoice.currency, settings.locale),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
        }
        subject = sending.subject or filled(settings.invoice_email_subject, values, MAX_SUBJECT_LENGTH)
        message = sending.message or filled(settings.invoice_email_message, values, MAX_MESSAGE_LENGTH)
        text = f"{message}\n\nView and pay online: {hosted_url(invoice, hosted_base)}\n"
        first_send = invoice.last_sent_at is None
        _, pdf = self.documents.stored_pdf(invoice, hosted_base, with_bytes=True, first_send=first_send)
        assert pdf is not None  # asked for with its bytes
        cc = list(dict.fromkeys(sending.cc))
        message_id = self._mail(
            settings,
            to=[to],
            cc=cc,
            subject=subject,
            text=text,
            attachments=[Attachment(f"{invoice.number}.pdf", "application/pdf", pdf)],
        )

        def change(current: Invoice) -> InvoiceChanged:
            now = self.clock.now()
            summary = f"Invoice {current.number} sent to {', '.join([to, *cc])}"
            entry = history_entry(current.id, "sent", now, caller.user_id, summary, to=to, cc=cc, message_id=message_id)
            event = invoice_event(current, "invoice.sent", caller.user_id, summary, now)
            return replace(current, last_sent_at=now, updated_at=now), entry, event

        return changed_invoice(self.invoices, caller.tenant_id, invoice_id, change)

    def send_receipt(self, caller: Caller, invoice_id: str, payment_id: str, to: str | None = None) -> Receipt:
        """A receipt for a payment recorded on the invoice, sent only when asked for."""
        caller.require(Permission.WRITE)
        invoice = self.invoices.get(caller.tenant_id, invoice_id)
        payment = next((p for p in invoice.payments if p.id == payment_id), None)
        if payment is None:
            raise NotFound(f"payment {payment_id} not found on invoice {invoice_id}")
        to = to or invoice.recipient.email
        if not to:
            raise ValidationFailed.of("to", "the customer has no billing email; give one")
        settings = self.settings.get(caller.tenant_id)
        amount = format_amount(payment.amount, invoice.currency, settings.locale)
        text = (
            f"Thank you for your payment to {settings.business_name or 'us'}.\n\n"
            f"Amount paid:   {amount}\nPaid on:       {payment.paid_on.isoformat()}\n"
            f"Method:        {payment.method.replace('_', ' ')}\nInvoice:       {invoice.number}\n"
            f"Still due:     {format_amount(invoice.amount_due, invoice.currency, settings.locale)}\n"
        )
        message_id = self._mail(settings, to=[to], subject=f"Receipt for invoice {invoice.number}", text=text)
        now = self.clock.now()

        def change(current: Invoice) -> InvoiceChanged:
            summary = f"Receipt for {amount} sent to {to}"
            details = {"payment": payment_id, "message_id": message_id}
            entry = history_entry(current.id, "receipt_sent", now, caller.user_id, summary, **details)
            event = invoice_event(current, "receipt.sent", caller.user_id, summary, now)
            return replace(current, updated_at=now), entry, event

        changed_invoice(self.invoices, caller.tenant_id, invoice_id, change)
        return Receipt(invoice.id, payment_id, payment.amount, invoice.currency, to, now, message_id)

    def _mail(self, settings: TenantSettings, **message: Any) -> str:
        return deliver_as_tenant(self.mailer, settings, **message)
