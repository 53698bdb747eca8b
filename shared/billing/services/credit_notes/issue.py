"""Issuing a credit note: asked for (lines, an amount, or all that is left), made by a refund of a
payment of the invoice, or by voiding an invoice that was sent (a Stornorechnung). Each is written
with its gapless number in one transaction with its invoice; a Stripe refund it asks for is made
after, once however often the request is retried (Stripe's idempotency key is the note's id)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime

from billing.domain.access import Caller, Permission
from billing.domain.credit_notes import (
    Credit,
    CreditNote,
    CreditReason,
    CreditRefund,
    CreditTerms,
    LineCredit,
    RefundStatus,
    Settlement,
    credit_note,
    credit_of_amount,
    credit_of_lines,
    credit_of_rest,
    credited,
)
from billing.domain.errors import DomainError, ProcessorUnavailable, RequestTaken, StaleWrite, ValidationFailed
from billing.domain.events import InvoicePaid
from billing.domain.invoices import Invoice, InvoiceStatus, format_number, history_entry, with_refund_followed
from billing.domain.orders import CreditOrder
from billing.domain.payments import Payment, credit_refunded
from billing.domain.settings import TenantSettings
from billing.domain.timeline import timeline_event
from billing.formatting import format_amount
from billing.observability import logger
from billing.ports import (
    Clock,
    CreditIssue,
    CreditNoteRepository,
    EventPublisher,
    InvoiceRepository,
    PaymentGateway,
    PaymentRepository,
    ProcessorConnections,
    SettingsRepository,
)
from billing.services.optimistic import SAVE_ATTEMPTS
from billing.services.payment_methods import connected_account
from billing.services.payments.ledger import PaymentLedger, at_processor

# The line of an amount credited, in the buyer's language.
AMOUNT_LINE = {"de": "Gutschrift zu Rechnung {number}", "en": "Credit for invoice {number}"}


def amount_line(settings: TenantSettings, number: str) -> str:
    return AMOUNT_LINE.get(settings.language, AMOUNT_LINE["en"]).format(number=number)


def _credit(invoice: Invoice, order: CreditOrder, settings: TenantSettings) -> Credit:
    if order.lines and order.amount is not None:
        raise ValidationFailed.of("amount", "give lines or an amount, not both")
    name = order.description or amount_line(settings, invoice.number or "")
    if order.lines:
        return credit_of_lines(invoice, [LineCredit(line.line, line.quantity) for line in order.lines])
    if order.amount is not None:
        return credit_of_amount(invoice, order.amount, name)
    return credit_of_rest(invoice, name)


@dataclass(frozen=True)
class CreditNoteIssuing:
    notes: CreditNoteRepository
    invoices: InvoiceRepository
    payments: PaymentRepository
    settings: SettingsRepository
    connections: ProcessorConnections
    gateway: PaymentGateway
    ledger: PaymentLedger
    events: EventPublisher
    clock: Clock

    def create(self, caller: Caller, invoice_id: str, order: CreditOrder, request_key: str | None = None) -> CreditNote:
        """A credit note of a finalized invoice. Repeated with the same ``request_key`` it answers
        the note made the first time and finishes its refund if that is still outstanding."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            made = self.notes.for_request(caller.tenant_id, request_key)
            if made is not None:
                return self._refunded(caller, made)
        try:
            reason = CreditReason(order.reason)
            settlement = Settlement(order.settlement) if order.settlement else None
        except ValueError as error:  # the schema names the choices; a caller of the service may not
            raise ValidationFailed.of("reason", str(error)) from None
        terms = CreditTerms(reason, order.memo, settlement, order.payment_id, order.reference)
        try:
            note = self._issue(
                caller, invoice_id, lambda invoice, settings: _credit(invoice, order, settings), terms, request_key
            )
        except RequestTaken:
            assert request_key is not None
            made = self.notes.for_request(caller.tenant_id, request_key)
            assert made is not None  # a key is taken only by the note it names
            return self._refunded(caller, made)
        return self._refunded(caller, note)

    def for_refund(self, invoice: Invoice, payment: Payment, refunded: int, actor: str) -> CreditNote | None:
        """The credit note of a refund made at Stripe that reached this invoice: the invoice's part
        of ``payment`` is now ``refunded``, and what that gives back anew (up to what is left of
        the invoice) is credited, refunded already, in one write with the refund followed. None
        when there is nothing to credit (the caller then only follows the refund). StaleWrite
        when the invoice changed since read."""
        held = next((p for p in invoice.payments if p.payment_id == payment.id), None)
        newly = refunded - (held.refunded if held else 0)
        if held is None or newly <= 0 or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return None
        amount = min(newly, invoice.creditable)
        if amount <= 0:
            return None
        settings = self.settings.get(invoice.tenant_id)
        credit = credit_of_amount(invoice, amount, amount_line(settings, invoice.number or ""))
        terms = CreditTerms(CreditReason.REFUND, settlement=Settlement.REFUND, payment_id=payment.id, refund_made=True)
        now = self.clock.now()

        def issue(sequence: int) -> CreditIssue:
            issued = self._issued(invoice, credit, terms, settings, actor, sequence, now)
            return replace(issued, invoice=with_refund_followed(issued.invoice, payment.id, refunded, now))

        return self.notes.add(invoice.tenant_id, settings.credit_note_number_start, issue)

    def void_issue(
        self, actor: str, invoice: Invoice, voided: Invoice, settings: TenantSettings
    ) -> Callable[[int], CreditIssue] | None:
        """The Stornorechnung of an invoice voided after it was sent, to write with the void in
        place of the void alone; None when none is made (never sent, or the setting is off)."""
        if not (settings.void_credit_notes and invoice.last_sent_at is not None and invoice.creditable > 0):
            return None
        credit = credit_of_rest(invoice, amount_line(settings, invoice.number or ""))
        terms = CreditTerms(CreditReason.VOID)
        now = self.clock.now()
        self._issued(invoice, credit, terms, settings, actor, 0, now)  # every refusal before a number is drawn

        def issue(sequence: int) -> CreditIssue:
            issued = self._issued(invoice, credit, terms, settings, actor, sequence, now)
            return replace(issued, invoice=credited(voided, issued.note, voided.payments, credit.quantities, now))

        return issue

    # ------------------------------------------------------------------ shared

    def _issue(
        self,
        caller: Caller,
        invoice_id: str,
        credit_of: Callable[[Invoice, TenantSettings], Credit],
        terms: CreditTerms,
        request_key: str | None,
    ) -> CreditNote:
        settings = self.settings.get(caller.tenant_id)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self.invoices.get(caller.tenant_id, invoice_id)
            credit = credit_of(invoice, settings)
            now = self.clock.now()

            def issue(
                sequence: int, invoice: Invoice = invoice, credit: Credit = credit, now: datetime = now
            ) -> CreditIssue:
                return self._issued(invoice, credit, terms, settings, caller.user_id, sequence, now)

            issue(0)  # every refusal before a number is drawn
            try:
                note = self.notes.add(caller.tenant_id, settings.credit_note_number_start, issue, request_key)
            except StaleWrite:
                continue
            after = self.invoices.get(caller.tenant_id, invoice_id)
            if invoice.status.collectable and after.status is InvoiceStatus.PAID:
                self.events.publish(InvoicePaid(after))
            return note
        raise StaleWrite(f"invoice {invoice_id}")

    def _issued(
        self,
        invoice: Invoice,
        credit: Credit,
        terms: CreditTerms,
        settings: TenantSettings,
        actor: str,
        sequence: int,
        now: datetime,
    ) -> CreditIssue:
        number = format_number(settings.credit_note_number_prefix, settings.credit_note_number_digits, sequence)
        note, updated = credit_note(
            invoice, credit, terms, number=number, sequence=sequence, now=now, actor=actor, seller=settings.seller
        )
        payment = None
        if note.refund is not None and note.refund.status is RefundStatus.PENDING and sequence:
            ledger = self.payments.get(invoice.tenant_id, note.refund.payment_id)
            payment = credit_refunded(ledger, invoice.id, note.refund.amount, now)
        what = "Stornorechnung" if note.full else "Credit note"
        summary = f"{what} {number} of invoice {invoice.number}: {format_amount(note.total, note.currency)}"
        if note.settlement is not None:
            summary += f" ({format_amount(note.settled, note.currency)} {_settled_words(note)})"
        entry = history_entry(invoice.id, "credited", now, actor, summary, credit_note_id=note.id, number=number)
        event = timeline_event(
            invoice.customer_id,
            "credit_note.created",
            now,
            actor,
            summary,
            invoice_id=invoice.id,
            credit_note_id=note.id,
            number=number,
        )
        return CreditIssue(note, updated, entry, event, payment, note.credited_to_balance)

    def _refunded(self, caller: Caller, note: CreditNote) -> CreditNote:
        """The note with its Stripe refund made, when it asks for one still outstanding. Stripe
        unreachable leaves it outstanding (a retry finishes it); a refusal is kept on the note."""
        refund = note.refund
        if refund is None or refund.status is not RefundStatus.PENDING:
            return note
        account = connected_account(self.connections, caller.tenant_id)
        payment = self.payments.get(caller.tenant_id, refund.payment_id)
        try:
            self.gateway.refund(
                account,
                payment_reference=at_processor(payment),
                amount=refund.amount,
                idempotency_key=f"billow-credit-note-{note.id}",
            )
        except ProcessorUnavailable:
            logger.warning("the refund of credit note %s waits for Stripe", note.id)
            return note
        except DomainError as refused:
            return self._refund_outcome(note, replace(refund, status=RefundStatus.FAILED, failure=str(refused)))
        with suppress(ProcessorUnavailable):  # made; the payment follows with Stripe's next event
            self.ledger.settle(payment, self.gateway.payment(account, at_processor(payment)), caller.user_id, account)
        return self._refund_outcome(note, replace(refund, status=RefundStatus.SUCCEEDED))

    def _refund_outcome(self, note: CreditNote, refund: CreditRefund) -> CreditNote:
        for _ in range(SAVE_ATTEMPTS):
            try:
                return self.notes.save(replace(note, refund=refund))
            except StaleWrite:
                note = self.notes.get(note.tenant_id, note.id)
                if note.refund == refund:
                    return note
        raise StaleWrite(f"credit note {note.id}")


def _settled_words(note: CreditNote) -> str:
    return (
        {
            Settlement.REFUND: "refunded through Stripe",
            Settlement.MANUAL_REFUND: "refunded by hand",
            Settlement.CREDIT_BALANCE: "kept as credit",
        }[note.settlement]
        if note.settlement
        else ""
    )
