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
from billing.services.notifications import deliver_as_tenant

# What the buyer reads, in the tenant's language: the title is the PDF's.
CREDIT_NOTE_EMAIL = {
    "de": {
        "title": "Rechnungskorrektur",
        "full_title": "Stornorechnung",
        "subject": "{title} {number} zu Rechnung {invoice}",
        "text": "Guten Tag,\n\nanbei erhalten Sie unsere {title} {number} zu Rechnung {invoice} über {total}.\n\n"
        "Mit freundlichen Grüßen\n{business}\n",
    },
    "en": {
        "title": "Credit note",
        "full_title": "Cancellation invoice",
        "subject": "{title} {number} for invoice {invoice}",
        "text": "Hello,\n\nplease find attached our {title} {number} for invoice {invoice}, of {total}.\n\n"
        "Kind regards\n{business}\n",
    },
}


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
        words = CREDIT_NOTE_EMAIL.get(settings.language, CREDIT_NOTE_EMAIL["en"])
        values = {
            "title": words["full_title" if note.full else "title"],
            "number": note.number,
            "invoice": note.invoice_number,
            "business": settings.business_name or "us",
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
            subject=sending.subject or words["subject"].format(**values),
            text=sending.message or words["text"].format(**values),
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
