"""An invoice's life after its draft: finalized with the next gapless number (alone, or a batch of
the billing run's drafts in one transaction with the counter), voided, or deleted."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, StaleWrite, ValidationFailed
from billing.domain.invoices import (
    MAX_FINALIZE_BATCH,
    HistoryEntry,
    Invoice,
    InvoiceStatus,
    deletion_refusal,
    finalized,
    format_number,
    history_entry,
    voided,
)
from billing.domain.timeline import TimelineEvent
from billing.ports import Clock, CreditNoteRepository, InvoiceRepository, SettingsRepository
from billing.services.credit_notes.balances import CreditBalances
from billing.services.credit_notes.issue import CreditNoteIssuing
from billing.services.invoices.common import CheckoutCloser, amount_of, invoice_event
from billing.services.optimistic import SAVE_ATTEMPTS


@dataclass(frozen=True)
class InvoiceLifecycle:
    invoices: InvoiceRepository
    settings: SettingsRepository
    checkout: CheckoutCloser
    clock: Clock
    credit_notes: CreditNoteIssuing
    notes: CreditNoteRepository
    balances: CreditBalances

    def finalize(self, caller: Caller, invoice_id: str) -> Invoice:
        """Number the draft and open it. Finalizing an invoice finalized meanwhile answers it."""
        caller.require(Permission.WRITE)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self.invoices.get(caller.tenant_id, invoice_id)
            if invoice.status is not InvoiceStatus.DRAFT:
                if invoice.finalized_at is None or invoice.status is InvoiceStatus.VOID:
                    raise Conflict(f"invoice {invoice_id} is {invoice.status.value}; only a draft is finalized")
                return invoice
            try:
                finalized_now = self.finalize_drafts(caller, [invoice])[0]
            except StaleWrite:
                continue
            return self.balances.use(finalized_now)  # the customer's credit pays first
        raise StaleWrite(f"invoice {invoice_id}")

    def finalize_drafts(self, caller: Caller, drafts: list[Invoice]) -> list[Invoice]:
        """The batch path (the billing run): up to 99 drafts take a block of numbers in one
        transaction with the counter, in the order given."""
        caller.require(Permission.WRITE)
        if len(drafts) > MAX_FINALIZE_BATCH:
            raise ValueError(f"at most {MAX_FINALIZE_BATCH} invoices per batch")
        settings = self.settings.get(caller.tenant_id)
        now = self.clock.now()
        for draft in drafts:
            if not draft.lines:
                raise ValidationFailed.of("lines", "an invoice needs at least one line to be finalized")

        def numbered(draft: Invoice, sequence: int) -> tuple[Invoice, HistoryEntry, TimelineEvent]:
            number = format_number(settings.invoice_number_prefix, settings.invoice_number_digits, sequence)
            invoice = finalized(draft, number, sequence, now, now.date(), settings.seller)
            summary = f"Invoice {number} finalized ({amount_of(invoice)})"
            entry = history_entry(draft.id, "finalized", now, caller.user_id, summary, number=number)
            return invoice, entry, invoice_event(invoice, "invoice.finalized", caller.user_id, summary, now)

        return self.invoices.finalize(caller.tenant_id, drafts, settings.invoice_number_start, numbered)

    def void(self, caller: Caller, invoice_id: str) -> Invoice:
        """Irreversible; the hosted link stops working and an open checkout is closed. An invoice
        that was sent is cancelled by a credit note in the same write (a Stornorechnung), unless
        the settings allow plain voids."""
        caller.require(Permission.WRITE)
        settings = self.settings.get(caller.tenant_id)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self.invoices.get(caller.tenant_id, invoice_id)
            now = self.clock.now()
            updated = voided(invoice, now)
            storno = self.credit_notes.void_issue(caller.user_id, invoice, updated, settings)
            summary = f"Invoice {invoice.number} voided"
            try:
                if storno is not None:
                    note = self.notes.add(caller.tenant_id, settings.credit_note_number_start, storno)
                    summary += f", cancelled by {note.number}"
                    void = self.invoices.save(
                        self.invoices.get(caller.tenant_id, invoice_id),
                        history_entry(invoice.id, "voided", now, caller.user_id, summary),
                        invoice_event(updated, "invoice.voided", caller.user_id, summary, now),
                    )
                else:
                    entry = history_entry(invoice.id, "voided", now, caller.user_id, summary)
                    void = self.invoices.save(
                        updated, entry, invoice_event(updated, "invoice.voided", caller.user_id, summary, now)
                    )
            except StaleWrite:
                continue
            self.checkout.close(invoice)
            return void
        raise StaleWrite(f"invoice {invoice_id}")

    def delete(self, caller: Caller, invoice_id: str) -> None:
        """Drafts (billing); finalized ones when the tenant allows it and unpaid (admin)."""
        caller.require(Permission.WRITE)
        settings = self.settings.get(caller.tenant_id)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self.invoices.get(caller.tenant_id, invoice_id)
            if invoice.status is not InvoiceStatus.DRAFT:
                caller.require(Permission.ADMINISTER)
            refusal = deletion_refusal(invoice, deleting_allowed=settings.invoice_deleting_allowed)
            if refusal:
                raise Conflict("; ".join(refusal.reasons))
            what = f"Invoice {invoice.number}" if invoice.number else "Invoice draft"
            event = invoice_event(invoice, "invoice.deleted", caller.user_id, f"{what} deleted", self.clock.now())
            try:
                self.invoices.delete(invoice, event)
                return
            except StaleWrite:
                continue
        raise StaleWrite(f"invoice {invoice_id}")
