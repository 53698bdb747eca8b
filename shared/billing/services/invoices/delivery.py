"""Emailing invoices: the invoice itself (the tenant's templates, the hosted link, the PDF
attached; a draft is finalized first) and, when asked for, a receipt for a payment on it. A send
is recorded only once the mail service took the message."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, NotFound, ValidationFailed
from billing.domain.invoices import Invoice, InvoicePayment, InvoiceStatus, cc_errors, history_entry, hosted_url
from billing.domain.orders import SendOrder
from billing.domain.settings import TenantSettings
from billing.domain.templates import MAX_MESSAGE_LENGTH, MAX_SUBJECT_LENGTH, filled
from billing.formatting import Formatter, format_amount
from billing.ports import Attachment, Clock, InvoiceRepository, Mailer, SettingsRepository
from billing.services.invoices.common import InvoiceChanged, changed_invoice, invoice_event
from billing.services.invoices.documents import InvoiceDocuments
from billing.services.invoices.lifecycle import InvoiceLifecycle
from billing.services.notifications import business_of, deliver_as_tenant, letter, receipt_letter
from billing.texts import paid_with, texts


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
        subject, text = invoice_email(invoice, settings, sending, hosted_url(invoice, hosted_base))
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
        words = texts(settings.locale, "mail")
        subject = words("receipt_subject_invoice", number=invoice.number)
        message_id = self._mail(
            settings, to=[to], subject=subject, text=invoice_receipt_text(invoice, payment, settings)
        )
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


def invoice_email(invoice: Invoice, settings: TenantSettings, sending: SendOrder, link: str | None) -> tuple[str, str]:
    """The subject and text of an invoice's email: the sender's own, else the tenant's templates,
    else Billow's words in the tenant's language (a letter, and one that asks for nothing once the
    invoice is paid); then the link to the hosted page."""
    words = texts(settings.locale, "mail")
    formatter = Formatter(settings.locale, invoice.currency)
    settled = invoice.amount_due <= 0
    values = {
        "number": invoice.number or "",
        "business_name": business_of(settings, words),
        "total": formatter.money(invoice.total),
        "due_date": formatter.day(invoice.due_date) if invoice.due_date else "",
    }
    own = ""  # the sender's or the tenant's message, which replaces Billow's paragraph
    if sending.overdue_days is not None:
        days = words("days_one" if sending.overdue_days == 1 else "days_many", count=sending.overdue_days)
        subject = words("overdue_subject", number=values["number"])
        amount = formatter.money(invoice.amount_due)
        paragraph = words(
            "overdue_message", number=values["number"], amount=amount, due_date=values["due_date"], days=days
        )
    else:
        subject = sending.subject or filled(
            settings.invoice_email_subject or words["invoice_subject"], values, MAX_SUBJECT_LENGTH
        )
        paragraph = words("invoice_message_paid" if settled else "invoice_message", **values)
        own = sending.message or settings.invoice_email_message
    see = [words("view" if settled else "view_and_pay", url=link)] if link else []
    if own:
        return subject, "\n\n".join([filled(own, values, MAX_MESSAGE_LENGTH), *see]) + "\n"
    return subject, letter(words, values["business_name"], paragraph, *see)


def invoice_receipt_text(invoice: Invoice, payment: InvoicePayment, settings: TenantSettings) -> str:
    """A receipt for a payment recorded on an invoice: what, when, how, and what is still due."""
    words, document = texts(settings.locale, "mail"), texts(settings.locale, "document")
    formatter = Formatter(settings.locale, invoice.currency)
    rows = [
        (words["receipt_amount"], formatter.money(payment.amount)),
        (words["receipt_date"], formatter.day(payment.paid_on)),
        (words["receipt_method"], paid_with(payment.method, payment.source.value, document)),
        (words["receipt_invoice"], invoice.number or ""),
        (words["receipt_still_due"], formatter.money(invoice.amount_due)),
    ]
    return receipt_letter(settings, rows)
