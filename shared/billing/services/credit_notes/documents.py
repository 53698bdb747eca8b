"""A credit note's documents: its PDF ("Rechnungskorrektur", or "Stornorechnung" when it cancels
the whole invoice) and its EN 16931 e-invoices (type 381, referencing the invoice it corrects),
made once and kept, as an invoice's are."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.invoices import EInvoiceFormat
from billing.ports import CreditNoteRepository
from billing.services.invoices.common import Link
from billing.services.invoices.documents import InvoiceDocuments


@dataclass(frozen=True)
class CreditNoteDocuments:
    notes: CreditNoteRepository
    documents: InvoiceDocuments

    def pdf_link(self, caller: Caller, credit_note_id: str, hosted_base: str) -> Link:
        caller.require(Permission.READ)
        note = self.notes.get(caller.tenant_id, credit_note_id)
        return self.documents.pdf_of(note.as_document(), hosted_base)

    def einvoice_link(self, caller: Caller, credit_note_id: str, fmt: EInvoiceFormat, hosted_base: str) -> Link:
        caller.require(Permission.READ)
        note = self.notes.get(caller.tenant_id, credit_note_id)
        return self.documents.einvoice_of(note.as_document(), fmt, hosted_base)
