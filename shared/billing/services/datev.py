"""The DATEV export of a period: a ZIP with the EXTF Buchungsstapel (the period's invoices, credit
notes, payments and refunds), the debtors' master data, and the PDF of every invoice and credit
note issued in the period, behind an expiring link (see billing.domain.datev for the bookings)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

from billing.domain.access import Caller, Permission
from billing.domain.credit_notes import CreditNote, CreditNoteFilter, RefundStatus, Settlement
from billing.domain.customers import Customer, CustomerType
from billing.domain.datev import (
    Booking,
    Debtor,
    bookings_file,
    credit_note_bookings,
    datev_setup,
    debtors_file,
    invoice_bookings,
    payment_bookings,
    refund_booking,
)
from billing.domain.errors import Conflict, ValidationFailed
from billing.domain.invoices import Invoice, InvoiceFilter, InvoiceStatus, recipient_of
from billing.ports import (
    Clock,
    CreditNoteRepository,
    CustomerRepository,
    FileStore,
    InvoiceRepository,
    SettingsRepository,
)
from billing.services.exports import Export, stored_export
from billing.services.invoices.documents import InvoiceDocuments

MAX_DAYS = 366  # a DATEV batch lies within one fiscal year


@dataclass(frozen=True)
class DatevExport:
    invoices: InvoiceRepository
    notes: CreditNoteRepository
    customers: CustomerRepository
    settings: SettingsRepository
    documents: InvoiceDocuments
    files: FileStore
    clock: Clock
    link_seconds: int

    def export(self, caller: Caller, start: date, end: date, hosted_base: str) -> Export:
        caller.require(Permission.WRITE)
        if end < start:
            raise ValidationFailed.of("to", "must not be before from")
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed.of("to", "a DATEV export covers at most a year")
        settings = self.settings.get(caller.tenant_id)
        setup, missing = datev_setup(
            settings.datev_consultant_number,
            settings.datev_client_number,
            settings.datev_chart,
            settings.datev_fiscal_year_start_month,
            settings.datev_accounts,
        )
        reasons = [] if settings.datev_enabled else ["settings.datev_enabled: DATEV is off"]
        reasons += [f"{error.field}: {error.message}" for error in missing]
        if reasons or setup is None:
            raise Conflict("; ".join(reasons))
        before_end = InvoiceFilter(created_to=(end + timedelta(days=1)).isoformat())
        invoices = [i for i in self.invoices.all(caller.tenant_id, before_end) if i.status is not InvoiceStatus.DRAFT]
        issued = [i for i in invoices if _issued_in(i, start, end)]
        between = CreditNoteFilter(created_from=start.isoformat(), created_to=end.isoformat())
        notes = sorted(self.notes.all(caller.tenant_id, between), key=lambda n: n.sequence)
        paid = [i for i in invoices if any(start <= p.paid_on <= end for p in i.payments)]
        customer_ids = {i.customer_id for i in [*issued, *paid]} | {n.customer_id for n in notes}
        customers = self._customers(caller, customer_ids)
        debtor = {customer_id: customer.debtor_number for customer_id, customer in customers.items()}
        without = sorted(c.display_name for c in customers.values() if c.debtor_number is None)
        if without:
            raise Conflict(f"customers without a debtor number: {', '.join(without)}; give them one first")

        bookings: list[Booking] = []
        for invoice in issued:
            bookings += invoice_bookings(invoice, _number(debtor, invoice.customer_id), setup)
        for note in notes:
            account = _number(debtor, note.customer_id)
            bookings += credit_note_bookings(note.as_document(), account, setup, note.invoice_number)
            if (refunded := _refunded(note)) is not None:
                online = note.settlement is Settlement.REFUND
                name = note.recipient.name
                bookings.append(
                    refund_booking(refunded, note.currency, note.issued_on, online, account, setup, note.number, name)
                )
        for invoice in paid:
            bookings += payment_bookings(invoice, _number(debtor, invoice.customer_id), setup, start, end)
        bookings.sort(key=lambda b: b.on)

        now = self.clock.now()
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("EXTF_Buchungsstapel.csv", bookings_file(bookings, setup, now, caller.user_id, start, end))
            debtors = [
                Debtor(number, recipient_of(customers[cid]), customers[cid].type is CustomerType.COMPANY)
                for cid, number in sorted(debtor.items(), key=lambda item: item[1] or 0)
                if number is not None
            ]
            z.writestr("EXTF_Debitoren_Kreditoren.csv", debtors_file(debtors, setup, now, caller.user_id))
            for document in [*issued, *(n.as_document() for n in notes)]:
                _, pdf = self.documents.stored_pdf(document, hosted_base, with_bytes=True)
                assert pdf is not None  # asked for with its bytes
                z.writestr(f"Belege/{document.number}.pdf", pdf)
        name = f"datev-{start.isoformat()}-{end.isoformat()}"
        return stored_export(
            self.files,
            self.clock,
            caller.tenant_id,
            name,
            "zip",
            archive.getvalue(),
            len(bookings),
            self.link_seconds,
        )

    def _customers(self, caller: Caller, ids: set[str]) -> dict[str, Customer]:
        return {customer_id: self.customers.get(caller.tenant_id, customer_id) for customer_id in sorted(ids)}


def _issued_in(invoice: Invoice, start: date, end: date) -> bool:
    """Booked in the period: issued in it, and not voided unless a Stornorechnung keeps it in the
    books (an invoice voided before it was sent never reached the buyer)."""
    if invoice.issued_on is None or not start <= invoice.issued_on <= end:
        return False
    return invoice.status is not InvoiceStatus.VOID or bool(invoice.credits)


def _refunded(note: CreditNote) -> int | None:
    """What a credit note paid back in money (a credit balance stays on the debtor account)."""
    if note.settled <= 0 or note.settlement not in (Settlement.REFUND, Settlement.MANUAL_REFUND):
        return None
    if note.settlement is Settlement.REFUND and (
        note.refund is None or note.refund.status is not RefundStatus.SUCCEEDED
    ):
        return None
    return note.settled


def _number(debtors: dict[str, int | None], customer_id: str) -> int:
    number = debtors[customer_id]
    assert number is not None  # refused above otherwise
    return number
