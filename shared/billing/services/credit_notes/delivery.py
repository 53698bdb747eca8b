"""Emailing a credit note, as an invoice is emailed: to the customer's billing email (or ``to``),
with copies, the PDF attached, in the tenant's language; recorded on the note and the customer's
timeline only once the mail service took the message."""

from __future__ import annotations

from dataclasses import dataclass, replace

from billing.domain.access import Caller, Permission
from billing.domain.credit_notes import CreditNote
from billing.domain.errors import ValidationFailed
from billing.domain.invoices import cc_errors
from billing.domain.orders import SendOrder
from billing.domain.timeline import timeline_event
from billing.formatting import format_amount
from billing.ports import Attachment, Clock, CreditNoteRepository, CustomerRepository, Mailer, SettingsRepository
from billing.services.invoices.documents import InvoiceDocuments
from billing.services.notifications import business_of, deliver_as_tenant, letter
from billing.texts import texts


@dataclass(frozen=True)
class CreditNoteDelivery:
    notes: CreditNoteRepository
    customers: CustomerRepository
    settings: SettingsRepository
    mailer: Mailer
    documents: InvoiceDocuments
    clock: Clock

    def send(self, caller: Caller, credit_note_id: str, sending: SendOrder, hosted_base: str) -> CreditNote:
        caller.require(Permission.WRITE)
        errors = cc_errors(list(sending.cc))
        if errors:
            raise ValidationFailed(errors)
        note = self.notes.get(caller.tenant_id, credit_note_id)
        to = sending.to or note.recipient.email
        if not to:
            raise ValidationFailed.of("to", "the customer has no billing email; give one")
        settings = self.settings.get(caller.tenant_id)
        words = texts(settings.locale, "mail")
        values = {
            "title": texts(settings.locale, "document")["cancellation" if note.full else "credit_note"],
            "number": note.number,
            "invoice": note.invoice_number,
            "total": format_amount(note.total, note.currency, settings.locale),
        }
        _, pdf = self.documents.stored_pdf(note.as_document(), hosted_base, with_bytes=True)
        assert pdf is not None  # asked for with its bytes
        cc = list(dict.fromkeys(sending.cc))
        message_id = deliver_as_tenant(
            self.mailer,
            settings,
            to=[to],
            cc=cc,
            subject=sending.subject or words("credit_note_subject", **values),
            text=sending.message or letter(words, business_of(settings, words), words("credit_note_message", **values)),
            attachments=[Attachment(f"{note.number}.pdf", "application/pdf", pdf)],
        )
        now = self.clock.now()
        summary = f"Credit note {note.number} sent to {', '.join([to, *cc])}"
        event = timeline_event(
            note.customer_id,
            "credit_note.sent",
            now,
            caller.user_id,
            summary,
            credit_note_id=note.id,
            invoice_id=note.invoice_id,
            message_id=message_id,
        )
        self.customers.add_event(caller.tenant_id, event)
        return self.notes.save(replace(note, last_sent_at=now))
